"""Bad input never stops a run: each bad file gives a clear TFD000 (or a correct clean result),
and the hazard in a good neighbour file is still reported. Exit 2 is only for usage errors
and internal errors; a file that cannot be read is a finding (exit 1).
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from _helpers import GOOD, assert_good_reported, cli, cli_json, of

from tfdetlint import cli as cli_module
from tfdetlint import runner
from tfdetlint.config import Settings
from tfdetlint.engine import check_bytes

HEAD = 'import tensorflow as tf\nif __name__ == "__main__":\n'


@dataclass(frozen=True)
class Case:
    name: str
    filename: str
    data: bytes
    # TFD000 expected: (message substring, line); else the exact (code, line, column) list.
    problem: tuple[str, int] | None = None
    findings: tuple[tuple[str, int, int], ...] = ()


def _nb(cells: list[object], language: str | None = "python") -> bytes:
    meta: dict[str, object] = {}
    if language is not None:
        meta = {"kernelspec": {"name": language, "language": language, "display_name": language}}
    return json.dumps({"cells": cells, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}).encode()


def _code(*lines: str) -> dict[str, object]:
    return {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": list(lines)}


LATIN1 = ("# -*- coding: latin-1 -*-\n" + HEAD + '    s = "äöü¤"; tf.random.normal([1])\n').encode("latin-1")
CP1252 = ("# coding: cp1252\n" + HEAD + '    s = "\u20ac\u201a\u0192"; tf.random.normal([1])\n').encode("cp1252")
CALL_COLUMN = 27  # of `normal` in `    s = "äöü¤"; tf.random.normal([1])` (characters, not bytes)

CASES = [
    # --- syntax
    Case("syntax-error", "bad.py", b"import tensorflow as tf\ndef f(:\n    pass\n",
         problem=("syntax error", 2)),
    Case("half-typed-call", "bad.py", (HEAD + "    x = tf.random.normal([1], seed=\n").encode(),
         problem=("syntax error", 3)),
    Case("half-typed-string", "bad.py", (HEAD + '    s = """never closed\n    tf.random.normal([1])\n').encode(),
         problem=("syntax error", 3)),
    Case("half-typed-indent", "bad.py", (HEAD + "    if True:\n    tf.random.normal([1])\n").encode(),
         problem=("syntax error", 4)),
    Case("python2-print", "bad.py", b'import tensorflow as tf\nprint "x"\n',
         problem=("Missing parentheses in call to 'print'", 2)),
    Case("python2-except", "bad.py", b"import tensorflow as tf\ntry:\n    pass\nexcept Exception, e:\n    tf.random.normal([1])\n",
         problem=("syntax error", 4)),
    # --- encodings
    Case("latin1-valid", "bad.py", LATIN1, findings=(("TFD101", 4, CALL_COLUMN), ("TFD501", 4, CALL_COLUMN))),
    Case("cp1252-valid", "bad.py", CP1252, findings=(("TFD101", 4, CALL_COLUMN - 1), ("TFD501", 4, CALL_COLUMN - 1))),
    Case("cp1252-undefined-byte", "bad.py", CP1252 + b'x = "\x81"\n',
         problem=("cannot decode line 5 as cp1252", 5)),
    Case("ascii-cookie-non-ascii", "bad.py", b"# coding: ascii\nimport tensorflow as tf\nx = '\xe9'\n",
         problem=("cannot decode line 3 as ascii", 3)),
    Case("unknown-cookie", "bad.py", b"# coding: klingon\nimport tensorflow as tf\n",
         problem=("bad encoding declaration", 1)),
    Case("invalid-utf8-no-api", "bad.py", b"x = '\xff\xfe'\n", problem=("cannot decode line 1 as utf-8", 1)),
    Case("utf8-bom", "bad.py", b"\xef\xbb\xbf" + GOOD, findings=(("TFD101", 3, 15), ("TFD501", 3, 15))),
    Case("utf8-bom-and-latin1-cookie", "bad.py", b"\xef\xbb\xbf# coding: latin-1\n" + GOOD,
         problem=("bad encoding declaration", 1)),
    # --- not text at all
    Case("nul-bytes", "bad.py", b"import tensorflow as tf\x00\ntf.random.normal([1])\n", problem=("binary file", 1)),
    Case("binary-junk", "bad.py", bytes(range(256)) * 64, problem=("binary file", 1)),
    Case("empty", "bad.py", b""),
    Case("whitespace-only", "bad.py", b"\n\n   \n\t\n"),
    # --- line endings: findings on the right lines
    Case("cr-only", "bad.py", GOOD.replace(b"\n", b"\r"), findings=(("TFD101", 3, 15), ("TFD501", 3, 15))),
    Case("crlf", "bad.py", GOOD.replace(b"\n", b"\r\n"), findings=(("TFD101", 3, 15), ("TFD501", 3, 15))),
    Case("mixed-endings", "bad.py",
         b'import tensorflow as tf\r\n\rif __name__ == "__main__":\n    x = 1\r\n\n    tf.random.normal([1])\r',
         findings=(("TFD101", 6, 15), ("TFD501", 6, 15))),
    Case("cr-only-noqa", "bad.py",
         (HEAD + "    tf.random.normal([1])  # noqa: TFD101\r    tf.random.uniform([1])\r").replace("\n", "\r").encode(),
         findings=(("TFD101", 4, 15), ("TFD501", 3, 15))),
    # --- deep nesting: no RecursionError escapes
    Case("deep-brackets", "bad.py", b"import tensorflow as tf\nx = " + b"(" * 5000 + b")" * 5000 + b"\n",
         problem=("too many nested parentheses", 2)),
    Case("deep-if-statements", "bad.py",
         b"import tensorflow as tf\n" + b"".join(b" " * i + b"if x:\n" for i in range(3000)) + b" " * 3000 + b"pass\n",
         problem=("too many levels of indentation", 102)),
    Case("deep-if-expressions", "bad.py",
         (HEAD + "    x = " + "1 if a else " * 3000 + "tf.random.normal([1])\n").encode(),
         findings=(("TFD101", 3, 8 + 12 * 3000 + 11), ("TFD501", 3, 8 + 12 * 3000 + 11))),
    Case("deep-operator-chain", "bad.py",
         (HEAD + "    x = " + " + ".join(["a"] * 20000) + "\n    tf.random.normal([1])\n").encode(),
         findings=(("TFD101", 4, 15), ("TFD501", 4, 15))),
    Case("deep-calls", "bad.py", (HEAD + "    x = f" + "(" * 150 + ")" * 150 + "\n    tf.random.normal([1])\n").encode(),
         findings=(("TFD101", 4, 15), ("TFD501", 4, 15))),
    Case("deep-lambdas", "bad.py", (HEAD + "    x = " + "lambda: " * 8000 + "1\n").encode(),
         problem=("too deeply nested", 1)),
    # --- notebooks
    Case("nb-invalid-json", "bad.ipynb", b'{"cells": [', problem=("invalid notebook JSON", 1)),
    Case("nb-not-an-object", "bad.ipynb", b"[1, 2, 3]", problem=("invalid notebook", 1)),
    Case("nb-nbformat3-empty", "bad.ipynb", b'{"worksheets": [{"cells": []}], "nbformat": 3}'),
    Case("nb-nbformat3", "bad.ipynb", json.dumps({"worksheets": [{"cells": [
        {"cell_type": "heading", "level": 1, "source": ["Title"]},
        {"cell_type": "code", "language": "python", "input": ["import tensorflow as tf\n", "tf.random.normal([1])\n"]},
    ]}], "metadata": {}, "nbformat": 3, "nbformat_minor": 0}).encode(), findings=(("TFD101", 2, 11), ("TFD501", 2, 11))),
    Case("nb-no-cells", "bad.ipynb", b'{"nbformat": 4}', problem=("no list of cells", 1)),
    Case("nb-source-not-strings", "bad.ipynb", _nb([_code("import tensorflow as tf\n"), {"cell_type": "code", "source": [1, 2]}]),
         problem=("source of cell 2 is not text", 1)),
    Case("nb-source-null", "bad.ipynb", _nb([{"cell_type": "code", "source": None}]),
         problem=("source of cell 1 is not text", 1)),
    Case("nb-r-kernel", "bad.ipynb", _nb([_code("library(tensorflow)\n", "x <- tf$random$normal(c(1L))\n")], "R")),
    Case("nb-magics", "bad.ipynb", _nb([
        _code("%matplotlib inline\n", "!pip install x\n", "files = !ls\n", "import tensorflow as tf\n",
              "tf.random.normal?\n", "tf.random.normal([1])\n"),
        {"cell_type": "code", "source": "%%bash\necho $((1 + 2))\nfor i in 1 2; do echo $i; done\n"},
        {"cell_type": "markdown", "source": "# not code ( [ {"},
        _code("%%time\n", "y = tf.random.uniform([2])\n"),
    ]), findings=(("TFD101", 6, 11), ("TFD501", 6, 11), ("TFD101", 2, 15))),
    Case("nb-string-source-crlf", "bad.ipynb",
         _nb([{"cell_type": "code", "source": "import tensorflow as tf\r\nx = 1\r\ntf.random.normal([1])\r\n"}]),
         findings=(("TFD101", 3, 11), ("TFD501", 3, 11))),
    Case("nb-syntax-error-in-cell", "bad.ipynb", _nb([_code("import tensorflow as tf\n"), _code("x = (\n")]),
         problem=("syntax error: '(' was never closed", 1)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_file_next_to_a_good_one(tmp_path: Path, case: Case) -> None:
    (tmp_path / "good.py").write_bytes(GOOD)
    (tmp_path / case.filename).write_bytes(case.data)
    rc, findings, _ = cli_json(tmp_path, "--no-cache", ".")
    assert rc == 1  # the good file's finding at least
    assert_good_reported(findings)
    mine = of(findings, case.filename)
    if case.problem is not None:
        text, line = case.problem
        assert [f["code"] for f in mine] == ["TFD000"], mine
        assert text in mine[0]["message"]
        assert mine[0]["line"] == line
        assert mine[0]["severity"] == "error"
    else:
        got = sorted((f["code"], f["line"], f["column"]) for f in mine)
        assert got == sorted(case.findings), mine


def test_syntax_error_in_a_file_without_any_api_name_is_skipped_unparsed(tmp_path: Path) -> None:
    """By design: the pre-filter skips files that name no catalogue API without parsing them,
    so such a file's syntax error is not reported (unlike undecodable or binary files)."""
    assert check_bytes(b"class Foo(:\n    pass\n", "a.py") == []
    assert [f.code for f in check_bytes(b"def f(:\n    tf.random.normal([1])\n", "a.py")] == ["TFD000"]
    assert [f.code for f in check_bytes(b"def f(:\n\x00", "a.py")] == ["TFD000"]


def test_notebook_env_magic_enables_op_determinism() -> None:
    op_cell = _code("import tensorflow as tf\n", "tf.random.set_seed(1)\n", "tf.math.unsorted_segment_sum(a, b, 3)\n")
    without = check_bytes(_nb([op_cell]), "n.ipynb")
    assert [f.code for f in without] == ["TFD201"]
    for magic in ("%env TF_DETERMINISTIC_OPS=1\n", "%env TF_DETERMINISTIC_OPS 1\n", "%set_env TF_DETERMINISTIC_OPS=1\n"):
        assert check_bytes(_nb([_code(magic), op_cell]), "n.ipynb") == [], magic
    # ... and the same through os.environ, to be sure the two agree
    env_cell = _code("import os\n", "os.environ['TF_DETERMINISTIC_OPS'] = '1'\n")
    assert check_bytes(_nb([env_cell, op_cell]), "n.ipynb") == []
    # %env with a false value enables nothing
    assert [f.code for f in check_bytes(_nb([_code("%env TF_DETERMINISTIC_OPS=0\n"), op_cell]), "n.ipynb")] == ["TFD201"]


def test_check_bytes_never_raises_on_edge_values() -> None:
    """Values that once escaped check_bytes as exceptions."""
    huge = "0x" + "f" * 5000
    samples = [
        HEAD + f"    import os\n    os.environ['TF_DETERMINISTIC_OPS'] = {huge}\n    tf.random.normal([1])\n",
        HEAD + f"    tf.random.normal([{huge}], seed={huge})\n",
        HEAD + "    tf.random.normal([1], seed=" + "+".join(["1"] * 3000) + ")\n",
    ]
    for text in samples:
        found = check_bytes(text.encode(), "x.py")
        assert all(f.code != "TFD000" for f in found), found
        assert "TFD101" in {f.code for f in found} or "seed=" in text


def test_ten_megabyte_generated_file(tmp_path: Path) -> None:
    rows = b"".join(b'    (%d, %d.5, "row %d", [%d, %d]),\n' % (i, i, i, i, -i) for i in range(280_000))
    big = GOOD + b"TABLE = [\n" + rows + b"]\n" + b"def f(x):\n    return tf.random.uniform([2], seed=1) * x\n"
    assert len(big) > 10 * 1024 * 1024
    (tmp_path / "big.py").write_bytes(big)
    (tmp_path / "good.py").write_bytes(GOOD)
    start = time.monotonic()
    rc, findings, _ = cli_json(tmp_path, "--no-cache", ".", timeout=600)
    elapsed = time.monotonic() - start
    assert rc == 1
    assert_good_reported(findings)
    assert_good_reported(findings, "big.py")
    assert elapsed < 180, f"{elapsed:.0f} s for a 10 MB file"


def test_file_over_the_size_limit_is_a_finding(tmp_path: Path) -> None:
    (tmp_path / "huge.py").write_bytes(b"# " + b"x" * (21 * 1024 * 1024) + b"\n")
    (tmp_path / "good.py").write_bytes(GOOD)
    rc, findings, _ = cli_json(tmp_path, "--no-cache", ".")
    assert rc == 1
    assert_good_reported(findings)
    [big] = of(findings, "huge.py")
    assert big["code"] == "TFD000" and "larger than" in big["message"]


# --- files that cannot be read


def _root_reads_anyway(path: Path) -> bool:
    try:
        path.read_bytes()
    except PermissionError:
        return False
    return True


def test_unreadable_file_chmod(tmp_path: Path) -> None:
    bad = tmp_path / "locked.py"
    bad.write_bytes(GOOD)
    (tmp_path / "good.py").write_bytes(GOOD)
    bad.chmod(0)
    try:
        if _root_reads_anyway(bad):
            pytest.skip("running as root (or with CAP_DAC_OVERRIDE): chmod 000 does not block reads; "
                        "see test_unreadable_file_simulated")
        rc, findings, _ = cli_json(tmp_path, "--no-cache", ".")
        assert rc == 1
        assert_good_reported(findings)
        [locked] = of(findings, "locked.py")
        assert locked["code"] == "TFD000" and "cannot read file" in locked["message"]
    finally:
        bad.chmod(0o644)


@pytest.mark.parametrize("cached", [False, True])
def test_unreadable_file_simulated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cached: bool) -> None:
    bad = tmp_path / "locked.py"
    bad.write_bytes(GOOD)
    good = tmp_path / "good.py"
    good.write_bytes(GOOD)
    real = runner.read_regular  # files are read through fileio.read_regular (regular files only)

    def read_regular(path: Path | str) -> bytes:
        if Path(path).name == "locked.py":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(runner, "read_regular", read_regular)
    cache = None
    if cached:
        from tfdetlint.cache import Cache

        cache = Cache(tmp_path / "cache", salt="test")
    result = runner.run([bad, good], Settings(root=tmp_path), jobs=1, cache=cache)
    locked = [f for f in result.findings if f.path == str(bad)]
    assert [(f.code, f.message) for f in locked] == [("TFD000", "cannot read file: Permission denied")]
    assert any(f.code == "TFD101" and f.path == str(good) and (f.line, f.column) == (3, 15) for f in result.findings)


