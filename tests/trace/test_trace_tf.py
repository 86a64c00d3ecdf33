"""``tfdetlint trace`` on real TensorFlow (CPU): each small script in ``data/`` has one hazard,
which must be root-caused to its line and classified by the remedy that removes it.

Every trace runs 4 to 8 fresh TF processes, so each script is traced once per module and the
assertions share the result.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

_REPO = str(Path(__file__).resolve().parents[2])
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from tfdetlint.trace.command import Remedy, Seen, TraceResult, TraceSettings, trace  # noqa: E402
from tfdetlint.trace.report import render_json, render_text  # noqa: E402
from tfdetlint.trace.static import join  # noqa: E402

pytestmark = pytest.mark.tensorflow

DATA = Path(__file__).parent / "data"
_CACHE: dict[str, TraceResult] = {}


def traced(script: str) -> TraceResult:
    if script not in _CACHE:
        pytest.importorskip("tensorflow")
        path = DATA / script
        settings = TraceSettings(timeout=240, cwd=path.parent)
        result = trace([sys.executable, str(path)], settings)
        join(result, path)
        _CACHE[script] = result
    return _CACHE[script]


def _root_at(result: TraceResult, file: str, line: int) -> list[str]:
    """Op types of the root ops whose hazard is written at file:line (own line or pipeline source)."""
    found = []
    for report in result.roots:
        places = [report.root.location] + ([report.root.source.location] if report.root.source else [])
        if any(p is not None and Path(p.path).name == file and p.line == line for p in places):
            found.append(report.root.op_type)
    return found


def _seen(result: TraceResult, code: str, line: int) -> Seen:
    (status,) = [s for s in result.findings if s.finding.code == code and s.finding.line == line]
    return status.seen


def test_unseeded_random_normal() -> None:
    result = traced("normal_unseeded.py")
    assert not result.reproducible
    assert _root_at(result, "normal_unseeded.py", 5) == ["RandomStandardNormal"]
    assert result.remedy is Remedy.SEED and result.roots[0].remedy is Remedy.SEED
    assert [f.code for f in result.roots[0].findings] == ["TFD101", "TFD501"]
    assert _seen(result, "TFD101", 5) is Seen.OBSERVED
    first = result.pairs[0].comparison.first
    assert first is not None and first.shape == (4,) and first.differing == 4
    assert first.max_abs_diff is not None and first.max_abs_diff > 0
    text = render_text(result)
    assert "RandomStandardNormal at " in text and "normal_unseeded.py:5" in text
    assert "seed hazard fixed by keras.utils.set_random_seed(0)" in text


def test_unseeded_keras_dropout_in_fit() -> None:
    result = traced("keras_dropout.py")
    assert not result.reproducible
    assert _root_at(result, "keras_dropout.py", 11)  # keras.layers.Dropout(0.5)
    assert all(r.root.location is not None and r.root.location.line == 11 for r in result.roots)
    assert result.remedy is Remedy.SEED
    differing = result.pairs[0].comparison.differing
    assert "losses" in differing and "variables" in differing
    assert _seen(result, "TFD102", 11) is Seen.OBSERVED
    # check flags Dense (line 10) as random, but its initializers are seeded: the runs agree there.
    assert _seen(result, "TFD501", 10) is Seen.NOT_OBSERVED


def test_unseeded_dataset_shuffle() -> None:
    result = traced("dataset_shuffle.py")
    assert _root_at(result, "dataset_shuffle.py", 5) == ["IteratorGetNext"]
    (report,) = result.roots
    assert report.root.source is not None and report.root.source.op_type.startswith("ShuffleDataset")
    assert report.remedy is Remedy.SEED and result.remedy is Remedy.SEED
    assert _seen(result, "TFD301", 5) is Seen.OBSERVED


def test_parallel_map_not_deterministic() -> None:
    result = traced("map_nondeterministic.py")
    assert not result.reproducible
    plain = result.pair("plain")
    assert plain is not None and not plain.comparison.identical  # seen without tracing too
    assert result.remedy is Remedy.DETERMINISM
    assert _seen(result, "TFD401", 12) is Seen.OBSERVED
    if result.roots:  # when tracing did not hide it, the pipeline names the parallel map
        assert _root_at(result, "map_nondeterministic.py", 12) == ["IteratorGetNext"]


def test_weighted_bincount_unexplained() -> None:
    result = traced("bincount_weighted.py")
    assert not result.reproducible
    ops = _root_at(result, "bincount_weighted.py", 11)
    assert ops and all("Bincount" in op for op in ops)
    assert result.remedy is Remedy.UNEXPLAINED
    assert all(r.remedy is Remedy.UNEXPLAINED for r in result.roots)
    assert _seen(result, "TFD203", 11) is Seen.OBSERVED
    assert "still differs: not explained by seeds or op determinism" in render_text(result)


def test_random_op_inside_tf_function() -> None:
    result = traced("function_random.py")
    assert _root_at(result, "function_random.py", 6) == ["RandomUniform"]
    (report,) = result.roots
    assert report.root.kind == "graph" and report.remedy is Remedy.SEED
    assert _seen(result, "TFD101", 6) is Seen.OBSERVED


def test_hazard_in_project_helper_module() -> None:
    result = traced("helper_project/train.py")
    assert _root_at(result, "augment.py", 5) == ["RandomStandardNormal"]
    (report,) = result.roots
    assert [(Path(p.path).name, p.line) for p in report.root.stack][-2:] == [("train.py", 6), ("augment.py", 5)]
    assert report.remedy is Remedy.SEED


def test_fully_seeded_script_is_reproducible() -> None:
    result = traced("seeded.py")
    assert result.reproducible and result.remedy is Remedy.NONE and not result.roots
    assert [p.name for p in result.pairs] == ["traced", "plain"]
    data = json.loads(render_json(result))
    assert data["reproducible"] is True and data["first_divergence"] is None
    assert "bit-identical" in render_text(result)


def installed_tensorflow_version() -> str:
    """TensorFlow's version from its distribution, whichever build is installed (CI has the CPU one)."""
    import importlib.metadata

    for name in ("tensorflow", "tensorflow-cpu", "tensorflow-intel", "tf-nightly"):
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    raise AssertionError("no TensorFlow distribution installed")


