"""``tfdetlint server``: its command-line entry; pygls is imported only when the server starts."""

from __future__ import annotations

import argparse
import sys
from typing import Any

INSTALL_HINT = "tfdetlint server needs pygls: pip install 'tfdetlint[server]'"


def add_server_parser(sub: Any) -> None:  # argparse's subparsers action (its class is private)
    server = sub.add_parser("server", help="run the language server (LSP on standard input and output)",
                            description="Run the tfdetlint language server: diagnostics and quick fixes "
                                        "in your editor, speaking LSP over standard input and output.")
    # Clients built on vscode-languageclient append --stdio: it is what the server speaks anyway.
    server.add_argument("--stdio", action="store_true", help="speak LSP on standard input and output (the default)")
    server.add_argument("--log-level", choices=("error", "warning", "info", "debug"), default="warning",
                        help="what the server logs on standard error (default: warning)")


def run_server_command(args: argparse.Namespace) -> int:
    try:
        from tfdetlint.server.lsp import create_server
    except ImportError as exc:
        print(f"tfdetlint: error: {INSTALL_HINT} ({exc})", file=sys.stderr)
        return 2
    import logging  # here, not at the top: every tfdetlint command imports this module

    # stdout carries the protocol: anything else goes to stderr.
    logging.basicConfig(stream=sys.stderr, level=getattr(logging, args.log_level.upper()),
                        format="tfdetlint server: %(levelname)s: %(message)s")
    create_server().start_io()
    return 0