def test_symlinks_broken_and_looping(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_bytes(GOOD)
    (tmp_path / "broken.py").symlink_to(tmp_path / "nowhere.py")
    (tmp_path / "loop_a.py").symlink_to(tmp_path / "loop_b.py")
    (tmp_path / "loop_b.py").symlink_to(tmp_path / "loop_a.py")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "up").symlink_to(tmp_path, target_is_directory=True)  # a folder loop
    rc, findings, _ = cli_json(tmp_path, "--no-cache", ".", "loop_a.py", "broken.py")
    assert rc == 1
    assert_good_reported(findings)
    assert [f["message"] for f in of(findings, "broken.py")] == ["broken symbolic link"]
    assert [f["message"] for f in of(findings, "loop_a.py")] == ["symbolic link loop"]
    assert [f["message"] for f in of(findings, "loop_b.py")] == ["symbolic link loop"]
    # the folder loop is walked once, so good.py is reported once
    assert len([f for f in of(findings, "good.py") if f["code"] == "TFD101"]) == 1


def test_folder_named_like_a_python_file(tmp_path: Path) -> None:
    folder = tmp_path / "x.py"
    folder.mkdir()
    (folder / "good.py").write_bytes(GOOD)
    (tmp_path / "nb.ipynb").mkdir()
    rc, findings, _ = cli_json(tmp_path, "--no-cache", ".")
    assert rc == 1
    assert [f["path"] for f in findings if f["code"] == "TFD101"] == [os.path.join("x.py", "good.py")]
    assert all(f["code"] != "TFD000" for f in findings), findings
    # named directly, it is walked like any folder
    rc, findings, _ = cli_json(tmp_path, "--no-cache", "x.py")
    assert rc == 1
    assert_good_reported(findings)
    # and the cache path (which reads before the pool) does not choke on it either
    assert runner.read_bytes(folder).code == "TFD000"  # type: ignore[union-attr]


