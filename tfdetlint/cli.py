"""The ``tfdetlint`` command. Exit codes as ruff and flake8: 0 clean, 1 findings, 2 usage or internal error."""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from tfdetlint import __version__
from tfdetlint.catalogue import load_catalogue, rule_doc_path
from tfdetlint.check_command import (
    STDIN,
    ProgressLine,
    UsageError,
    add_output_arguments,
    add_selection_arguments,
    base_settings,
    configurations,
    read_stdin,
    run_check,
    timeout_value,
    validate,
    wants_scopes,
)
from tfdetlint.config import ConfigError, Configurations, Settings
from tfdetlint.orchestrate import Collected, collect_findings

COMMANDS = ("check", "rule", "rules", "verify", "trace", "env", "server")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


class _HelpFormatter(argparse.HelpFormatter):
    """Help that reads the same on every Python version (the README quotes it): ``-o, --output-file
    FILE`` as Python 3.13 prints it, and a fixed width."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=100, max_help_position=34)

    def _format_action_invocation(self, action: argparse.Action) -> str:
        if not action.option_strings or action.nargs == 0:
            return super()._format_action_invocation(action)
        default = self._get_default_metavar_for_optional(action)
        return ", ".join(action.option_strings) + " " + self._format_args(action, default)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tfdetlint", description="Find reproducibility hazards in TensorFlow and Keras code.",
                     epilog="`tfdetlint PATH...` is short for `tfdetlint check PATH...`; "
                            "`tfdetlint check --help` lists its options.",
                     formatter_class=_HelpFormatter)
    parser.add_argument("--version", action="version", version=f"tfdetlint {__version__}")
    sub = parser.add_subparsers(dest="command")
    check = sub.add_parser("check", help="check files and folders (the default command)", formatter_class=_HelpFormatter)
    add_check_arguments(check)
    rule = sub.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code")
    sub.add_parser("rules", help="list the rules")
    verify = sub.add_parser("verify", help="confirm flagged hazards by running them twice on this machine",
                            formatter_class=_HelpFormatter)
    add_common_arguments(verify)
    verify.add_argument("--device", choices=("cpu", "gpu", "all"), default="all")
    verify.add_argument("--timeout", type=timeout_value, default=120.0, help="seconds per probe process")
    verify.add_argument("--format", choices=("text", "json"), default="text")
    from tfdetlint.trace.cli import add_trace_parser

    add_trace_parser(sub)
    add_env_parser(sub)
    from tfdetlint.server.command import add_server_parser

    add_server_parser(sub)
    return parser


def add_env_parser(sub: Any) -> None:
    """``tfdetlint env`` (``tfdetlint.machine`` is imported only when it runs: it is not light)."""
    env = sub.add_parser("env", help="record this machine's reproducibility fingerprint, or diff two")
    env.add_argument("--format", choices=("text", "json"), default="text")
    env.add_argument("--output-file", "-o", type=Path, help="write the fingerprint to this file")
    env.add_argument("--diff", nargs=2, type=Path, metavar=("A.json", "B.json"),
                     help="print what differs between two recorded fingerprints (exit 1 if relevant)")
    env.add_argument("--timeout", type=float, default=120.0, help="seconds allowed to import TensorFlow")


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    add_selection_arguments(parser)


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    add_selection_arguments(parser)
    add_output_arguments(parser)


def normalise_argv(argv: Sequence[str]) -> list[str]:
    """``tfdetlint PATH`` means ``tfdetlint check PATH``."""
    args = list(argv)
    if not args or (args[0] not in COMMANDS and args[0] not in ("-h", "--help", "--version")):
        return ["check", *args]
    return args


def settings_for(args: argparse.Namespace) -> Settings:
    """The settings shared by the whole run; each file's own come from ``args.configs``."""
    validate(args)
    args.configs = configurations(args)
    return base_settings(args, args.configs)


