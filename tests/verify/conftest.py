"""Shared fixtures for the verify tests.

The expensive part of every TF test is importing TensorFlow in fresh worker processes, so the
must-confirm cases share one ``verify_findings`` call (module-scoped ``verified`` fixture).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

# Test the checkout even when plain `pytest` runs without the package installed; the worker
# subprocesses find the same checkout through PYTHONPATH (see verify/runner.py).
_REPO = str(Path(__file__).resolve().parents[2])
if _REPO not in sys.path:
    sys.path.insert(0, _REPO)

from tfdetlint.findings import Finding  # noqa: E402

# A stand-in for analysed user code: running it would create MARKER next to it.
USER_SCRIPT = """\
import pathlib
pathlib.Path(__file__).with_name("MARKER").write_text("user code ran")
import tensorflow as tf
x = tf.random.normal([3])
"""

# name -> (code, api, args); the names are what the tests look verdicts up by.
CASES: dict[str, tuple[str, str, tuple[tuple[str, str], ...]]] = {
    "normal_unseeded": ("TFD101", "tensorflow.random.normal", ()),
    "normal_seeded": ("TFD101", "tensorflow.random.normal", (("seed", "7"),)),
    "shuffle_unseeded": ("TFD103", "tensorflow.data.Dataset.shuffle", (("0", "64"),)),
    "shuffle_seeded": ("TFD103", "tensorflow.data.Dataset.shuffle", (("seed", "42"),)),
    "list_files_unseeded": ("TFD103", "tensorflow.data.Dataset.list_files", ()),
    "list_files_seeded": ("TFD103", "tensorflow.data.Dataset.list_files", (("seed", "3"),)),
    "map_nondeterministic": (
        "TFD401",
        "tensorflow.data.Dataset.map",
        (("deterministic", "False"), ("num_parallel_calls", "tf.data.AUTOTUNE")),
    ),
    "map_default": (
        "TFD401",
        "tensorflow.data.Dataset.map",
        (("num_parallel_calls", "tf.data.AUTOTUNE"),),
    ),
    "random_in_map": (
        "TFD404",
        "tensorflow.random.uniform",
        (("in", "tensorflow.data.Dataset.map"),),
    ),
    "crop_and_resize": ("TFD301", "tensorflow.image.crop_and_resize", ()),
    "scatter_add": ("TFD302", "tensorflow.Variable.scatter_add", ()),
    "bincount_weighted": ("TFD303", "tensorflow.math.bincount", (("weights", "w"),)),
    "unsorted_segment_sum": ("TFD304", "tensorflow.math.unsorted_segment_sum", ()),
    "unknown_api": ("TFD999", "tensorflow.not_a_real_api", ()),
}


def make_findings(script: Path) -> dict[str, Finding]:
    return {
        name: Finding(str(script), line, 1, code, f"test case {name}", api=api, args=args)
        for line, (name, (code, api, args)) in enumerate(CASES.items(), start=1)
    }


class Verified:
    def __init__(
        self,
        findings: dict[str, Finding],
        verdicts: list,
        elapsed: float,
        cache_dir: Path,
        script: Path,
    ) -> None:
        self.findings = findings
        self.verdicts = verdicts
        self.elapsed = elapsed
        self.cache_dir = cache_dir
        self.script = script

    def rows(self, name: str) -> list:
        line = self.findings[name].line
        return [v for v in self.verdicts if v.line == line]

    def on(self, name: str, device: str):  # type: ignore[no-untyped-def]
        (row,) = [v for v in self.rows(name) if v.device == device]
        return row


@pytest.fixture(scope="module")
def verified(tmp_path_factory: pytest.TempPathFactory) -> Verified:
    pytest.importorskip("tensorflow")
    from tfdetlint.verify import verify_findings

    root = tmp_path_factory.mktemp("verify")
    script = root / "user_script.py"
    script.write_text(USER_SCRIPT)
    findings = make_findings(script)
    start = time.monotonic()
    # Two logical CPUs: every must-confirm case is then checked on two devices, which also
    # exercises the multi-device bookkeeping without a GPU.
    verdicts = verify_findings(
        list(findings.values()), cache_dir=root / "cache", logical_cpus=2, timeout=120
    )
    return Verified(findings, verdicts, time.monotonic() - start, root / "cache", script)


@pytest.fixture
def finding_factory() -> Callable[..., Finding]:
    def make(
        api: str,
        code: str = "TFD101",
        args: tuple[tuple[str, str], ...] = (),
        path: str = "x.py",
        line: int = 1,
    ) -> Finding:
        return Finding(path, line, 1, code, "m", api=api, args=args)

    return make
