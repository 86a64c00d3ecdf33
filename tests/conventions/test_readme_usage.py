"""The README's usage section is the real ``--help`` output (regenerate it by pasting
``tfdetlint --help`` and ``tfdetlint check --help`` into the two blocks)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from tfdetlint.cli import build_parser

README = Path(__file__).resolve().parents[2] / "README.md"


def block(command: str) -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"```\n\$ {re.escape(command)}\n(.*?)\n```", text, re.DOTALL)
    assert match, f"README has no block starting with `$ {command}`"
    return match.group(1)


def test_readme_usage_matches_help() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert block("tfdetlint --help") == parser.format_help().rstrip()
    assert block("tfdetlint check --help") == sub.choices["check"].format_help().rstrip()


def test_every_check_option_is_explained_in_the_readme() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    text = README.read_text(encoding="utf-8")
    prose = text.replace(block("tfdetlint check --help"), "")
    missing = [option for action in sub.choices["check"]._actions for option in action.option_strings
               if option.startswith("--") and option not in prose and option not in ("--help",)
               and not option.startswith("--no-")]
    assert not missing, f"options the README never mentions outside the help block: {missing}"
