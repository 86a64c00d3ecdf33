"""Exit codes, configuration and input validation, layout and speed (issue 14, items 7-12).

- ``verify`` with a broken TensorFlow exits non-zero; ``verify --no-cache`` touches no cache;
- ``cache-dir`` from a checked tree cannot make tfdetlint write into a folder that is not a cache;
- every number given by the user is validated (exit 2, clear message);
- CR-only files keep their final ``\\r``, a form feed starting a code line is kept;
- ``# noqa`` is parsed once per line, not once per finding;
- ``-o`` into a missing folder fails before anything is fixed; 10^5-deep notebook JSON is a
  TFD000; full-width (NFKC) names get the name's column and are fixed.
"""

from __future__ import annotations

import io
import json
import os
import time
from pathlib import Path

import pytest
from _helpers import GOOD, REPO, cli

from tfdetlint.cli import main
from tfdetlint.engine import check_bytes
from tfdetlint.findings import Finding
from tfdetlint.suppression import suppressed

SEED_LINE = "tf.keras.utils.set_random_seed(42)"
FIXED = b"import tensorflow as tf\n" + SEED_LINE.encode() + b"\n" + GOOD[len(b"import tensorflow as tf\n"):]


# --- 7. verify tells CI the truth


def _broken_tensorflow(tmp_path: Path, body: str) -> dict[str, str]:
    fake = tmp_path / "fake" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(body)
    return {**os.environ, "PYTHONPATH": f"{tmp_path / 'fake'}{os.pathsep}{REPO}",
            "XDG_CACHE_HOME": str(tmp_path / "xdg")}


@pytest.mark.parametrize("body", [
    'raise ImportError("libtensorflow_framework.so.2: cannot open shared object file")\n',
    "import os, signal\nos.kill(os.getpid(), signal.SIGSEGV)\n",
    # a hang: the worker's 120 s start-up limit, so only in the long mode
    pytest.param("import time\ntime.sleep(3600)\n", marks=pytest.mark.slow),
])
def test_verify_with_broken_tensorflow_exits_nonzero(tmp_path: Path, body: str) -> None:
    import subprocess
    import sys

    (tmp_path / "g.py").write_bytes(GOOD)
    env = _broken_tensorflow(tmp_path, body)
    done = subprocess.run([sys.executable, "-m", "tfdetlint", "verify", "--isolated", "--no-cache", "--timeout", "60",
                           "--format", "json", "g.py"], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 2, (done.stdout, done.stderr)
    verdicts = json.loads(done.stdout)  # the report stays valid JSON
    assert verdicts and all(v["verdict"] == "error" for v in verdicts)
    assert "could not check anything" in done.stderr
    assert not (tmp_path / "xdg").exists()  # --no-cache: nothing written


def test_verify_exit_code_when_nothing_was_checked() -> None:
    from tfdetlint.verify.command import exit_code
    from tfdetlint.verify.core import Verdict

    def v(verdict: str, device: str = "CPU") -> Verdict:
        return Verdict("x.py", 1, "TFD101", "tensorflow.random.normal", device, verdict, 0, "")

    assert exit_code([v("error"), v("error", "GPU")]) == 2
    assert exit_code([v("error"), v("skipped", "GPU")]) == 2
    assert exit_code([v("error"), v("not-reproduced")]) == 0  # something was checked
    assert exit_code([v("no-probe")]) == 0  # nothing to check was asked
    assert exit_code([v("error"), v("confirmed")]) == 1


def test_verify_no_cache_neither_reads_nor_writes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from tfdetlint.verify import cache as verify_cache
    from tfdetlint.verify import core

    def forbidden(*args: object) -> None:
        raise AssertionError("the verify cache was used under --no-cache")

    monkeypatch.setattr(core, "tensorflow_available", lambda: True)
    monkeypatch.setattr(core, "tensorflow_version_hint", lambda: "2.99.0")
    monkeypatch.setattr(verify_cache, "load", forbidden)
    monkeypatch.setattr(verify_cache, "store", forbidden)
    monkeypatch.setattr(core, "_run_all", lambda groups, devices, s, tmp, cached: (["CPU:0"], {}))
    (tmp_path / "g.py").write_bytes(GOOD)
    assert main(["verify", "--isolated", "--no-cache", str(tmp_path / "g.py")]) == 2  # no results: nothing checked
    err = capsys.readouterr().err
    assert "could not check anything" in err and "internal error" not in err, err


def test_tensorflow_missing_goes_to_stderr_under_json(monkeypatch: pytest.MonkeyPatch) -> None:
    from tfdetlint.verify import core
    from tfdetlint.verify.command import run_verify_command

    monkeypatch.setattr(core, "tensorflow_available", lambda: False)
    out, err = io.StringIO(), io.StringIO()
    finding = Finding("x.py", 1, 1, "TFD101", "m", api="tensorflow.random.normal")
    assert run_verify_command([finding], "all", 60.0, "json", out, err) == 2
    assert out.getvalue() == "" and "needs TensorFlow" in err.getvalue()


# --- 8. cache-dir from the analysed tree


@pytest.mark.parametrize("value", [".", "src"])
def test_cache_dir_cannot_be_an_existing_project_folder(tmp_path: Path, value: str) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "m.py").write_bytes(GOOD)
    (tmp_path / "pyproject.toml").write_text(f'[tool.tfdetlint]\ncache-dir = "{value}"\n')
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    done = cli(tmp_path, "check", ".")
    assert done.returncode == 2 and "is an existing folder that is not a cache" in done.stderr, done.stderr
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before  # nothing written
    assert cli(tmp_path, "check", "--no-cache", ".").returncode == 1  # --no-cache still works


