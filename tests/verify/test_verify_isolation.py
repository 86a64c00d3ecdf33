"""Failure isolation: probes that crash, hang or run out of memory, and TensorFlow missing."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tfdetlint.findings import Finding
from tfdetlint.verify import TF_MISSING_MESSAGE

REPO = Path(__file__).resolve().parents[2]

_INDEX = """
[[probe]]
id = "good"
file = "good.py"
apis = ["test.good"]

[[probe]]
id = "exits"
file = "exits.py"
apis = ["test.exits"]

[[probe]]
id = "segfault"
file = "segfault.py"
apis = ["test.segfault"]

[[probe]]
id = "hangs"
file = "hangs.py"
apis = ["test.hangs"]

[[probe]]
id = "oom"
file = "oom.py"
apis = ["test.oom"]
"""

_SNIPPETS = {
    "good.py": "def run():\n    return tf.range(10)\n",
    "exits.py": "import os\n\ndef run():\n    os._exit(3)\n",
    "segfault.py": "import ctypes\n\ndef run():\n    return ctypes.string_at(0)\n",
    "hangs.py": "import time\n\ndef run():\n    time.sleep(3600)\n",
    # A real allocation failure would take the machine down with it; MemoryError is what
    # Python raises when an allocation is refused.
    "oom.py": "def run():\n    raise MemoryError('cannot allocate 1 TiB')\n",
}


@pytest.mark.tensorflow
def test_crashing_and_hanging_probes_are_errors_others_still_run(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    from tfdetlint.verify import verify_findings

    probes = tmp_path / "probes"
    probes.mkdir()
    (probes / "index.toml").write_text(_INDEX)
    for name, text in _SNIPPETS.items():
        (probes / name).write_text(text)
    # The good probe last: it must still run after three workers died before it.
    apis = ["test.exits", "test.segfault", "test.hangs", "test.oom", "test.good"]
    findings = [Finding("u.py", i, 1, "TFD900", "m", api=a) for i, a in enumerate(apis, 1)]
    verdicts = verify_findings(
        findings, device="cpu", timeout=8, probes_dir=probes, cache_dir=tmp_path / "cache"
    )
    by_api = {v.api: v for v in verdicts}
    assert set(by_api) == set(apis) and len(verdicts) == len(apis)

    assert by_api["test.good"].verdict == "not-reproduced", by_api["test.good"].detail
    exits = by_api["test.exits"]
    assert exits.verdict == "error" and "exited with status 3" in exits.detail
    seg = by_api["test.segfault"]
    assert seg.verdict == "error" and "SIGSEGV" in seg.detail
    hang = by_api["test.hangs"]
    assert hang.verdict == "error" and "timeout" in hang.detail and hang.error_type == "Timeout"
    oom = by_api["test.oom"]
    assert oom.verdict == "error" and oom.error_type == "MemoryError"
    # errors are not cached: a flaky crash must be retried next time
    cached = list((tmp_path / "cache").glob("*.json"))
    assert len(cached) == 2  # the good probe's outcome and the device list


_HIDE_TF = """
import importlib.machinery, sys


class _PathFinderWithoutTensorFlow:
    # Stands in for the path finder, so tensorflow is simply not found (find_spec -> None),
    # as on a machine where it is not installed.
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "tensorflow" or name.startswith("tensorflow."):
            return None
        return importlib.machinery.PathFinder.find_spec(name, path, target)

    @staticmethod
    def invalidate_caches():
        importlib.machinery.PathFinder.invalidate_caches()


sys.meta_path[:] = [
    _PathFinderWithoutTensorFlow if f is importlib.machinery.PathFinder else f
    for f in sys.meta_path
]
"""


def test_without_tensorflow_one_line_and_exit_2(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(_HIDE_TF)
    program = textwrap.dedent(
        """
        import sys
        from tfdetlint.findings import Finding
        from tfdetlint.verify.command import run_verify_command
        f = Finding("x.py", 1, 1, "TFD101", "m", api="tensorflow.random.normal")
        code = run_verify_command([f], "all", 60.0, "text", sys.stdout)
        assert "tensorflow" not in sys.modules
        import importlib.util
        assert importlib.util.find_spec("tensorflow") is None
        sys.exit(code)
        """
    )
    env = {"PYTHONPATH": f"{tmp_path}:{REPO}", "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-c", program], env=env, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == "" and proc.stderr == TF_MISSING_MESSAGE + "\n"  # an error: stderr


def test_without_tensorflow_monkeypatched(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from tfdetlint.verify.command import run_verify_command

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "tensorflow" else real(name, *a),
    )
    out, err = io.StringIO(), io.StringIO()
    f = Finding("x.py", 1, 1, "TFD101", "m", api="tensorflow.random.normal")
    assert run_verify_command([f], "all", 60.0, "json", out, err) == 2
    assert out.getvalue() == "" and err.getvalue() == TF_MISSING_MESSAGE + "\n"  # JSON stays clean


def test_importing_verify_does_not_import_tensorflow() -> None:
    program = (
        "import sys, tfdetlint.verify, tfdetlint.verify.command, tfdetlint.verify.report, "
        "tfdetlint.verify._worker, tfdetlint.verify.runner\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow imported'\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", program],
        env={"PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr


@pytest.mark.tensorflow
def test_a_probe_that_sets_a_seed_does_not_seed_the_next_probe(tmp_path: Path) -> None:
    """Probes share a worker process; the random-in-parallel-map probe calls tf.random.set_seed.

    An unseeded tf.random.normal probed after it in the same worker must still differ across
    processes (facts (c)); before the worker reset global random state it came out 'not-reproduced'.
    """
    pytest.importorskip("tensorflow")
    from tfdetlint.findings import Finding
    from tfdetlint.verify import verify_findings

    script = tmp_path / "pipeline.py"
    script.write_text("# never executed by the verifier\n")
    first = Finding(str(script), 3, 1, "TFD404", "m", api="tensorflow.random.uniform",
                    args=(("in", "tensorflow.data.Dataset.map"),))
    second = Finding(str(script), 5, 1, "TFD101", "m", api="tensorflow.random.normal",
                     args=(("stddev", "0.01"),))
    verdicts = verify_findings([first, second], cache_dir=tmp_path / "cache", device="cpu", timeout=120)
    normal = [v for v in verdicts if v.code == "TFD101" and v.device.startswith("CPU")]
    assert normal and all(v.verdict == "confirmed" for v in normal), normal
