"""Unit tests of trace's comparison, command parsing and the verify probe fixes (no TensorFlow)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

_REPO = str(Path(__file__).resolve().parents[2])
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from tfdetlint.findings import Finding  # noqa: E402
from tfdetlint.trace.compare import compare_runs  # noqa: E402
from tfdetlint.trace.frames import is_user_file  # noqa: E402
from tfdetlint.trace.runs import CommandError, Run, split_command  # noqa: E402
from tfdetlint.verify.catalogue import group_findings, load_catalogue  # noqa: E402
from tfdetlint.verify.core import _build  # noqa: E402
from tfdetlint.verify.report import render_text  # noqa: E402


def _event(key: str, op: str, out: str, inputs: list[str] = (), line: int = 1, **extra: Any) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "key": key,
        "kind": "graph" if key.startswith("g:") else "eager",
        "op_type": op,
        "name": op,
        "t": float(len(key)),
        "outputs": [out],
        "shapes": [[2]],
        "dtypes": ["float32"],
        "inputs": [[i, 0] for i in inputs],
        "stack": [["/p/train.py", line]],
        "unordered": False,
        **extra,
    }


def _run(tmp: Path, events: list[dict[str, Any]], stdout: str = "", status: str = "ok") -> Run:
    tmp.mkdir(parents=True, exist_ok=True)
    record = {"status": status, "events": events, "variables": []}
    (tmp / "record.json").write_text(json.dumps(record))
    return Run(status, 1.0, record, stdout, "", tmp)  # type: ignore[arg-type]


def test_root_is_first_differing_op_with_identical_inputs(tmp_path: Path) -> None:
    a = [_event("e0:Const", "Const", "c"), _event("e1:RandomStandardNormal", "RandomStandardNormal", "r1", ["e0:Const"], 5),
         _event("e2:AddV2", "AddV2", "s1", ["e1:RandomStandardNormal"], 6)]
    b = [_event("e0:Const", "Const", "c"), _event("e1:RandomStandardNormal", "RandomStandardNormal", "r2", ["e0:Const"], 5),
         _event("e2:AddV2", "AddV2", "s2", ["e1:RandomStandardNormal"], 6)]
    cmp = compare_runs(_run(tmp_path / "a", a), _run(tmp_path / "b", b))
    assert not cmp.identical
    assert [(r.op_type, r.location.line if r.location else 0) for r in cmp.roots] == [("RandomStandardNormal", 5)]


def test_pass_through_and_function_calls_are_not_roots(tmp_path: Path) -> None:
    # The eager call of f differs only because RandomUniform inside it differs.
    common = dict(graph="f")
    a = [_event("e0:__inference_f_1", "__inference_f_1", "x1", line=9, **common),
         _event("g:f/RandomUniform:0#0", "RandomUniform", "u1", line=7, chain=["f"]),
         _event("g:f/Identity:0#0", "Identity", "x1", ["g:f/RandomUniform:0#0"], 8, chain=["f"])]
    b = [_event("e0:__inference_f_1", "__inference_f_1", "x2", line=9, **common),
         _event("g:f/RandomUniform:0#0", "RandomUniform", "u2", line=7, chain=["f"]),
         _event("g:f/Identity:0#0", "Identity", "x2", ["g:f/RandomUniform:0#0"], 8, chain=["f"])]
    cmp = compare_runs(_run(tmp_path / "a", a), _run(tmp_path / "b", b))
    assert [r.op_type for r in cmp.roots] == ["RandomUniform"]


def test_unordered_tf_data_outputs_compare_as_multisets(tmp_path: Path) -> None:
    a = [_event("g:Dataset_map/Mul:0#0", "Mul", "1", unordered=True), _event("g:Dataset_map/Mul:0#1", "Mul", "2", unordered=True)]
    b = [_event("g:Dataset_map/Mul:0#0", "Mul", "2", unordered=True), _event("g:Dataset_map/Mul:0#1", "Mul", "1", unordered=True)]
    cmp = compare_runs(_run(tmp_path / "a", a), _run(tmp_path / "b", b))
    assert cmp.identical and not cmp.roots


def test_compare_weights_ignores_printed_output(tmp_path: Path) -> None:
    a, b = _run(tmp_path / "a", [], "1\n"), _run(tmp_path / "b", [], "2\n")
    assert not compare_runs(a, b).identical
    assert compare_runs(a, b, "weights").identical


def test_split_command() -> None:
    assert split_command(["python", "-u", "train.py", "--lr", "1"]) == ("python", ["train.py", "--lr", "1"])
    assert split_command(["python3", "-m", "pkg.train"]) == ("python3", ["-m", "pkg.train"])
    with pytest.raises(CommandError):
        split_command(["bash", "run.sh"])
    with pytest.raises(CommandError):
        split_command(["python", "-c", "print(1)"])


def test_user_frames_skip_libraries() -> None:
    import json as stdlib_module

    assert is_user_file("/home/me/project/train.py")
    assert not is_user_file("/x/lib/python3.11/site-packages/tensorflow/python/ops/random_ops.py")
    assert not is_user_file("/tmp/<frozen runpy>")
    assert not is_user_file(stdlib_module.__file__)


def test_weighted_bincount_finding_gets_weights_in_its_probe() -> None:
    # checks/ops.py does not record the weights argument; TFD203 on bincount implies it.
    finding = Finding("t.py", 3, 1, "TFD203", "m", api="tensorflow.math.bincount")
    (group,), unprobed = group_findings([finding], load_catalogue())
    assert not unprobed and group.probe.id == "bincount_weights"
    assert dict(group.args) == {"weights": "<non-literal>"}
    plain = Finding("t.py", 4, 1, "TFD202", "m", api="tensorflow.math.bincount")
    (unweighted,), _ = group_findings([plain], load_catalogue())
    assert unweighted.probe.id == "bincount" and "weights" not in dict(unweighted.args)


def test_stand_in_probe_says_so_and_text_says_probes_check_the_api() -> None:
    finding = Finding("t.py", 3, 1, "TFD404", "m", api="tensorflow.random.truncated_normal",
                      args=(("in", "tensorflow.data.Dataset.map"),))
    (group,), _ = group_findings([finding], load_catalogue())
    same = {"state": "identical", "runs": 4, "processes": 2, "per_process": 2, "max_abs_diff": None, "differing_elements": None}
    verdict = _build(finding, group, "CPU:0", {"nd": same, "det": same})
    assert verdict.stand_in and verdict.detail.startswith("checked with a `tf.random.uniform` stand-in")
    exact = Finding("t.py", 3, 1, "TFD404", "m", api="tensorflow.random.uniform", args=finding.args)
    (group,), _ = group_findings([exact], load_catalogue())
    assert _build(exact, group, "CPU:0", {"nd": same, "det": same}).stand_in == ""
    assert "not your line" in render_text([verdict])


def _outcome(name: str, identical: bool, roots: list[Any] = (), dump: bool = True, raised: bool = False) -> Any:  # type: ignore[assignment]
    from tfdetlint.trace.command import PairOutcome
    from tfdetlint.trace.compare import PairComparison
    from tfdetlint.trace.runs import BootOptions

    status = "exception" if raised else "ok"
    record = {"exception": "RuntimeError", "message": "boom", "stack": [["/p/t.py", 4]]} if raised else {}
    run = Run(status, 1.0, record, "", "", Path("."))  # type: ignore[arg-type]
    return PairOutcome(name, BootOptions(dump=dump), (run, run), PairComparison(identical, roots=list(roots)))  # type: ignore[arg-type]


def _root(op: str, line: int) -> Any:
    from tfdetlint.trace.compare import Location, Root

    loc = Location("/p/t.py", line)
    return Root(f"e{line}:{op}", "eager", op, op, loc, (loc,))


def test_remedy_per_root_and_program() -> None:
    from tfdetlint.trace.command import Remedy, _story

    seed_root, kernel_root = _root("RandomStandardNormal", 3), _root("DenseBincount", 7)
    pairs = [
        _outcome("traced", False, [seed_root, kernel_root]),
        _outcome("seeded", False, [kernel_root]),
        _outcome("determined", False, [kernel_root]),
    ]
    result = _story(["python", "t.py"], pairs, [])
    assert result.remedy is Remedy.UNEXPLAINED
    assert [r.remedy for r in result.roots] == [Remedy.SEED, Remedy.UNEXPLAINED]
    pairs[2] = _outcome("determined", True)
    assert _story(["python", "t.py"], pairs, []).remedy is Remedy.DETERMINISM
    pairs[2] = _outcome("determined", False, raised=True)
    raised = _story(["python", "t.py"], pairs, [])
    assert raised.remedy is Remedy.RAISES and str(raised.raised_at) == "/p/t.py:4"
    assert "RuntimeError: boom" in raised.raised


def test_timeout_is_reported_with_stderr_tail(tmp_path: Path) -> None:
    from tfdetlint.trace.runs import BootOptions, run_once

    script = tmp_path / "slow.py"
    script.write_text("import time\ntime.sleep(60)\n")
    run = run_once([sys.executable, str(script)], BootOptions(dump=False), 0.5, tmp_path / "w")
    assert run.status == "timeout" and run.seconds < 30


def test_values_without_dumps_differ_when_their_function_did(tmp_path: Path) -> None:
    # Keras' fit loop: an eager call returns an Optional (no value dumped) built from a function
    # whose traced ops differ; reading the Optional is not a root op.
    def events(value: str) -> list[dict[str, Any]]:
        call = _event("e0:__inference_step_1", "__inference_step_1", "", line=18, graph="step")
        inner = _event("g:step/RandomUniform:0#0", "RandomUniform", value, line=11, chain=["step"])
        read = _event("e1:OptionalGetValue", "OptionalGetValue", value, ["e0:__inference_step_1"], 18)
        return [call, inner, read]

    cmp = compare_runs(_run(tmp_path / "a", events("1")), _run(tmp_path / "b", events("2")))
    assert [(r.op_type, r.location.line if r.location else 0) for r in cmp.roots] == [("RandomUniform", 11)]


def test_cli_parses_the_command_after_double_dash(capsys: pytest.CaptureFixture[str]) -> None:
    from tfdetlint.cli import build_parser, main

    args = build_parser().parse_args(["trace", "--format", "json", "--steps", "3", "--", "python", "t.py", "--lr", "1"])
    assert args.program == ["--", "python", "t.py", "--lr", "1"] and args.steps == 3
    assert main(["trace", "--", "bash", "run.sh"]) == 2
    assert "runs Python programs" in capsys.readouterr().err


def test_crashing_runs_are_reported_with_stderr_tail(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tfdetlint.trace.command import TraceSettings, trace
    from tfdetlint.trace.report import render_text

    # A TensorFlow that dies on import stands in for a crash (no real TF import: fast).
    fake = tmp_path / "fake" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("import os, sys\nsys.stderr.write('about to die\\n')\nsys.stderr.flush()\nos._exit(3)\n")
    monkeypatch.setenv("PYTHONPATH", str(fake.parent))
    script = tmp_path / "train.py"
    script.write_text("print('never runs')\n")
    result = trace([sys.executable, str(script)], TraceSettings(timeout=60))
    assert len(result.failed) == 2 and all(r.status == "crashed" for r in result.failed)
    assert [p.name for p in result.pairs] == ["traced"]
    text = render_text(result)
    assert "crashed (exit status 3)" in text and "about to die" in text and "not compared" in text


def _env(tf_version: str, deterministic_ops: str | None) -> dict[str, Any]:
    """A run's env fingerprint, as ``tfdetlint env`` records it (the parts these tests vary)."""
    return {"schema": 1, "tool": "tfdetlint 0", "recorded": "2026-01-01T00:00:00Z", "host": "h",
            "python": {"version": "3.11.7", "implementation": "CPython", "executable": "/usr/bin/python3"},
            "tensorflow": {"status": "ok", "version": tf_version, "onednn": "off"},
            "env": {"TF_DETERMINISTIC_OPS": deterministic_ops, "PYTHONHASHSEED": None},
            "packages": {"count": 0, "digest": "", "versions": {}}}


