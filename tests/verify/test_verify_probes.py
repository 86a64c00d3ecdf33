"""The verifier against real TensorFlow on CPU: the must-confirm cases of the facts file.

All cases share one ``verify_findings`` run (see conftest) split over two logical CPUs, so every
assertion below holds on both devices.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tfdetlint.findings import Finding

pytestmark = pytest.mark.tensorflow

CPUS = ("CPU:0", "CPU:1")


def _confirmed(verified, name: str) -> None:  # type: ignore[no-untyped-def]
    for dev in CPUS:
        row = verified.on(name, dev)
        assert row.verdict == "confirmed", row.detail
        assert row.max_abs_diff is not None and row.max_abs_diff > 0
        assert row.differing_elements and row.differing_elements > 0
        assert row.runs >= 4
        assert "max abs diff" in row.detail


def _not_reproduced(verified, name: str) -> None:  # type: ignore[no-untyped-def]
    for dev in CPUS:
        row = verified.on(name, dev)
        assert row.verdict == "not-reproduced", row.detail
        assert row.runs >= 4
        assert f"over {row.runs} runs" in row.detail
        assert row.max_abs_diff is None


def test_unseeded_normal_confirmed_and_raises_under_determinism(verified) -> None:  # type: ignore[no-untyped-def]
    _confirmed(verified, "normal_unseeded")
    row = verified.on("normal_unseeded", "CPU:0")
    assert row.under_determinism == "raises"
    assert row.error_type == "RuntimeError"
    assert "seed" in (row.error_message or "")


def test_seeded_normal_not_reproduced(verified) -> None:  # type: ignore[no-untyped-def]
    _not_reproduced(verified, "normal_seeded")


def test_dataset_shuffle(verified) -> None:  # type: ignore[no-untyped-def]
    _confirmed(verified, "shuffle_unseeded")
    _not_reproduced(verified, "shuffle_seeded")


def test_list_files(verified) -> None:  # type: ignore[no-untyped-def]
    _confirmed(verified, "list_files_unseeded")
    _not_reproduced(verified, "list_files_seeded")


def test_parallel_map_order(verified) -> None:  # type: ignore[no-untyped-def]
    _confirmed(verified, "map_nondeterministic")
    _not_reproduced(verified, "map_default")
    for dev in CPUS:
        # op determinism forces input order back
        assert verified.on("map_nondeterministic", dev).under_determinism == "identical"
        assert verified.on("map_default", dev).under_determinism == "identical"


def test_stateful_random_inside_parallel_map(verified) -> None:  # type: ignore[no-untyped-def]
    _confirmed(verified, "random_in_map")
    for dev in CPUS:
        assert verified.on("random_in_map", dev).under_determinism == "identical"


@pytest.mark.parametrize("name", ["crop_and_resize", "scatter_add"])
def test_cpu_races_fixed_by_op_determinism(verified, name: str) -> None:  # type: ignore[no-untyped-def]
    _confirmed(verified, name)
    for dev in CPUS:
        row = verified.on(name, dev)
        assert row.under_determinism == "identical", row.detail
        assert "with op determinism: bit-identical" in row.detail


def test_weighted_bincount_still_differs_under_determinism(verified) -> None:  # type: ignore[no-untyped-def]
    _confirmed(verified, "bincount_weighted")
    for dev in CPUS:
        row = verified.on("bincount_weighted", dev)
        assert row.under_determinism == "differs", row.detail
        assert row.determinism_max_abs_diff and row.determinism_max_abs_diff > 0
        assert "STILL differs" in row.detail


def test_segment_sum_gpu_only_hazard_is_honest(verified) -> None:  # type: ignore[no-untyped-def]
    _not_reproduced(verified, "unsorted_segment_sum")
    row = verified.on("unsorted_segment_sum", "CPU:0")
    assert "GPU" in row.detail and "atomicAdd" in row.detail
    gpu = verified.on("unsorted_segment_sum", "GPU")
    assert gpu.verdict == "skipped"
    assert "no GPU" in gpu.detail and "atomicAdd" in gpu.detail
    assert not any(v.verdict == "confirmed" for v in verified.rows("unsorted_segment_sum"))


def test_one_row_per_finding_and_device(verified) -> None:  # type: ignore[no-untyped-def]
    for name in verified.findings:
        rows = verified.rows(name)
        if name == "unknown_api":
            assert [r.verdict for r in rows] == ["no-probe"]
        else:
            assert sorted(r.device for r in rows) == ["CPU:0", "CPU:1", "GPU"]


def test_user_code_never_runs(verified) -> None:  # type: ignore[no-untyped-def]
    assert verified.script.exists()
    assert not (verified.script.parent / "MARKER").exists()
    assert not (Path.cwd() / "MARKER").exists()


def test_second_run_is_served_from_cache(verified) -> None:  # type: ignore[no-untyped-def]
    from tfdetlint.verify import verify_findings

    start = time.monotonic()
    again = verify_findings(
        list(verified.findings.values()), cache_dir=verified.cache_dir, logical_cpus=2
    )
    assert time.monotonic() - start < 2.0  # no worker process, no TF import
    assert [(v.line, v.device, v.verdict, v.detail) for v in again] == [
        (v.line, v.device, v.verdict, v.detail) for v in verified.verdicts
    ]
    leftovers = [p for p in verified.cache_dir.iterdir() if p.suffix != ".json"]
    assert leftovers == []  # atomic writes leave no temp files


def test_device_filter_uses_cached_devices(verified) -> None:  # type: ignore[no-untyped-def]
    from tfdetlint.verify import verify_findings

    f: Finding = verified.findings["unsorted_segment_sum"]
    gpu_only = verify_findings([f], device="gpu", cache_dir=verified.cache_dir, logical_cpus=2)
    assert [(v.device, v.verdict) for v in gpu_only] == [("GPU", "skipped")]
    cpu_only = verify_findings([f], device="cpu", cache_dir=verified.cache_dir, logical_cpus=2)
    assert [(v.device, v.verdict) for v in cpu_only] == [
        ("CPU:0", "not-reproduced"),
        ("CPU:1", "not-reproduced"),
    ]


def test_json_and_text_reports(verified) -> None:  # type: ignore[no-untyped-def]
    from tfdetlint.verify.command import exit_code
    from tfdetlint.verify.report import render_json, render_text

    data = json.loads(render_json(verified.verdicts))
    assert len(data) == len(verified.verdicts)
    for obj in data:
        assert {"path", "line", "code", "api", "device", "verdict", "runs", "detail"} <= set(obj)
    text = render_text(verified.verdicts)
    assert f"{verified.script}:1" in text and "confirmed" in text
    assert exit_code(verified.verdicts) == 1