def test_cache_dir_new_or_empty_folder_becomes_a_tagged_cache(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_bytes(GOOD)
    (tmp_path / "empty").mkdir()
    for value in ("empty", "new/cache"):
        (tmp_path / "pyproject.toml").write_text(f'[tool.tfdetlint]\ncache-dir = "{value}"\n')
        for _ in range(2):  # the second run reuses its own (tagged) folder
            done = cli(tmp_path, "check", ".")
            assert done.returncode == 1, done.stderr
        assert (tmp_path / value / "CACHEDIR.TAG").is_file()
    assert not (tmp_path / ".gitignore").exists() and not (tmp_path / "CACHEDIR.TAG").exists()


# --- 9. numbers


@pytest.mark.parametrize(("args", "message"), [
    (["--seed", "-1"], "must be from 0 to 4294967295, not -1"),
    (["--seed", "4294967296"], "must be from 0 to 4294967295, not 4294967296"),
    (["--seed", "1e3"], "must be a whole number"),
    (["--jobs", "0"], "must be from 1"),
    (["--jobs", "-3"], "must be from 1"),
])
def test_bad_numbers_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    path = tmp_path / "g.py"
    path.write_bytes(GOOD)
    assert main(["check", "--isolated", "--no-cache", "--fix", *args, str(path)]) == 2
    assert message in capsys.readouterr().err
    assert path.read_bytes() == GOOD


@pytest.mark.parametrize("value", ["0", "-5", "nan", "inf", "x"])
def test_bad_verify_timeout_exits_2(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--isolated", "--timeout", value, "."]) == 2
    assert "--timeout" in capsys.readouterr().err


def test_config_seed_out_of_range(tmp_path: Path) -> None:
    (tmp_path / "g.py").write_bytes(GOOD)
    (tmp_path / "pyproject.toml").write_text("[tool.tfdetlint]\nseed = 4294967296\n")
    done = cli(tmp_path, "check", "--no-cache", "--fix", ".")
    assert done.returncode == 2 and "`seed` must be an integer from 0 to 4294967295" in done.stderr
    assert (tmp_path / "g.py").read_bytes() == GOOD


def test_largest_seed_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "g.py"
    path.write_bytes(GOOD)
    main(["check", "--isolated", "--no-cache", "--fix", "--seed", "4294967295", str(path)])
    assert b"set_random_seed(4294967295)" in path.read_bytes()


# --- 10. byte for byte


def _fix_bytes_of(tmp_path: Path, data: bytes) -> bytes:
    path = tmp_path / "f.py"
    path.write_bytes(data)
    main(["check", "--isolated", "--no-cache", "--fix", str(path)])
    return path.read_bytes()


def test_cr_only_file_keeps_its_final_cr(tmp_path: Path) -> None:
    assert _fix_bytes_of(tmp_path, GOOD.replace(b"\n", b"\r")) == FIXED.replace(b"\n", b"\r")


def test_leading_form_feed_is_kept(tmp_path: Path) -> None:
    data = b"import tensorflow as tf\n\x0cx = 1\n\x0c\ndef f():\n    return 1\n" + GOOD[len(b"import tensorflow as tf\n"):]
    fixed = _fix_bytes_of(tmp_path, data)
    assert fixed == data.replace(b"tf\n", b"tf\n" + SEED_LINE.encode() + b"\n", 1)


def test_form_feed_file_without_fix_is_not_rewritten() -> None:
    from tfdetlint.fix.cst_guard import keep_layout

    original = "a = 1\n\x0cb = 2\r"
    assert keep_layout(original, "a = 1\nb = 2") == original


# --- 11. speed on hostile shapes


def test_noqa_is_parsed_once_per_line() -> None:
    line = "x = 1  # noqa: TFD101 " + "a" * 2_000_000
    start = time.perf_counter()
    for _ in range(20_000):  # was: one lowercase copy of the 2 MB line per finding (minutes)
        assert suppressed("TFD101", line) and not suppressed("TFD201", line)
    assert time.perf_counter() - start < 5


def test_many_findings_on_one_line() -> None:
    line = "tf.random.normal([1]);" * 5_000
    text = f"import tensorflow as tf\nif __name__ == '__main__':\n    {line}  # noqa: TFD501\n"
    start = time.perf_counter()
    found = check_bytes(text.encode(), "many.py")
    assert len([f for f in found if f.code == "TFD101"]) == 5_000 and not [f for f in found if f.code == "TFD501"]
    assert time.perf_counter() - start < 60


# --- 12. early failure, deep JSON, NFKC columns


def test_output_into_missing_folder_fails_before_fixing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "g.py"
    path.write_bytes(GOOD)
    assert main(["check", "--isolated", "--no-cache", "--fix", "-o", str(tmp_path / "missing" / "x"), str(path)]) == 2
    err = capsys.readouterr().err
    assert "cannot write the report to" in err and "no such folder" in err and "Traceback" not in err
    assert path.read_bytes() == GOOD


def test_deeply_nested_notebook_json_is_a_tfd000(tmp_path: Path) -> None:
    (tmp_path / "deep.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    (tmp_path / "deep_object.ipynb").write_text('{"cells": ' + '{"a": ' * 100_000 + "1" + "}" * 100_001)
    done = cli(tmp_path, "check", "--isolated", "--no-cache", ".")
    assert done.returncode == 1 and "internal error" not in done.stdout, done.stdout
    assert done.stdout.count("TFD000 invalid notebook JSON: nested too deeply to read") == 2, done.stdout


FULL_WIDTH = "import tensorflow as tf\nif __name__ == '__main__':\n    tf.random.\uff4e\uff4f\uff52\uff4d\uff41\uff4c([1])\n"


def test_full_width_method_name_gets_the_right_column(tmp_path: Path) -> None:
    found = check_bytes(FULL_WIDTH.encode(), "w.py")
    assert {(f.code, f.line, f.column) for f in found} == {("TFD101", 3, 15), ("TFD501", 3, 15)}
    path = tmp_path / "w.py"
    path.write_text(FULL_WIDTH, encoding="utf-8")
    assert main(["check", "--isolated", "--no-cache", "--fix", "--unsafe-fixes", str(path)]) == 0
    assert SEED_LINE in path.read_text(encoding="utf-8")
