"""``tfdetlint check``: its options and how they combine, as ruff users expect them.

``cli.py`` builds the parser and dispatches; everything specific to checking (output formats,
statistics, stdin, ``--fix-only``, ``--add-noqa``, colour, progress, scope notes) lives here.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TextIO

from tfdetlint.catalogue import Rules, load_rules
from tfdetlint.config import Configurations, Settings, check_selectors
from tfdetlint.findings import Finding
from tfdetlint.linking import link_related
from tfdetlint.orchestrate import Collected
from tfdetlint.report import ALIASES, FORMATS, LINE_FORMATS, ReportContext, render_report
from tfdetlint.report.full import render_scope_notes
from tfdetlint.report.help import with_help
from tfdetlint.report.style import use_color
from tfdetlint.report.text import statistics, statistics_rows, summary

STDIN = Path("-")
# A progress line only for runs long enough to wonder about, and only for people at a terminal.
PROGRESS_AFTER_S = 1.0


class UsageError(Exception):
    pass


SEED_MAX = 2**32 - 1  # what NumPy, TensorFlow and Keras accept


def _integer(value: str, low: int, high: int | None) -> int:
    try:
        number = int(value, 10)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {value!r}") from None
    if number < low or (high is not None and number > high):
        limits = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise argparse.ArgumentTypeError(f"must be {limits}, not {number}")
    return number


def seed_value(value: str) -> int:
    return _integer(value, 0, SEED_MAX)


def jobs_value(value: str) -> int:
    return _integer(value, 1, 4096)


def timeout_value(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, not {value!r}") from None
    if not math.isfinite(number) or number <= 0 or number > 86_400:
        raise argparse.ArgumentTypeError(f"must be more than 0 and at most 86400 seconds, not {value}")
    return number


def _list(value: str) -> list[str]:
    return [c.strip() for c in value.split(",") if c.strip()]


def _codes(value: str) -> list[str]:
    """Rule selectors as given; checked against the rules once parsing is done (one clear line)."""
    return [c.strip().upper() for c in value.split(",")] if value.strip(", ") else [""]


def add_selection_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by ``check`` and ``verify``: which rules, which files, how files are read."""
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: .); - reads standard input")
    parser.add_argument("--select", type=_codes, metavar="CODES", help="rule codes or prefixes to enable (default: TFD)")
    parser.add_argument("--extend-select", type=_codes, default=[], metavar="CODES", help="add to the selected rules")
    parser.add_argument("--ignore", type=_codes, metavar="CODES", help="rule codes or prefixes to disable")
    parser.add_argument("--extend-ignore", type=_codes, default=[], metavar="CODES", help="add to the ignored rules")
    parser.add_argument("--exclude", type=_list, metavar="GLOBS", help="files and folders to skip (replaces the defaults)")
    parser.add_argument("--extend-exclude", type=_list, default=[], metavar="GLOBS", help="more files and folders to skip")
    parser.add_argument("--force-exclude", action=argparse.BooleanOptionalAction, default=None,
                        help="apply the excludes to files named on the command line too (for pre-commit)")
    parser.add_argument("--respect-gitignore", action=argparse.BooleanOptionalAction, default=None,
                        help="skip files that git ignores (default: on)")
    parser.add_argument("--stdin-filename", type=Path, metavar="PATH",
                        help="the name of the file read from standard input (for configuration and reports)")
    parser.add_argument("--keras-version", metavar="{2,3}", help="Keras major version the code targets (default: inferred, else 3)")
    parser.add_argument("--script", action="store_true", help="treat every checked file as a script")
    parser.add_argument("--library", action="store_true", help="treat every checked file as a library module")
    parser.add_argument("--config", type=Path, metavar="FILE",
                        help="use this configuration file for every file (pyproject.toml or tfdetlint.toml)")
    parser.add_argument("--isolated", action="store_true", help="ignore configuration files")
    parser.add_argument("--jobs", "-j", type=jobs_value, default=None, metavar="N", help="worker processes (default: auto)")
    parser.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")
    parser.add_argument("--cache-dir", type=Path, metavar="DIR", help="cache folder (default: .tfdetlint_cache)")


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``check`` alone: the report, fixing, and what to print."""
    formats = ", ".join(FORMATS)
    parser.add_argument("--output-format", "--format", dest="format", choices=(*FORMATS, *ALIASES), default="concise",
                        metavar="FORMAT", help=f"{formats} (default: concise; --format and `text` are old names)")
    parser.add_argument("--output-file", "-o", type=Path, metavar="FILE", help="write the report to this file")
    parser.add_argument("--quiet", "-q", action="store_true", help="print findings only, no summary")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    parser.add_argument("--statistics", action="store_true", help="print only the number of findings per rule")
    parser.add_argument("--show-files", action="store_true", help="list the files that would be checked, and stop")
    parser.add_argument("--show-settings", action="store_true",
                        help="print the settings the first file (or folder) is checked with, and stop")
    parser.add_argument("--show-scope", action="store_true",
                        help="say for each analysed file whether it was read as a script, library or test module, and why")
    parser.add_argument("--group-related", action="store_true",
                        help="concise output: show findings that one missing seed explains as one line, on the "
                             "finding that names it")
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour the report (auto: on a terminal, unless NO_COLOR is set)")
    parser.add_argument("--fix", action="store_true", help="apply safe fixes")
    parser.add_argument("--unsafe-fixes", action="store_true", help="with --fix or --diff, apply unsafe fixes too")
    parser.add_argument("--diff", action="store_true", help="print the fixes as a diff and write nothing")
    parser.add_argument("--show-fixes", action="store_true", help="also print the fixes (as a diff): available, or applied with --fix")
    parser.add_argument("--fix-only", action="store_true", help="apply fixes, do not report what remains (exit 0)")
    parser.add_argument("--exit-non-zero-on-fix", action="store_true",
                        help="with --fix or --fix-only, exit 1 when anything was fixed")
    parser.add_argument("--add-noqa", action="store_true", help="add `# noqa: CODE` to every line with a finding")
    parser.add_argument("--fix-link-targets", action="store_true",
                        help="also write files that symbolic links point to outside the checked folders")
    parser.add_argument("--seed", type=seed_value, help="the seed fixes insert (default: 42, or `seed` in config)")


def validate(args: argparse.Namespace) -> None:
    """Checks that need all of the arguments; errors are one line each."""
    for flag in ("select", "extend_select", "ignore", "extend_ignore"):
        value = getattr(args, flag, None)
        if value is not None:
            setattr(args, flag, list(check_selectors(tuple(value), "--" + flag.replace("_", "-"))))
    if args.script and args.library:
        raise UsageError("--script and --library exclude each other")
    if args.keras_version is not None:
        from tfdetlint.config import keras_version

        args.keras_version = keras_version(args.keras_version)
    if STDIN in args.paths and len(args.paths) > 1:
        raise UsageError("- (standard input) cannot be combined with other paths")
    if args.stdin_filename is not None and not args.paths:
        args.paths = [STDIN]
    if hasattr(args, "add_noqa") and args.format == "concise":
        args.format = "text"  # the name the fix command knows it by
    if getattr(args, "add_noqa", False) and (args.fix or args.fix_only or args.diff):
        raise UsageError("--add-noqa cannot be combined with --fix, --fix-only or --diff")
    if getattr(args, "add_noqa", False) and args.paths == [STDIN]:
        raise UsageError("--add-noqa needs files, not standard input")


def overrides(args: argparse.Namespace) -> dict[str, object]:
    """What the command line changes in every file's settings."""
    changes: dict[str, object] = {}
    if args.keras_version:
        changes["keras_version"] = args.keras_version
    if args.script:
        changes["scripts"] = ("*",)
    if args.library:
        changes["libraries"] = ("*",)
    if getattr(args, "seed", None) is not None:
        changes["seed"] = args.seed
    if args.cache_dir is not None:
        changes["cache_dir"] = args.cache_dir
    if args.exclude is not None:
        changes["exclude"] = tuple(args.exclude)
    if args.force_exclude is not None:
        changes["force_exclude"] = args.force_exclude
    if args.respect_gitignore is not None:
        changes["respect_gitignore"] = args.respect_gitignore
    return changes


