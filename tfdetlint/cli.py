"""The ``tfdetlint`` command. Exit codes as ruff and flake8: 0 clean, 1 findings, 2 usage or internal error."""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from tfdetlint import __version__
from tfdetlint.catalogue import load_catalogue, rule_doc_path
from tfdetlint.config import ConfigError, Settings, keras_version, load_settings
from tfdetlint.orchestrate import collect_findings
from tfdetlint.report import reporters
from tfdetlint.report.text import statistics, summary

COMMANDS = ("check", "rule", "rules", "verify")
# Formats read line by line (by people, or by the Actions runner, which ignores other lines).
LINE_FORMATS = ("text", "github")


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _codes(value: str) -> list[str]:
    return [c.strip().upper() for c in value.split(",") if c.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tfdetlint", description="Find reproducibility hazards in TensorFlow and Keras code.")
    parser.add_argument("--version", action="version", version=f"tfdetlint {__version__}")
    sub = parser.add_subparsers(dest="command")
    check = sub.add_parser("check", help="check files and folders (the default command)")
    add_check_arguments(check)
    rule = sub.add_parser("rule", help="print a rule's documentation")
    rule.add_argument("code")
    sub.add_parser("rules", help="list the rules")
    verify = sub.add_parser("verify", help="confirm flagged hazards by running them twice on this machine")
    add_common_arguments(verify)
    verify.add_argument("--device", choices=("cpu", "gpu", "all"), default="all")
    verify.add_argument("--timeout", type=float, default=120.0, help="seconds per probe process")
    verify.add_argument("--format", choices=("text", "json"), default="text")
    return parser


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: .)")
    parser.add_argument("--select", type=_codes, help="rule codes or prefixes to enable (default: TFD)")
    parser.add_argument("--extend-select", type=_codes, default=[])
    parser.add_argument("--ignore", type=_codes, help="rule codes or prefixes to disable")
    parser.add_argument("--extend-ignore", type=_codes, default=[])
    parser.add_argument("--keras-version", type=keras_version, help="Keras major version the code targets (3: default)")
    parser.add_argument("--script", action="store_true", help="treat every checked file as a script")
    parser.add_argument("--library", action="store_true", help="treat every checked file as a library module")
    parser.add_argument("--config", type=Path, help="pyproject.toml to read [tool.tfdetlint] from")
    parser.add_argument("--isolated", action="store_true", help="ignore configuration files")
    parser.add_argument("--jobs", "-j", type=int, default=None, help="worker processes (default: auto)")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    parser.add_argument("--cache-dir", type=Path, help="cache folder (default: .tfdetlint_cache)")


def add_check_arguments(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser)
    parser.add_argument("--format", choices=("text", "json", "sarif", "github"), default="text")
    parser.add_argument("--quiet", "-q", action="store_true", help="print findings only, no summary")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    parser.add_argument("--statistics", action="store_true", help="print counts per rule")
    parser.add_argument("--output-file", "-o", type=Path, help="write the report to this file")
    parser.add_argument("--fix", action="store_true", help="apply safe fixes")
    parser.add_argument("--unsafe-fixes", action="store_true", help="with --fix or --diff, apply unsafe fixes too")
    parser.add_argument("--diff", action="store_true", help="print the fixes as a diff and write nothing")
    parser.add_argument("--seed", type=int, help="the seed fixes insert (default: 42, or `seed` in config)")


def normalise_argv(argv: Sequence[str]) -> list[str]:
    """``tfdetlint PATH`` means ``tfdetlint check PATH``."""
    args = list(argv)
    if not args or (args[0] not in COMMANDS and args[0] not in ("-h", "--help", "--version")):
        return ["check", *args]
    return args


def settings_for(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.paths or [Path.cwd()], args.config, args.isolated)
    changes: dict[str, object] = {}
    if args.select is not None:
        changes["select"] = tuple(args.select)
    if args.extend_select:
        changes["select"] = (*changes.get("select", settings.select), *args.extend_select)  # type: ignore[misc]
    if args.ignore is not None:
        changes["ignore"] = tuple(args.ignore)
    if args.extend_ignore:
        changes["ignore"] = (*changes.get("ignore", settings.ignore), *args.extend_ignore)  # type: ignore[misc]
    if args.keras_version:
        changes["keras_version"] = args.keras_version
    if args.script and args.library:
        raise UsageError("--script and --library exclude each other")
    if args.script:
        changes["scripts"] = ("*",)
    if args.library:
        changes["libraries"] = ("*",)
    if getattr(args, "seed", None) is not None:
        changes["seed"] = args.seed
    if args.cache_dir is not None:
        changes["cache_dir"] = args.cache_dir
    return replace(settings, **changes)  # type: ignore[arg-type]


@contextlib.contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    buffer = io.StringIO()
    yield buffer
    # surrogateescape writes undecodable file names back as the bytes they came from
    path.write_text(buffer.getvalue(), encoding="utf-8", errors="surrogateescape")


def command_check(args: argparse.Namespace) -> int:
    settings = settings_for(args)
    if args.fix or args.diff:
        from tfdetlint.fix.command import run_fix

        return int(run_fix(args, settings))
    findings = collect_findings(args.paths, settings, jobs=args.jobs, use_cache=not args.no_cache)
    catalogue = load_catalogue()
    with _output(args.output_file) as out:
        reporters()[args.format](findings, catalogue, out)
        if args.statistics and args.format in LINE_FORMATS:
            out.write(statistics(findings, catalogue))
    if args.statistics and args.format not in LINE_FORMATS:
        # Appended to a JSON or SARIF document the counts would make it unparseable.
        sys.stderr.write(statistics(findings, catalogue))
    if args.format == "text" and not args.quiet and args.output_file is None:
        print(summary(findings, args.unsafe_fixes))
    elif args.output_file is not None and not args.quiet:
        print(summary(findings, args.unsafe_fixes), file=sys.stderr)
    return 0 if args.exit_zero or not findings else 1


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
    findings = collect_findings(args.paths, settings, jobs=args.jobs, use_cache=not args.no_cache)
    return int(run_verify_command(findings, args.device, args.timeout, args.format, sys.stdout))


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
        return command_check(args)
    except UsageError as exc:
        print(f"tfdetlint: error: {exc}", file=sys.stderr)
        print("usage: tfdetlint [check] [options] PATH...   (tfdetlint check --help for options)", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"tfdetlint: configuration error: {exc}", file=sys.stderr)
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


if __name__ == "__main__":
    raise SystemExit(main())
