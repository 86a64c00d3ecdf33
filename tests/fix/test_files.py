"""Bytes outside the edits, encodings, notebooks, --diff, and the write-safety guarantees."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from conftest import Runner, codes_of
from samples import ALL

from tfdetlint.fix import codemod, fixer
from tfdetlint.fix.writer import WriteRefused, digest, write_atomically

SCRIPT = (
    "# -*- coding: latin-1 -*-\n"
    "'''Caf\xe9 demo.'''   # comment kept\n"
    "import numpy as np  # why: arrays\n"
    "\n"
    "x = np.random.rand( 3 )   # odd spacing stays\n"
    "s = 'single' + \"double\"\n"
)


def _without_lines(data: bytes, *needles: bytes) -> bytes:
    return b"".join(line for line in data.splitlines(keepends=True) if not any(n in line for n in needles))


def test_latin1_cookie_bytes_kept(tmp_path: Path, cli: Runner) -> None:
    path = tmp_path / "lat.py"
    raw = SCRIPT.encode("latin-1")
    path.write_bytes(raw)
    cli(path, "--fix", "--script")
    new = path.read_bytes()
    assert b"Caf\xe9" in new  # still latin-1, not UTF-8
    expected = raw.replace(b"# why: arrays\n", b"# why: arrays\n\nnp.random.seed(42)\n")
    assert new == expected


def test_crlf_and_bom_kept(tmp_path: Path, cli: Runner) -> None:
    path = tmp_path / "crlf.py"
    raw = b"\xef\xbb\xbf" + ALL["keras_fit"].replace("\n", "\r\n").encode()
    path.write_bytes(raw)
    cli(path, "--fix")
    new = path.read_bytes()
    assert new.startswith(b"\xef\xbb\xbf")
    assert b"keras.utils.set_random_seed(42)\r\n" in new
    assert b"\n" not in new.replace(b"\r\n", b"")  # every line ending still CRLF
    assert _without_lines(new, b"set_random_seed").replace(b"\r\n\r\n\r\n", b"\r\n\r\n") == raw


def test_mixed_endings_use_the_dominant_one(tmp_path: Path, cli: Runner) -> None:
    path = tmp_path / "mixed.py"
    raw = b"import numpy as np\nimport random\r\nprint(1)\r\nx = np.random.rand(2)\r\n"
    path.write_bytes(raw)
    cli(path, "--fix", "--script")
    new = path.read_bytes()
    assert b"np.random.seed(42)\r\n" in new
    assert new.startswith(b"import numpy as np\nimport random\r\n")


def test_diff_writes_nothing(tmp_path: Path, cli: Runner) -> None:
    path = tmp_path / "d.py"
    path.write_text(ALL["generators"], encoding="utf-8")
    before = path.stat().st_mtime_ns
    result = cli(path, "--diff")
    assert result.code == 1
    assert f"--- {path}" in result.out and "+rng_a = np.random.default_rng(42)" in result.out
    assert path.read_text(encoding="utf-8") == ALL["generators"] and path.stat().st_mtime_ns == before
    assert "Would fix 4 findings in 1 file." in result.err


def test_diff_exit_zero_without_changes(tmp_path: Path, cli: Runner) -> None:
    path = tmp_path / "d.py"
    path.write_text(ALL["unsafe_only"].replace("deterministic=False", "deterministic=True")
                    .replace("sloppy=True", "sloppy=False").replace("= False", "= True")
                    .replace("int(time.time())", "1") + "", encoding="utf-8")
    result = cli(path, "--diff", "--ignore", "TFD501,TFD502")
    assert result.code == 0 and result.out == ""


def test_fix_exit_code_follows_remaining(tmp_path: Path, cli: Runner) -> None:
    path = tmp_path / "u.py"
    path.write_text(ALL["unsafe_only"], encoding="utf-8")
    assert cli(path, "--fix").code == 1  # unsafe findings remain
    assert cli(path, "--fix", "--unsafe-fixes").code == 0


def test_broken_fix_leaves_file_untouched(tmp_path: Path, cli: Runner, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "b.py"
    path.write_text(ALL["keras_fit"], encoding="utf-8")
    real_apply = fixer.apply

    def broken(*args: object, **kwargs: object) -> codemod.Outcome:
        outcome = real_apply(*args, **kwargs)  # type: ignore[arg-type]
        outcome.texts = [text + "def (:\n" for text in outcome.texts]
        return outcome

    monkeypatch.setattr(fixer, "apply", broken)
    result = cli(path, "--fix")
    assert path.read_text(encoding="utf-8") == ALL["keras_fit"]
    assert "does not parse" in result.err and result.code == 1


def test_mode_kept_and_no_temp_files_left(tmp_path: Path, cli: Runner) -> None:
    path = tmp_path / "m.py"
    path.write_text(ALL["generators"], encoding="utf-8")
    os.chmod(path, 0o750)
    cli(path, "--fix")
    assert stat.S_IMODE(path.stat().st_mode) == 0o750
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.py"]


def test_read_only_file_is_reported_not_forced(tmp_path: Path, cli: Runner) -> None:
    path = tmp_path / "ro.py"
    path.write_text(ALL["generators"], encoding="utf-8")
    os.chmod(path, 0o444)
    result = cli(path, "--fix")
    assert path.read_text(encoding="utf-8") == ALL["generators"]
    assert "read-only" in result.err and result.code == 1
    assert "TFD105" in result.out  # its findings are still reported


def test_write_refused_when_file_changed_since_read(tmp_path: Path) -> None:
    path = tmp_path / "c.py"
    path.write_bytes(b"old\n")
    stale = digest(b"old\n")
    path.write_bytes(b"changed by someone else\n")
    with pytest.raises(WriteRefused, match="changed"):
        write_atomically(path, b"new\n", stale)
    assert path.read_bytes() == b"changed by someone else\n"
    assert [p.name for p in tmp_path.iterdir()] == ["c.py"]


def test_write_through_symlink_replaces_target(tmp_path: Path) -> None:
    target = tmp_path / "real.py"
    target.write_bytes(b"a\n")
    link = tmp_path / "link.py"
    link.symlink_to(target)
    write_atomically(link, b"b\n", digest(b"a\n"))
    assert link.is_symlink() and target.read_bytes() == b"b\n"


def _notebook(cells: list[dict[str, object]]) -> dict[str, object]:
    return {"cells": cells, "metadata": {"kernelspec": {"language": "python", "name": "python3"},
                                         "zeta": 1, "alpha": "é"}, "nbformat": 4, "nbformat_minor": 5}


def _code(source: list[str], outputs: list[object] | None = None) -> dict[str, object]:
    return {"cell_type": "code", "execution_count": 3, "id": "c", "metadata": {"tags": ["x"]},
            "outputs": outputs or [], "source": source}


def test_notebook_fixed_cell_by_cell_keeping_layout(tmp_path: Path, cli: Runner) -> None:
    nb = _notebook([
        {"cell_type": "markdown", "metadata": {}, "source": ["# Title"]},
        _code(["%matplotlib inline\n", "import numpy as np\n", "import keras"]),
        _code(["!pip list\n", "x = np.random.rand(3)\n", "rng = np.random.default_rng()"],
              [{"name": "stdout", "output_type": "stream", "text": ["1\n"]}]),
    ])
    raw = (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode()
    path = tmp_path / "n.ipynb"
    path.write_bytes(raw)
    diff = cli(path, "--diff")
    assert f"--- {path}:cell 3" in diff.out and "+keras.utils.set_random_seed(42)" in diff.out
    assert diff.code == 1 and path.read_bytes() == raw
    result = cli(path, "--fix")
    new = json.loads(path.read_bytes())
    assert new["cells"][1]["source"] == ["%matplotlib inline\n", "import numpy as np\n", "import keras\n",
                                         "keras.utils.set_random_seed(42)"]
    assert new["cells"][2]["source"] == ["!pip list\n", "x = np.random.rand(3)\n", "rng = np.random.default_rng(42)"]
    assert new["cells"][2]["outputs"] == nb["cells"][2]["outputs"]  # type: ignore[index]
    assert list(new["metadata"]) == ["kernelspec", "zeta", "alpha"]
    expected = json.loads(raw)
    expected["cells"][1]["source"] = new["cells"][1]["source"]
    expected["cells"][2]["source"] = new["cells"][2]["source"]
    assert path.read_bytes() == (json.dumps(expected, indent=1, ensure_ascii=False) + "\n").encode()
    assert result.code == 0 and codes_of(path) == []


def test_notebook_with_unreproducible_layout_is_left_alone(tmp_path: Path, cli: Runner) -> None:
    nb = _notebook([_code(["import numpy as np\n", "x = np.random.rand(3)"])])
    raw = json.dumps(nb, indent=3).replace('": ', '":  ').encode()
    path = tmp_path / "odd.ipynb"
    path.write_bytes(raw)
    result = cli(path, "--fix")
    assert path.read_bytes() == raw and "layout" in result.err