def apply(settings: Settings, args: argparse.Namespace, changes: dict[str, object]) -> Settings:
    select = tuple(args.select) if args.select is not None else settings.select
    ignore = tuple(args.ignore) if args.ignore is not None else settings.ignore
    return replace(
        settings, **changes,  # type: ignore[arg-type]
        select=(*select, *args.extend_select),
        ignore=(*ignore, *args.extend_ignore),
        extend_exclude=(*settings.extend_exclude, *args.extend_exclude),
    )


def configurations(args: argparse.Namespace) -> Configurations:
    changes = overrides(args)
    return Configurations(lambda s: apply(s, args, changes), args.config, args.isolated)


def base_settings(args: argparse.Namespace, configs: Configurations) -> Settings:
    """The settings of the folder all paths share (the same whatever their order): the cache
    folder, the project's seeding helpers and ``--fix``'s seed come from it."""
    if args.paths == [STDIN]:
        return configs.for_path(args.stdin_filename or Path("-"))
    paths = args.paths or [Path(".")]
    folders = [os.path.abspath(p if p.is_dir() else p.parent) for p in paths]
    try:
        common = Path(os.path.commonpath(folders))
    except ValueError:  # different drives
        common = Path.cwd()
    return configs.for_folder(common)


# ---- running


class ProgressLine:
    """``[n/total] files checked`` on stderr, rewritten in place; only on a terminal, only once a
    run has taken a while, and erased at the end."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream = stream
        self.clock = clock
        self.start = clock()
        self.last = 0.0
        self.shown = False
        isatty = getattr(stream, "isatty", None)
        self.enabled = bool(isatty and isatty())

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = self.clock()
        if now - self.start < PROGRESS_AFTER_S or (now - self.last < 0.1 and done < total):
            return
        self.last = now
        self.shown = True
        self.stream.write(f"\r\033[Ktfdetlint: {done}/{total} files checked")
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


def wants_scopes(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "show_scope", False) or getattr(args, "format", "") == "full")


def read_stdin(args: argparse.Namespace, configs: Configurations, settings: Settings) -> Collected:
    from tfdetlint.discovery import force_excluded
    from tfdetlint.engine import analyse
    from tfdetlint.orchestrate import open_cache
    from tfdetlint.project import project_roots
    from tfdetlint.runner import options_for, project_index

    name = str(args.stdin_filename) if args.stdin_filename is not None else "-"
    own = configs.for_path(Path(name))
    raw = sys.stdin.buffer.read()
    if args.stdin_filename is not None and own.force_exclude and force_excluded(Path(name), own):
        return Collected([], sources={name: raw})
    roots = project_roots([Path(name).parent], settings.root if settings.config_file else None)
    # The buffer itself is not cached (it is unsaved work), but the project's summaries are.
    cache = None if args.no_cache else open_cache(settings)
    analysis = analyse(raw, name, options_for(Path(name), own), project_index(settings, roots, cache))
    found = [f for f in analysis.findings if own.is_selected(f.code, Path(name))]
    scopes = {name: analysis.scope} if analysis.scope is not None else {}
    return Collected(sorted(found), scopes, {name: raw})


CollectFn = Callable[[argparse.Namespace, Settings], Collected]


# ---- the command


def show_files(args: argparse.Namespace, settings: Settings) -> int:
    """``--show-files``: what a run would check, one path a line, sorted."""
    from tfdetlint.discovery import find_files

    configs: Configurations = args.configs
    files, problems = find_files(args.paths or [Path(".")], settings, configs.for_folder)
    for path in sorted(files):
        print(path)
    for problem in problems:
        print(f"tfdetlint: {problem.path}: {problem.message}", file=sys.stderr)
    return 0


def show_settings(args: argparse.Namespace) -> int:
    """``--show-settings``: the resolved settings of the first path, one ``key = value`` a line."""
    configs: Configurations = args.configs
    first = (args.paths or [Path(".")])[0]
    target = args.stdin_filename if first == STDIN and args.stdin_filename else first
    settings = configs.for_folder(target) if target.is_dir() else configs.for_path(target)
    print(f"# settings for {target}")
    for name, value in vars(settings).items():
        shown = list(value) if isinstance(value, tuple) else value
        print(f"{name.replace('_', '-')} = {shown}")
    return 0


def run_check(args: argparse.Namespace, settings: Settings, collect: CollectFn) -> int:
    if args.show_files:
        return show_files(args, settings)
    if args.show_settings:
        return show_settings(args)
    if args.add_noqa:
        from tfdetlint.noqa import add_noqa

        found = collect(args, settings).findings
        added, problems = add_noqa(found)
        for problem in problems:
            print(f"tfdetlint: {problem}", file=sys.stderr)
        print(f"Added {added} noqa directive{'s' if added != 1 else ''}.", file=sys.stderr)
        return 1 if problems else 0  # some findings are still not silenced
    if args.paths == [STDIN] and (args.fix or args.fix_only or args.diff):
        return _fix_stdin(args, settings, collect)
    if args.fix or args.fix_only or args.diff:
        return _fix(args, settings)
    collected = collect(args, settings)
    findings = link_related(with_help(collected.findings))  # one missing seed: one group
    rules = load_rules()
    context = ReportContext(color=use_color(args.color, sys.stdout) if args.output_file is None else args.color == "always",
                            scopes=collected.scopes, sources=collected.sources, group_related=args.group_related)
    line_format = args.format in LINE_FORMATS
    with _output(args.output_file) as out:
        if args.statistics:
            _statistics(findings, rules, args.format, out)
        else:
            render_report(args.format, findings, rules, out, context)
        if args.show_scope:
            render_scope_notes(context, out if line_format else sys.stderr)
        if args.show_fixes:
            show_available_fixes(findings, args, settings, out if line_format else sys.stderr, collected.sources)
    if not args.quiet and not args.statistics:
        if args.format in ("text", "concise", "full") and args.output_file is None:
            print(summary(findings, args.unsafe_fixes))
        elif args.output_file is not None:
            print(summary(findings, args.unsafe_fixes), file=sys.stderr)
    return 0 if args.exit_zero or not findings else 1


def _statistics(findings: list[Finding], rules: Rules, fmt: str, out: TextIO) -> None:
    """ruff's ``--statistics``: the counts instead of the findings (as JSON for JSON formats)."""
    if fmt in ("json", "json-lines"):
        json.dump(statistics_rows(findings, rules), out, indent=2)
        out.write("\n")
    else:
        out.write(statistics(findings, rules))


