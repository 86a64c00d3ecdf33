"""The ``trace`` subcommand's arguments and entry point."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tfdetlint.trace.runs import CommandError, split_command

EXIT_REPRODUCIBLE, EXIT_DIFFERS, EXIT_ERROR = 0, 1, 2


def add_trace_parser(sub: Any) -> None:
    trace = sub.add_parser(
        "trace",
        help="run your program twice and name the op that diverged (runs your code)",
        description="tfdetlint trace [options] -- python train.py ARGS...",
    )
    trace.add_argument("--compare", default="all", help="all | weights | outputs | a regex over op names and types")
    trace.add_argument("--steps", type=int, help="trace ops during the first N Keras training steps only")
    trace.add_argument("--max-ops", type=int, default=20000, help="traced eager and graph op executions per run")
    trace.add_argument("--op-regex", help="trace only op types matching this regex (tfdbg op_regex)")
    trace.add_argument("--dump-cap", type=float, default=256.0, help="MB of dump per run before tracing stops")
    trace.add_argument("--timeout", type=float, default=300.0, help="seconds per run")
    trace.add_argument("--jobs", "-j", type=int, default=2, help="runs at once (1 or 2)")
    trace.add_argument("--format", choices=("text", "json"), default="text")
    trace.add_argument("--keep", type=Path, help="leave each run's record and dump in this folder")
    trace.add_argument("program", nargs=argparse.REMAINDER, help="-- python train.py ARGS")


def _script(program: list[str]) -> Path | None:
    _, rest = split_command(program)
    return Path(rest[0]) if rest[0] != "-m" else None


def command_trace(args: argparse.Namespace) -> int:
    from tfdetlint.trace.command import TraceSettings, trace
    from tfdetlint.trace.report import render_json, render_text
    from tfdetlint.trace.static import join

    program = list(args.program)
    if program and program[0] == "--":
        program = program[1:]
    try:
        script = _script(program)
    except CommandError as exc:
        print(f"tfdetlint trace: {exc}", file=sys.stderr)
        return EXIT_ERROR
    settings = TraceSettings(
        timeout=args.timeout,
        max_ops=args.max_ops,
        op_regex=args.op_regex,
        dump_cap=int(args.dump_cap * (1 << 20)),
        compare=args.compare,
        steps=args.steps,
        jobs=args.jobs,
        keep=args.keep,
    )
    result = trace(program, settings)
    join(result, script)
    sys.stdout.write(render_json(result) if args.format == "json" else render_text(result))
    if result.failed:
        return EXIT_ERROR
    return EXIT_REPRODUCIBLE if result.reproducible else EXIT_DIFFERS