def collect(args: argparse.Namespace, settings: Settings) -> Collected:
    """Findings (selected per file, by its own configuration) and how the analysed files were read."""
    configs: Configurations = getattr(args, "configs", None) or configurations(args)
    if args.paths == [STDIN]:
        return read_stdin(args, configs, settings)
    progress = ProgressLine(sys.stderr)
    try:
        return collect_findings(args.paths, settings, configs=configs, jobs=args.jobs, use_cache=not args.no_cache,
                                scopes=wants_scopes(args), progress=progress if progress.enabled else None)
    finally:
        progress.close()


def check_output_file(path: Path | None) -> None:
    """Fail before any work (and before ``--fix`` rewrites a file) if the report cannot be written."""
    if path is None:
        return
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise UsageError(f"cannot write the report to {path}: it is a folder")
    if not folder.is_dir():
        raise UsageError(f"cannot write the report to {path}: no such folder {folder}")
    if not os.access(path if path.exists() else folder, os.W_OK):
        raise UsageError(f"cannot write the report to {path}: permission denied")


def command_check(args: argparse.Namespace) -> int:
    check_output_file(args.output_file)
    return run_check(args, settings_for(args), collect)


def command_rules() -> int:
    from tfdetlint.registry import load_registry, rules_listing

    sys.stdout.write(rules_listing(load_registry()))
    return 0


def command_rule(code: str) -> int:
    catalogue = load_catalogue()
    code = code.upper()
    if code not in catalogue.rules:
        print(f"tfdetlint: unknown rule {code!r}; `tfdetlint rules` lists them", file=sys.stderr)
        return 2
    doc = rule_doc_path(code)
    print(doc.read_text(encoding="utf-8") if doc.is_file() else catalogue.rules[code].summary)
    return 0


def command_verify(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    try:
        from tfdetlint.verify.command import run_verify_command
    except ImportError:
        print("tfdetlint verify is not available in this installation", file=sys.stderr)
        return 2
    findings = collect_findings(args.paths, settings, configs=args.configs, jobs=args.jobs,
                                use_cache=not args.no_cache).findings
    return int(run_verify_command(findings, args.device, args.timeout, args.format, sys.stdout,
                                  use_cache=not args.no_cache))


def _tolerant_streams() -> None:
    """A file name that is not valid UTF-8 (or not encodable here) must not crash the report."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            with contextlib.suppress(ValueError, io.UnsupportedOperation):
                stream.reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    _tolerant_streams()
    try:
        args = build_parser().parse_args(normalise_argv(sys.argv[1:] if argv is None else argv))
        if args.command == "rules":
            return command_rules()
        if args.command == "rule":
            return command_rule(args.code)
        if args.command == "verify":
            return command_verify(args)
        if args.command == "trace":
            from tfdetlint.trace.cli import command_trace

            return command_trace(args)
        if args.command == "env":
            from tfdetlint.machine import run_env_command

            return run_env_command(args)
        if args.command == "server":
            from tfdetlint.server.command import run_server_command

            return run_server_command(args)
        return command_check(args)
    except UsageError as exc:
        print(f"tfdetlint: error: {exc}", file=sys.stderr)
        print("usage: tfdetlint [check] [options] PATH...   (tfdetlint check --help for options)", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"tfdetlint: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("tfdetlint: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # a bug must give exit 2, never look like findings (1)
        import traceback

        traceback.print_exc(file=sys.stderr)
        print(f"tfdetlint: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2


def entry() -> NoReturn:
    """The console script: ``main``, then leave without tearing down what the run built.

    A check keeps every module's tree and model alive to the end; the interpreter's own exit
    (a last cyclic collection, then freeing each object) cost as much as the analysis did:
    measured on lingvo/core/layers.py, 3.2 -> 1.8 s CPU. Nothing is left to clean up by then
    (workers joined, cache entries written and renamed), so the output is flushed and the
    process ends, as mypy does."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


if __name__ == "__main__":
    entry()