@contextlib.contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    if path is None:
        yield sys.stdout
        return
    buffer = io.StringIO()
    yield buffer
    # surrogateescape writes undecodable file names back as the bytes they came from
    path.write_text(buffer.getvalue(), encoding="utf-8", errors="surrogateescape")


def show_available_fixes(findings: list[Finding], args: argparse.Namespace, settings: Settings, out: TextIO,
                         sources: dict[str, bytes]) -> None:
    """``--show-fixes`` without ``--fix``: the diff each file's fixes would make (nothing is written)."""
    from tfdetlint.fix.command import file_diff, fix_file

    wanted = ("safe", "unsafe") if args.unsafe_fixes else ("safe",)
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    for path, found in by_path.items():
        if not any(f.fixable in wanted for f in found):
            continue
        try:
            raw = sources[path] if path in sources else Path(path).read_bytes()
        except OSError:
            continue
        report = fix_file(Path(path), raw, found, settings, args.unsafe_fixes)
        if report.new is not None:
            out.write(file_diff(path, raw, report.new))


def _snapshot(findings: list[Finding]) -> dict[str, bytes]:
    snapshot: dict[str, bytes] = {}
    for f in findings:
        if f.fixable != "none" and f.path not in snapshot:
            with contextlib.suppress(OSError):
                snapshot[f.path] = Path(f.path).read_bytes()
    return snapshot


