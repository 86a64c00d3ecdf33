"""The command as users run it: exit codes, formats, configuration, discovery, cache and jobs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tfdetlint.cli import main

HAZARD = 'import tensorflow as tf\nif __name__ == "__main__":\n    tf.random.normal([1])\n'
CLEAN = "import tensorflow as tf\n\ndef f(x):\n    return x\n"
ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "tfdetlint", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    (tmp_path / "train.py").write_text(HAZARD)
    (tmp_path / "lib.py").write_text(CLEAN)
    return tmp_path


def test_exit_codes(project: Path) -> None:
    assert run(["check", "lib.py", "--no-cache"], project).returncode == 0
    found = run(["train.py", "--no-cache"], project)
    assert found.returncode == 1
    assert "train.py:3:15: TFD101" in found.stdout
    assert run(["train.py", "--no-cache", "--exit-zero"], project).returncode == 0
    bad = run(["--format", "xml", "train.py"], project)
    assert bad.returncode == 2 and "error" in bad.stderr


def test_json_fields(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main([str(project / "train.py"), "--no-cache", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1
    first = data[0]
    for key in ("path", "line", "column", "code", "message", "api", "severity", "fixable"):
        assert key in first
    assert (first["line"], first["column"], first["code"], first["api"]) == (3, 15, "TFD101", "tensorflow.random.normal")


def test_select_ignore_and_config(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(project), "--no-cache", "--select", "TFD3", "-q"]) == 0
    assert main([str(project), "--no-cache", "--ignore", "TFD101,TFD501", "-q"]) == 0
    (project / "pyproject.toml").write_text('[tool.tfdetlint]\nper-file-ignores = { "train.py" = ["TFD1", "TFD5"] }\n')
    assert main([str(project), "--no-cache", "-q"]) == 0
    (project / "pyproject.toml").write_text('[tool.tfdetlint]\nlibraries = ["train.py"]\n')
    assert main([str(project), "--no-cache", "-q"]) == 0
    (project / "pyproject.toml").write_text('[tool.tfdetlint]\nbogus = 1\n')
    assert main([str(project), "--no-cache", "-q"]) == 2
    assert "unknown option" in capsys.readouterr().err


def test_exclude_and_gitignore(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "gen").mkdir()
    (project / "gen" / "x.py").write_text(HAZARD)
    (project / ".gitignore").write_text("gen/\n")
    (project / "train.py").write_text(CLEAN)
    assert main([str(project), "--no-cache", "-q"]) == 0
    # A file named on the command line is always checked (as ruff does).
    assert main([str(project / "gen" / "x.py"), "--no-cache", "-q"]) == 1
    (project / ".gitignore").write_text("")
    (project / "pyproject.toml").write_text('[tool.tfdetlint]\nextend-exclude = ["gen"]\n')
    assert main([str(project), "--no-cache", "-q"]) == 0


def test_missing_path_is_reported_and_run_goes_on(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(project / "nope.py"), str(project / "train.py"), "--no-cache", "-q"]) == 1
    out = capsys.readouterr().out
    assert "TFD000" in out and "no such file" in out and "TFD101" in out


def test_rule_docs_and_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    assert "TFD301" in capsys.readouterr().out
    assert main(["rule", "TFD999"]) == 2


def test_same_findings_serial_parallel_cold_warm(tmp_path: Path) -> None:
    for i in range(40):
        body = HAZARD if i % 3 == 0 else CLEAN
        (tmp_path / f"m{i:02d}.py").write_text(body + f"# {i}\n")
    cache = tmp_path / "cache"
    serial = run(["--format", "json", "--no-cache", "--jobs", "1", "."], tmp_path).stdout
    parallel = run(["--format", "json", "--no-cache", "--jobs", "2", "."], tmp_path).stdout
    cold = run(["--format", "json", "--cache-dir", str(cache), "."], tmp_path).stdout
    warm = run(["--format", "json", "--cache-dir", str(cache), "."], tmp_path).stdout
    assert json.loads(serial) and serial == parallel == cold == warm
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")


def test_cache_is_keyed_on_options(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("import tensorflow as tf\ntf.random.set_seed(1)\nx = tf.keras.layers.Dropout(0.5)\n"
                                   'if __name__ == "__main__":\n    pass\n')
    cache = str(tmp_path / "c")
    assert run(["--cache-dir", cache, "m.py", "-q"], tmp_path).returncode == 1
    assert run(["--cache-dir", cache, "m.py", "-q", "--keras-version", "2"], tmp_path).returncode == 0


def test_file_edited_between_reads_is_cached_under_what_was_analysed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker reads the file again; the entry must be keyed on the bytes it analysed."""
    from tfdetlint import runner
    from tfdetlint.cache import Cache
    from tfdetlint.config import Settings

    script = tmp_path / "train.py"
    script.write_text(CLEAN)
    real = runner.read_bytes
    calls = {"n": 0}

    def edit_after_first_read(path: Path) -> bytes | object:
        calls["n"] += 1
        data = real(path)
        if calls["n"] == 1:
            script.write_text(HAZARD)  # edited after the parent read it, before the worker does
        return data

    monkeypatch.setattr(runner, "read_bytes", edit_after_first_read)
    cache = Cache(tmp_path / "cache", salt="t")
    first = runner.run([script], Settings(root=tmp_path), jobs=1, cache=cache)
    assert [f.code for f in first.findings] == ["TFD101", "TFD501"]  # the worker saw the edited file
    monkeypatch.setattr(runner, "read_bytes", real)
    script.write_text(CLEAN)  # back to the first content: must not be served the hazard
    again = runner.run([script], Settings(root=tmp_path), jobs=1, cache=cache)
    assert again.findings == []
