"""``tfdetlint env``: the fingerprint of this machine, and ``--diff`` on two recorded ones."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from tfdetlint import machine
from tfdetlint.cli import main

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "data" / "env"
A100 = FIXTURES / "a100_tf220.json"  # TF 2.20, cuDNN 9, A100, AMD CPU, PYTHONHASHSEED=0
H100 = FIXTURES / "h100_tf221.json"  # TF 2.21, cuDNN 9.3, H100, AVX-512/AMX CPU with oneDNN on


def run(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run([sys.executable, "-m", "tfdetlint", *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=300)


def test_env_on_this_machine(tmp_path: Path) -> None:
    out = tmp_path / "here.json"
    proc = run(["env", "--format", "json", "-o", str(out)], tmp_path, PYTHONHASHSEED="123",
               TF_DETERMINISTIC_OPS="1")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(out.read_text())
    assert data["schema"] == machine.SCHEMA
    assert data["python"]["version"] == platform.python_version()
    assert data["env"]["PYTHONHASHSEED"] == "123"
    assert data["env"]["TF_DETERMINISTIC_OPS"] == "1"
    assert set(data["cpu"]["isa"]) <= machine.ISA_FLAGS
    assert data["packages"]["versions"]["tfdetlint"] == importlib.metadata.version("tfdetlint")
    tf = data["tensorflow"]
    if importlib.util.find_spec("tensorflow") is None:
        assert tf["status"] == "absent"
    else:
        assert tf["status"] == "ok", tf
        assert tf["version"].split("-")[0] in {importlib.metadata.version(d) for d in
                                               ("tensorflow", "tensorflow-cpu") if _installed(d)}
        assert tf["op_determinism"] is True  # TF_DETERMINISTIC_OPS=1 reached the child
        assert tf["onednn"] in ("on", "off")
        assert isinstance(tf["gpus"], list)
    # A fingerprint does not differ from itself; the text form names the same facts.
    assert main(["env", "--diff", str(out), str(out)]) == 0
    text = run(["env", "--timeout", "1"], tmp_path)
    assert text.returncode == 0 and "cpu.isa:" in text.stdout and "tensorflow.status:" in text.stdout


def _installed(dist: str) -> bool:
    try:
        importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def test_diff_names_each_known_difference(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["env", "--diff", str(A100), str(H100)]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    changes = {line.split(":")[0]: line for line in lines if not line.startswith(("    ", "---", "+++"))}
    for key in ("tensorflow.version", "tensorflow.build_info.cudnn_version", "tensorflow.gpus", "cpu.isa",
                "tensorflow.onednn", "env.PYTHONHASHSEED", "driver.version"):
        assert key in changes, out
        assert "(informational)" not in changes[key]
        following = lines[lines.index(changes[key]) + 1]
        assert following.startswith("    why: ") and len(following) > 20
    assert "9 -> 9.3" in changes["tensorflow.build_info.cudnn_version"]
    assert "bit-identical results across them are not expected" in out
    assert "+avx512f" in changes["cpu.isa"]
    assert "(informational)" in changes["python.version"]  # 3.11.7 -> 3.11.9
    assert "(informational)" in changes["packages (other)"] and "requests" in changes["packages (other)"]
    # What cannot change results is not printed at all.
    for key in ("recorded", "host", "python.executable", "packages.digest", "packages.tensorflow",
                "versions.keras", "tensorflow.threads.intra_op"):
        assert key not in changes
    assert out.endswith("7 difference(s) that can change results, 4 informational\n")


def test_diff_of_informational_changes_exits_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(A100.read_text())
    data.update(recorded="2027-01-01T00:00:00Z", host="elsewhere")
    data["packages"]["versions"]["requests"] = "9.9.9"
    data["python"]["version"] = "3.11.8"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data))
    assert main(["env", "--diff", str(A100), str(other)]) == 0
    out = capsys.readouterr().out
    assert "python.version: 3.11.7 -> 3.11.8 (informational)" in out
    data["python"]["version"] = "3.12.1"
    data["env"]["TF_ENABLE_ONEDNN_OPTS"] = "0"
    other.write_text(json.dumps(data))
    assert main(["env", "--diff", str(A100), str(other)]) == 1
    out = capsys.readouterr().out
    assert "env.TF_ENABLE_ONEDNN_OPTS: (unset) -> 0\n" in out
    assert "python.version: 3.11.7 -> 3.12.1\n" in out


def test_diff_rejects_what_is_not_a_fingerprint(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"no": "schema"}')
    assert main(["env", "--diff", str(A100), str(bad)]) == 2
    bad.write_text("not json")
    assert main(["env", "--diff", str(A100), str(bad)]) == 2
    assert main(["env", "--diff", str(A100), str(tmp_path / "missing.json")]) == 2


def _fake_tensorflow(tmp_path: Path, body: str) -> dict[str, str]:
    package = tmp_path / "fake" / "tensorflow"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(body)
    return {**os.environ, "PYTHONPATH": str(package.parent)}


def test_broken_tensorflow_is_reported(tmp_path: Path) -> None:
    env = _fake_tensorflow(tmp_path, "raise ImportError('libcudart.so.12: cannot open shared object file')\n")
    found = machine.probe_tensorflow(timeout=60, env=env)
    assert found["status"] == "broken"
    assert "libcudart.so.12" in found["error"]


def test_hanging_tensorflow_is_reported(tmp_path: Path) -> None:
    env = _fake_tensorflow(tmp_path, "import time\ntime.sleep(60)\n")
    found = machine.probe_tensorflow(timeout=2, env=env)
    assert found == {"status": "timeout", "error": "importing TensorFlow took longer than 2s"}


def test_absent_tensorflow_is_reported(tmp_path: Path) -> None:
    env = _fake_tensorflow(tmp_path, "raise ModuleNotFoundError(\"No module named 'tensorflow'\")\n")
    assert machine.probe_tensorflow(timeout=60, env=env) == {"status": "absent"}


def test_cpu_flags_from_cpuinfo(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nmodel name\t: Test CPU 9000\nflags\t\t: fpu sse4_2 avx2 avx512f amx_tile pni\n")
    info = machine.cpu_info(cpuinfo)
    assert info["model"] == "Test CPU 9000"
    assert info["isa"] == ["amx_tile", "avx2", "avx512f", "sse4_2"]


def test_environment_records_unset_and_prefixed_variables() -> None:
    env = machine.environment({"TF_CUDNN_SOMETHING_NEW": "1", "HOME": "/root", "PYTHONHASHSEED": "0"})
    assert env["TF_CUDNN_SOMETHING_NEW"] == "1"
    assert env["PYTHONHASHSEED"] == "0"
    assert env["TF_DETERMINISTIC_OPS"] is None
    assert "HOME" not in env