def _changed(snapshot: dict[str, bytes]) -> dict[str, tuple[bytes, bytes]]:
    changed = {}
    for path, before in snapshot.items():
        try:
            after = Path(path).read_bytes()
        except OSError:
            continue
        if after != before:
            changed[path] = (before, after)
    return changed


def _fix(args: argparse.Namespace, settings: Settings) -> int:
    """``--fix``, ``--fix-only``, ``--diff``: the fix command does the work; here we only watch
    which files it changed (for ``--show-fixes``, ``--fix-only``'s count and ``--exit-non-zero-on-fix``)."""
    from tfdetlint.fix.command import file_diff, run_fix

    args.fix = args.fix or args.fix_only
    args.fix_snapshot = {}  # filled through args.record_findings, which run_fix calls with what it found
    args.record_findings = lambda findings: record_for_fix(args, findings)
    if args.fix_only and not args.diff:
        quiet, fmt, target = args.quiet, args.format, args.output_file
        args.quiet, args.format, args.output_file = True, "json", None
        captured = io.StringIO()
        try:
            with contextlib.redirect_stdout(captured):
                run_fix(args, settings)
        finally:
            args.quiet, args.format, args.output_file = quiet, fmt, target
        remaining = _remaining(captured.getvalue())
        changed = _changed(args.fix_snapshot)
        before = getattr(args, "fix_findings", [])
        fixed = max(0, len(before) - len(remaining)) if changed else 0
        if args.show_fixes:
            for path, (old, new) in changed.items():
                sys.stdout.write(file_diff(path, old, new))
        if not args.quiet:
            files = len(changed)
            print(f"Fixed {fixed} finding{'s' if fixed != 1 else ''} in {files} file{'s' if files != 1 else ''}."
                  if changed else "No fixes applied.", file=sys.stderr)
        return 1 if args.exit_non_zero_on_fix and changed else 0
    code = int(run_fix(args, settings))
    if args.diff:
        return code
    changed = _changed(args.fix_snapshot)
    if args.show_fixes:
        stream = sys.stdout if args.output_file is None and args.format in LINE_FORMATS else sys.stderr
        for path, (old, new) in changed.items():
            stream.write(file_diff(path, old, new))
    if args.exit_non_zero_on_fix and changed:
        return 1
    return code