def test_json_report_has_each_runs_env_fingerprint() -> None:
    result = traced("seeded.py")  # shared with the test above: no extra runs
    data = json.loads(render_json(result))
    runs = [run for pair in data["pairs"] for run in pair["runs"]]
    assert len(runs) == 4
    for run in runs:
        env = run["env"]
        assert env["schema"] == 1 and env["tensorflow"]["status"] == "ok"
        assert env["tensorflow"]["version"] == installed_tensorflow_version()
        assert env["tensorflow"]["onednn"] in ("on", "off") and "TF_DETERMINISTIC_OPS" in env["env"]
    assert all(pair["env_differences"] == [] for pair in data["pairs"])  # one machine, one environment
    assert "different environments" not in render_text(result)


CAPPED = """\
import tensorflow as tf

@tf.function
def step(x):
    return tf.matmul(x, x) * 0.5

x = tf.ones([64, 64])
for _ in range(400):
    x = step(x) / 100.0
print(float(tf.reduce_sum(x)))
"""


def test_dump_cap_pauses_tracing_without_crashing(tmp_path: Path) -> None:
    from tfdetlint.trace.runs import BootOptions, run_once

    pytest.importorskip("tensorflow")
    script = tmp_path / "loop.py"
    script.write_text(CAPPED)
    run = run_once([sys.executable, str(script)], BootOptions(dump=True, dump_cap=100_000), 240, tmp_path / "w")
    # Closing the dump while instrumented functions still run used to kill TF with SIGSEGV.
    assert run.returncode is not None and run.returncode >= 0, run.stderr_tail
    assert run.record["dump_capped"] is True
    assert run.record["eager_total"] < 400  # tracing stopped long before the loop ended
    # The run's env fingerprint stays in its record folder (what --keep keeps), for `env --diff`.
    assert run.env is not None and json.loads((tmp_path / "w" / "env.json").read_text()) == run.env