def test_paths_with_spaces_and_non_ascii(tmp_path: Path) -> None:
    folder = tmp_path / "my project ü"
    folder.mkdir()
    (folder / "tränen lauf.py").write_bytes(GOOD)
    (folder / "日本語.ipynb").write_bytes(_nb([_code("import tensorflow as tf\n", "tf.random.normal([1])\n")]))
    (tmp_path / "good.py").write_bytes(GOOD)
    rc, findings, _ = cli_json(tmp_path, "--no-cache", ".")
    assert rc == 1
    assert_good_reported(findings)
    assert_good_reported(findings, "tränen lauf.py")
    assert [f["code"] for f in of(findings, "日本語.ipynb")] == ["TFD101", "TFD501"]
    text = cli(tmp_path, "check", "--isolated", "--no-cache", "my project ü/tränen lauf.py")
    assert text.returncode == 1 and "my project ü/tränen lauf.py:3:15: TFD101" in text.stdout


@pytest.mark.skipif(os.name != "posix", reason="needs a file system that stores bytes as names")
def test_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    name = os.fsdecode(b"caf\xe9.py")  # latin-1 name: undecodable as UTF-8
    try:
        (tmp_path / name).write_bytes(GOOD)
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system refuses non-UTF-8 names")
    (tmp_path / "good.py").write_bytes(GOOD)
    for fmt in ("text", "json", "sarif", "github"):
        done = cli(tmp_path, "check", "--isolated", "--no-cache", "--format", fmt, ".")
        assert done.returncode == 1, (fmt, done.stderr)
        assert "Traceback" not in done.stderr
    out = tmp_path / "report.txt"
    done = cli(tmp_path, "check", "--isolated", "--no-cache", "-o", str(out), ".")
    assert done.returncode == 1, done.stderr
    assert b"caf\xe9.py:3:15: TFD101" in out.read_bytes()