def test_runs_in_different_environments_are_explained_with_env_diff_lines(tmp_path: Path) -> None:
    from tfdetlint.trace.command import PairOutcome, _story, env_differences
    from tfdetlint.trace.compare import PairComparison
    from tfdetlint.trace.report import render_json
    from tfdetlint.trace.report import render_text as render_trace
    from tfdetlint.trace.runs import BootOptions

    a = Run("ok", 1.0, {}, "1\n", "", tmp_path / "a", 0, env=_env("2.20.0", None))
    b = Run("ok", 1.0, {}, "2\n", "", tmp_path / "b", 0, env=_env("2.21.0", "1"))
    assert env_differences(a, a) == [] and env_differences(a, Run("crashed", 1.0, {}, "", "", tmp_path)) == []
    differences = env_differences(a, b)
    assert [d.key for d in differences] == ["env.TF_DETERMINISTIC_OPS", "tensorflow.version"]
    pair = PairOutcome("traced", BootOptions(dump=True), (a, b), PairComparison(False, {"stdout": "printed output"}),
                       differences)
    result = _story(["python", "t.py"], [pair], [])
    text = render_trace(result)
    assert "The two runs with per-op tracing had different environments (as `tfdetlint env --diff`):" in text
    assert "  tensorflow.version: 2.20.0 -> 2.21.0\n      why: TensorFlow changes kernels between versions" in text
    assert "  env.TF_DETERMINISTIC_OPS: (unset) -> 1\n" in text
    assert "  2 difference(s) that can change results, 0 informational\n" in text
    assert "Note: those runs did not run in the same environment" in text
    data = json.loads(render_json(result))
    assert [r["env"]["tensorflow"]["version"] for r in data["pairs"][0]["runs"]] == ["2.20.0", "2.21.0"]
    assert data["pairs"][0]["env_differences_text"][2] == "tensorflow.version: 2.20.0 -> 2.21.0"
    assert data["pairs"][0]["env_differences"][1]["relevant"] is True
