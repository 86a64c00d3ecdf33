"""The trace as a short story (text), as JSON, and the terminal diff of the first divergence."""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import asdict
from typing import Any

from tfdetlint.machine import difference_lines
from tfdetlint.trace.command import SEED_PRELUDE, PairOutcome, Remedy, RootReport, TraceResult
from tfdetlint.trace.compare import Location, Root, TensorDiff
from tfdetlint.trace.runs import Run

_PAIR_TITLES = {
    "traced": "with per-op tracing",
    "plain": "without tracing",
    "seeded": f"with {SEED_PRELUDE} first",
    "determined": f"with {SEED_PRELUDE} and op determinism",
}


def _where(loc: Location | None) -> str:
    if loc is None:
        return "(no user frame: made inside TensorFlow or Keras)"
    path = os.path.relpath(loc.path)
    # Paths far outside the working folder read better absolute.
    return f"{loc.path if path.startswith('..') else path}:{loc.line}"


def _hazard(result: TraceResult, root: Root | None) -> str:
    """Order hazards come out of tf.data pipelines; everything else is an op's kernel."""
    roots = [root] if root is not None else [r.root for r in result.roots]
    if (roots and all(r.pipeline for r in roots)) or (not roots and result.order_only_plain):
        return "order hazard"
    return "kernel hazard" if roots else "kernel or order hazard"


def remedy_text(remedy: Remedy, result: TraceResult, root: Root | None = None) -> str:
    if remedy is Remedy.SEED:
        return f"seed hazard fixed by {SEED_PRELUDE} before the program"
    if remedy is Remedy.DETERMINISM:
        return f"{_hazard(result, root)} fixed by op determinism (tf.config.experimental.enable_op_determinism(), with the seed)"
    if remedy is Remedy.RAISES:
        return f"raises under determinism at {_where(result.raised_at)} (TFD204): {result.raised}"
    if remedy is Remedy.UNEXPLAINED:
        return "still differs: not explained by seeds or op determinism"
    return "reproducible"


def _pair_line(pair: PairOutcome) -> str:
    cmp = pair.comparison
    times = " + ".join(f"{r.seconds:.1f} s" for r in pair.runs)
    failed = [r.status for r in pair.runs if r.status in ("timeout", "crashed")]
    state = "bit-identical" if cmp.identical else "DIFFER (" + "; ".join(cmp.differing.values()) + ")"
    if failed:
        state = f"not compared: a run {' and a run '.join(failed)}"
    if cmp.identical and cmp.differing:
        state += " (ignored by --compare: " + "; ".join(cmp.differing.values()) + ")"
    return f"  {_PAIR_TITLES[pair.name]:<52} {state}  [{times}]"


def render_diff(diff: TensorDiff) -> str:
    shape = "scalar" if diff.shape == () else (str(list(diff.shape)) if diff.shape is not None else "?")
    lines = [
        f"  tensor   {diff.name}  ({diff.op_type}, {diff.event})",
        f"  made at  {_where(diff.location)}",
        f"  shape    {shape} {diff.dtype}",
    ]
    if diff.differing is None:
        lines.append("  values   not saved (over the array cap); fingerprints differ")
    else:
        lines.append(f"  differ   {diff.differing} of {diff.total} elements")
        if diff.max_abs_diff is not None:
            lines.append(f"  max |a-b| {diff.max_abs_diff:.6g}")
    return "\n".join(lines)


def _root_lines(index: int, report: RootReport, result: TraceResult) -> list[str]:
    root = report.root
    times = f" (x{root.occurrences})" if root.occurrences > 1 else ""
    lines = [f"  {index}. {root.op_type} at {_where(root.location)}{times}  [{root.kind} {root.key}]"]
    callers = [_where(loc) for loc in root.stack[:-1]]
    if callers:
        lines.append(f"     called from {' <- '.join(reversed(callers))}")
    if root.pipeline:
        stages = ", ".join(f"{s.op_type} at {_where(s.location)}" for s in root.pipeline)
        lines.append(f"     its elements come from the tf.data pipeline: {stages}")
        if root.source is not None:
            lines.append(f"     likely source: {root.source.op_type} at {_where(root.source.location)}")
    for f in report.findings:
        lines.append(f"     check: {f.code} at line {f.line}: {f.message}")
    if not report.findings:
        lines.append("     check: no static finding on this line")
    lines.append(f"     remedy: {remedy_text(report.remedy, result, root)}")
    return lines


def _env_lines(result: TraceResult) -> list[str]:
    """Per pair whose two runs' env fingerprints differ: ``tfdetlint env --diff``'s lines."""
    out: list[str] = []
    for pair in result.pairs:
        if pair.env_differences:
            out.append(f"The two runs {_PAIR_TITLES[pair.name]} had different environments (as `tfdetlint env --diff`):")
            out += [f"  {line}" for line in difference_lines(pair.env_differences)]
            out.append("")
    return out


def _failed_lines(runs: list[Run]) -> list[str]:
    lines = []
    for run in runs:
        what = "hung (killed at --timeout)" if run.status == "timeout" else f"crashed (exit status {run.returncode})"
        lines.append(f"  a run {what} after {run.seconds:.1f} s; stderr tail:")
        lines += [f"    | {line}" for line in (run.stderr_tail or "(empty)").splitlines()]
    return lines