# --- exit codes


@pytest.mark.parametrize("args", [
    ["--jobs", "many", "."], ["--no-such-option", "."], ["--script", "--library", "."],
    ["--format", "yaml", "."], ["rule", "TFD999"],
])
def test_usage_errors_exit_2(tmp_path: Path, args: list[str]) -> None:
    (tmp_path / "good.py").write_bytes(GOOD)
    done = cli(tmp_path, *args)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr


def test_missing_path_is_a_finding_not_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_bytes(GOOD)
    rc, findings, _ = cli_json(tmp_path, "--no-cache", "good.py", "missing.py")
    assert rc == 1
    assert_good_reported(findings)
    assert [f["message"] for f in of(findings, "missing.py")] == ["no such file or folder"]


def test_internal_error_in_one_file_does_not_stop_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tfdetlint import engine
    from tfdetlint.options import Options

    real = engine.analyse

    def flaky(raw: bytes, path: str, options: Options | None = None, project: object = None) -> object:
        if path.endswith("boom.py"):
            raise AssertionError("simulated bug")
        return real(raw, path, options or Options())

    monkeypatch.setattr(engine, "analyse", flaky)  # the runner looks it up when a file needs analysis
    (tmp_path / "boom.py").write_bytes(GOOD)
    (tmp_path / "good.py").write_bytes(GOOD)
    result = runner.run([tmp_path / "boom.py", tmp_path / "good.py"], Settings(root=tmp_path), jobs=1)
    boom = [f for f in result.findings if f.path.endswith("boom.py")]
    assert [f.code for f in boom] == ["TFD000"] and "internal error" in boom[0].message
    assert any(f.code == "TFD101" and f.path.endswith("good.py") for f in result.findings)


def test_internal_error_outside_the_files_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug in discovery")

    monkeypatch.setattr("tfdetlint.orchestrate.find_files", broken)  # discovery, for every command
    (tmp_path / "good.py").write_bytes(GOOD)
    assert cli_module.main(["check", "--isolated", "--no-cache", str(tmp_path)]) == 2
    assert "internal error: RuntimeError: simulated bug in discovery" in capsys.readouterr().err
