"""Issue 16: --fix-only, --exit-non-zero-on-fix, --show-fixes, stdin, --add-noqa."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tfdetlint.findings import Finding
from tfdetlint.noqa import noqa_bytes

from .conftest import HAZARD, LIBRARY, subprocess_run

UNSAFE_ONLY = ('import tensorflow as tf\n'
               'def f(ds):\n    return ds.map(abs, num_parallel_calls=2, deterministic=False)\n')


def test_fix_only_reports_nothing_and_exits_0(tfd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "train.py").write_text(HAZARD)
    (tmp_path / "pipe.py").write_text(UNSAFE_ONLY)
    result = tfd(tmp_path, ".", "--fix-only")
    assert result.code == 0
    assert result.out == ""
    assert "Fixed" in result.err
    assert "set_random_seed" in (tmp_path / "train.py").read_text()
    assert (tmp_path / "pipe.py").read_text() == UNSAFE_ONLY  # unsafe: not applied, not reported
    again = tfd(tmp_path, ".", "--fix-only", "--exit-non-zero-on-fix")
    assert again.code == 0 and "No fixes applied" in again.err


def test_exit_non_zero_on_fix(tfd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "train.py").write_text(HAZARD)
    assert tfd(tmp_path, "train.py", "--fix-only", "--exit-non-zero-on-fix").code == 1
    (tmp_path / "train.py").write_text(HAZARD)
    assert tfd(tmp_path, "train.py", "--fix").code == 0  # all fixed, nothing remains
    (tmp_path / "train.py").write_text(HAZARD)
    assert tfd(tmp_path, "train.py", "--fix", "--exit-non-zero-on-fix").code == 1


def test_show_fixes(tfd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "train.py").write_text(HAZARD)
    preview = tfd(tmp_path, "train.py", "--show-fixes")
    assert preview.code == 1
    assert "+tf.keras.utils.set_random_seed(42)" in preview.out or "+keras.utils.set_random_seed(42)" in preview.out
    assert (tmp_path / "train.py").read_text() == HAZARD  # a preview writes nothing
    applied = tfd(tmp_path, "train.py", "--fix", "--show-fixes")
    assert "set_random_seed(42)" in applied.out and "--- train.py" in applied.out
    assert "set_random_seed(42)" in (tmp_path / "train.py").read_text()


def test_stdin_with_stdin_filename(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text('[tool.tfdetlint]\nignore = ["TFD5"]\n')
    proc = subprocess_run(tmp_path, "--stdin-filename", "sub/train.py", "--format", "json", "-", stdin=HAZARD.encode())
    assert proc.returncode == 1, proc.stderr
    findings = json.loads(proc.stdout)
    assert [(f["path"], f["code"]) for f in findings] == [("sub/train.py", "TFD101")]  # sub's config applied
    bare = subprocess_run(tmp_path, "-", stdin=HAZARD.encode())
    assert bare.returncode == 1 and b"-:3:15: TFD101" in bare.stdout
    library = subprocess_run(tmp_path, "--stdin-filename", "lib.py", "--show-scope", stdin=LIBRARY.encode())
    assert library.returncode == 0 and b"note: lib.py: treated as a library module" in library.stdout
    full = subprocess_run(tmp_path, "--stdin-filename", "t.py", "--output-format", "full", stdin=HAZARD.encode())
    assert b"3 |     tf.random.normal([1])" in full.stdout


def test_stdin_force_exclude_and_fix(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.tfdetlint]\nextend-exclude = ["gen"]\n')
    excluded = subprocess_run(tmp_path, "--stdin-filename", "gen/x.py", "--force-exclude", "-", stdin=HAZARD.encode())
    assert excluded.returncode == 0 and b"TFD101" not in excluded.stdout
    fixed = subprocess_run(tmp_path, "--stdin-filename", "train.py", "--fix", stdin=HAZARD.encode())
    assert fixed.returncode == 0, fixed.stderr
    assert b"set_random_seed(42)" in fixed.stdout and fixed.stdout.endswith(b"tf.random.normal([1])\n")
    assert not (tmp_path / "train.py").exists()
    diff = subprocess_run(tmp_path, "--stdin-filename", "train.py", "--diff", stdin=HAZARD.encode())
    assert diff.returncode == 1 and b"set_random_seed(42)" in diff.stdout and b"--- train.py" in diff.stdout


def test_add_noqa_silences_findings_and_keeps_bytes(tfd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    crlf = HAZARD.replace("\n", "\r\n").encode()
    latin = b"# -*- coding: latin-1 -*-\n" + HAZARD.replace("tf.random.normal([1])", "x = '\xe9'; tf.random.normal([1])").encode("latin-1")
    merged = HAZARD.replace("tf.random.normal([1])", "tf.random.normal([1])  # noqa: E501").encode()
    (tmp_path / "crlf.py").write_bytes(crlf)
    (tmp_path / "latin.py").write_bytes(latin)
    (tmp_path / "merged.py").write_bytes(merged)
    result = tfd(tmp_path, ".", "--add-noqa")
    assert result.code == 0 and "Added 3 noqa directives." in result.err
    assert (tmp_path / "crlf.py").read_bytes() == crlf.replace(b"([1])\r\n", b"([1])  # noqa: TFD101, TFD501\r\n")
    assert (tmp_path / "latin.py").read_bytes() == latin.replace(b"([1])\n", b"([1])  # noqa: TFD101, TFD501\n")
    assert (tmp_path / "merged.py").read_bytes() == merged.replace(b"E501", b"E501, TFD101, TFD501")
    assert tfd(tmp_path, ".", "-q").code == 0  # all silenced
    assert tfd(tmp_path, ".", "--add-noqa").err.strip() == "Added 0 noqa directives."


def test_add_noqa_never_breaks_a_line() -> None:
    source = b'x = """\nline\n"""\ny = 1 + \\\n    2\n'
    findings = [Finding("a.py", n, 1, "TFD101", "m") for n in (2, 4, 3)]
    new, added, problems = noqa_bytes(source, "a.py", findings)
    assert added == 1 and new == source.replace(b'"""\ny', b'"""  # noqa: TFD101\ny')
    assert [p.split(":")[1] for p in problems] == ["2", "4"]


@pytest.mark.parametrize("args", [["--add-noqa", "--fix"], ["--add-noqa", "-"]])
def test_add_noqa_refuses_combinations(tfd, tmp_path: Path, args: list[str]) -> None:  # type: ignore[no-untyped-def]
    assert tfd(tmp_path, *args).code == 2