def _remaining(report: str) -> list[object]:
    try:
        data = json.loads(report)
    except ValueError:
        return []
    return data if isinstance(data, list) else []


def record_for_fix(args: argparse.Namespace, findings: list[Finding]) -> None:
    """Called by the fix command once it has its findings: keep the bytes of the files it may change."""
    if getattr(args, "fix_snapshot", None) is not None and not args.diff:
        args.fix_snapshot = _snapshot(findings)
        args.fix_findings = findings


def _fix_stdin(args: argparse.Namespace, settings: Settings, collect: CollectFn) -> int:
    """As ruff: the fixed source goes to stdout (or, with ``--diff``, the diff); what remains is
    reported on stderr."""
    from tfdetlint.fix.command import file_diff, fix_file

    collected = collect(args, settings)
    ((name, raw),) = collected.sources.items()
    report = fix_file(Path(name), raw, collected.findings, settings, args.unsafe_fixes)
    if args.diff:
        if report.new is not None:
            sys.stdout.write(file_diff(name, raw, report.new))
        return 1 if report.new is not None or report.error else 0
    sys.stdout.buffer.write(report.new if report.new is not None else raw)
    sys.stdout.flush()
    if report.error:
        print(f"tfdetlint: error: {name}: {report.error}", file=sys.stderr)
    remaining = with_help(report.remaining if report.new is not None else collected.findings)
    if not args.fix_only:
        render_report("concise", remaining, load_rules(), sys.stderr)
    if args.exit_non_zero_on_fix and report.new is not None:
        return 1
    if args.fix_only or args.exit_zero:
        return 0
    return 1 if remaining else 0