def render_text(result: TraceResult) -> str:
    out = [f"tfdetlint trace: {shlex.join(result.command)}", "", "Pairs of fresh runs (same command, same environment):"]
    out += [_pair_line(p) for p in result.pairs]
    out.append("")
    out += _env_lines(result)
    if result.failed:
        out.append("The runs could not be compared:")
        out += _failed_lines(result.failed)
        return "\n".join(out) + "\n"
    if result.reproducible:
        out.append("Verdict: the two runs were bit-identical (variables, traced op outputs, printed output).")
    else:
        shown = [p.name for p in result.pairs if p.name in ("traced", "plain") and not p.comparison.identical]
        out.append(f"Verdict: the two runs were NOT bit-identical (shown by the runs {' and '.join(_PAIR_TITLES[n] for n in shown)}).")
        out.append(f"Remedy: {remedy_text(result.remedy, result)}.")
        if any(p.env_differs for p in result.pairs if p.name in shown):
            out.append("Note: those runs did not run in the same environment (above); that alone can explain it.")
    traced = result.pair("traced")
    if result.roots:
        out += ["", "Root ops (first ops whose outputs differ while all their traced inputs agree):"]
        for i, report in enumerate(result.roots, 1):
            out += _root_lines(i, report, result)
    elif result.order_only_plain:
        out += ["", "No root op: the traced runs agreed, so the difference is in order or timing "
                "(tracing slows ops down and can hide it); see the findings marked observed below."]
    elif traced is not None and not result.reproducible:
        out += ["", "No root op among the traced outputs (the cause is outside the traced window or in an op without outputs)."]
    if traced is not None and traced.comparison.first is not None:
        out += ["", "First divergence (traced runs):", render_diff(traced.comparison.first)]
    if traced is not None and traced.comparison.variable_diff is not None:
        out += ["", "First differing variable at exit:", render_diff(traced.comparison.variable_diff)]
    if not result.findings:
        out += ["", "Static findings in the traced files: none."]
    else:
        out += ["", "Static findings in the traced files:"]
        for status in result.findings:
            f = status.finding
            out.append(f"  {_where(Location(os.path.abspath(f.path), f.line))} {f.code} {status.seen.value}")
    out += ["", _budget(result)]
    return "\n".join(out) + "\n"


def _budget(result: TraceResult) -> str:
    runs = [r for p in result.pairs for r in p.runs]
    dump = max((int(r.record.get("dump_bytes", 0)) for r in runs), default=0)
    capped = any(r.record.get("dump_capped") for r in runs)
    ops = max((len(r.record.get("events", [])) for r in runs), default=0)
    stopped = any(r.record.get("dump_stopped") for r in runs)
    note = " (capped: later ops not traced)" if capped else ""
    if stopped:
        note = " (past 4x the cap: run stopped there, compared on the ops traced before)"
    return (
        f"Time: {len(runs)} runs, {result.seconds:.1f} s in all, {max((r.seconds for r in runs), default=0):.1f} s "
        f"the longest. Space: largest dump {dump / 1e6:.1f} MB{note}, {ops} traced outputs."
    )


def _run_json(run: Run) -> dict[str, Any]:
    return {
        "status": run.status,
        "seconds": round(run.seconds, 3),
        "exit_code": run.returncode,
        "dump_bytes": run.record.get("dump_bytes"),
        "traced_outputs": len(run.record.get("events", [])),
        "stderr_tail": run.stderr_tail if run.status != "ok" else "",
        "exception": run.record.get("exception"),
        "env": run.env,  # the run's `tfdetlint env` fingerprint (null: not recorded)
    }


def to_json(result: TraceResult) -> dict[str, Any]:
    traced = result.pair("traced")
    first = traced.comparison.first if traced is not None else None
    return {
        "command": result.command,
        "reproducible": result.reproducible,
        "remedy": result.remedy.value,
        "remedy_text": remedy_text(result.remedy, result),
        "raised_at": str(result.raised_at) if result.raised_at else None,
        "raised": result.raised or None,
        "order_only_without_tracing": result.order_only_plain,
        "pairs": [
            {
                "name": p.name,
                "identical": p.comparison.identical,
                "differing": p.comparison.differing,
                "roots": [str(r.location) for r in p.comparison.roots],
                "runs": [_run_json(r) for r in p.runs],
                "env_differences": [asdict(d) for d in p.env_differences],
                "env_differences_text": difference_lines(p.env_differences) if p.env_differences else [],
            }
            for p in result.pairs
        ],
        "roots": [
            {
                "op_type": r.root.op_type,
                "kind": r.root.kind,
                "key": r.root.key,
                "name": r.root.name,
                "location": str(r.root.location) if r.root.location else None,
                "stack": [str(loc) for loc in r.root.stack],
                "pipeline": [{"op_type": s.op_type, "location": str(s.location) if s.location else None} for s in r.root.pipeline],
                "occurrences": r.root.occurrences,
                "source": str(r.root.source.location) if r.root.source and r.root.source.location else None,
                "remedy": r.remedy.value,
                "remedy_text": remedy_text(r.remedy, result, r.root),
                "findings": [f.to_json() for f in r.findings],
            }
            for r in result.roots
        ],
        "first_divergence": _diff_json(first),
        "findings": [{**s.finding.to_json(), "trace": s.seen.value} for s in result.findings],
        "failed_runs": [_run_json(r) for r in result.failed],
        "seconds": round(result.seconds, 3),
    }


def _diff_json(diff: TensorDiff | None) -> dict[str, Any] | None:
    if diff is None:
        return None
    data = asdict(diff)
    data["location"] = str(diff.location) if diff.location else None
    return data


def render_json(result: TraceResult) -> str:
    return json.dumps(to_json(result), indent=2) + "\n"
