"""Issue 16: each file uses its nearest configuration; errors are one line naming file and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import HAZARD, SHUFFLE


def codes(out: str) -> list[tuple[str, str]]:
    return sorted((Path(f["path"]).as_posix(), f["code"]) for f in json.loads(out))


@pytest.fixture
def two_projects(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.tfdetlint]\n")
    for name, select in (("a", ["TFD1"]), ("b", ["TFD3"])):
        (tmp_path / name).mkdir()
        (tmp_path / name / "pyproject.toml").write_text(f"[tool.tfdetlint]\nselect = {json.dumps(select)}\n")
        (tmp_path / name / "train.py").write_text(HAZARD + SHUFFLE.split("\n", 2)[2])
    return tmp_path


def test_each_file_uses_its_nearest_configuration_in_any_order(tfd, two_projects: Path) -> None:  # type: ignore[no-untyped-def]
    ab = tfd(two_projects, "a", "b", "--format", "json")
    ba = tfd(two_projects, "b", "a", "--format", "json")
    assert ab.code == ba.code == 1
    assert codes(ab.out) == codes(ba.out) == [("a/train.py", "TFD101"), ("b/train.py", "TFD301")]
    # Files named one by one, from the parent folder, give the same.
    files = tfd(two_projects, "b/train.py", "a/train.py", "--format", "json")
    assert codes(files.out) == codes(ab.out)


def test_config_flag_and_isolated_apply_to_every_file(tfd, two_projects: Path) -> None:  # type: ignore[no-untyped-def]
    (two_projects / "only3.toml").write_text('select = ["TFD3"]\n')
    result = tfd(two_projects, "a", "b", "--config", "only3.toml", "--format", "json")
    assert {c for _, c in codes(result.out)} == {"TFD301"}
    isolated = tfd(two_projects, "a", "b", "--isolated", "--format", "json")
    assert {c for _, c in codes(isolated.out)} == {"TFD101", "TFD301", "TFD501"}


def test_tfdetlint_toml_wins_over_pyproject_and_extend_bases_it(tfd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "base.toml").write_text('select = ["TFD3", "TFD5"]\nper-file-ignores = { "skip.py" = ["TFD"] }\n')
    project = tmp_path / "p"
    project.mkdir()
    (project / "pyproject.toml").write_text('[tool.tfdetlint]\nselect = ["TFD1"]\n')
    (project / "tfdetlint.toml").write_text('extend = "../base.toml"\nextend-ignore = ["TFD5"]\n')
    (project / "train.py").write_text(HAZARD + SHUFFLE.split("\n", 2)[2])
    (project / "skip.py").write_text(HAZARD)
    result = tfd(project, ".", "--format", "json")
    assert codes(result.out) == [("train.py", "TFD301")]
    (project / ".tfdetlint.toml").write_text('select = ["TFD101"]\n')  # the dot-file comes first
    assert codes(tfd(project, ".", "--format", "json").out) == [("skip.py", "TFD101"), ("train.py", "TFD101")]


def test_extend_cycle_is_an_error(tfd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "tfdetlint.toml").write_text('extend = "other.toml"\n')
    (tmp_path / "other.toml").write_text('extend = "tfdetlint.toml"\n')
    (tmp_path / "train.py").write_text(HAZARD)
    result = tfd(tmp_path, ".")
    assert result.code == 2 and "cycle" in result.err


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize(("content", "expected"), [
    ("[tool.tfdetlint\nselect = 1\n", "pyproject.toml: invalid TOML"),
    ("[tool.tfdetlint]\nbogus = 1\n", "pyproject.toml: unknown option `bogus`"),
    ('[tool.tfdetlint]\nselect = ["TDF"]\n', "pyproject.toml: `select`: 'TDF' matches no rule"),
    ('[tool.tfdetlint]\nper-file-ignores = { "x.py" = ["TFD9"] }\n', "`per-file-ignores.x.py`: 'TFD9' matches no rule"),
    ('[tool.tfdetlint]\ninclude-tests = "yes"\n', "`include-tests` must be true or false"),
])
def test_configuration_errors_exit_2_with_one_line(tfd, tmp_path: Path, content: str, expected: str) -> None:  # type: ignore[no-untyped-def]
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "pyproject.toml").write_text(content)
    (sub / "train.py").write_text(HAZARD)
    for target in ("sub", "sub/train.py"):
        result = tfd(tmp_path, target)
        assert result.code == 2
        line = one_error_line(result.err)
        assert expected in line and str(sub / "pyproject.toml") in line, line


@pytest.mark.parametrize(("args", "expected"), [
    (["--select", "XYZ"], "--select: 'XYZ' matches no rule"),
    (["--select", ","], "--select: an empty selector matches no rule"),
    (["--ignore", "TFD1,QQ"], "--ignore: 'QQ' matches no rule"),
    (["--extend-select", "TDF"], "--extend-select: 'TDF' matches no rule"),
])
def test_command_line_selectors_matching_no_rule(tfd, tmp_path: Path, args: list[str], expected: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "train.py").write_text(HAZARD)
    result = tfd(tmp_path, "train.py", *args)
    assert result.code == 2
    assert expected in one_error_line(result.err)


def test_valid_selectors_still_work(tfd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "train.py").write_text(HAZARD)
    assert tfd(tmp_path, "train.py", "--select", "ALL", "-q").code == 1
    assert tfd(tmp_path, "train.py", "--select", "tfd3", "-q").code == 0  # case does not matter


def test_unrelated_pyproject_without_table_is_skipped(tfd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "pyproject.toml").write_text('[tool.tfdetlint]\nselect = ["TFD3"]\n')
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "pkg" / "train.py").write_text(HAZARD)
    assert tfd(tmp_path, "pkg", "-q").code == 0  # the parent's select applies


def test_show_files_and_show_settings(tfd, two_projects: Path) -> None:  # type: ignore[no-untyped-def]
    (two_projects / ".gitignore").write_text("b/\n")
    listed = tfd(two_projects, ".", "--show-files")
    assert listed.code == 0 and listed.out.split() == ["a/train.py"]
    shown = tfd(two_projects, "b/train.py", "--show-settings")
    assert shown.code == 0
    assert f"config-file = {two_projects / 'b' / 'pyproject.toml'}" in shown.out
    assert "select = ['TFD3']" in shown.out


def test_fix_uses_each_files_own_configuration(tfd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Issue 12: `--fix` collects through the same path as `check`, so a sub-project's own
    `select` and `seed` hold for its files whichever folder the command starts from."""
    (tmp_path / "pyproject.toml").write_text("[tool.tfdetlint]\nseed = 11\n")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "pyproject.toml").write_text('[tool.tfdetlint]\nseed = 7\n')
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "pyproject.toml").write_text('[tool.tfdetlint]\nselect = ["TFD3"]\n')
    for name in ("a", "b"):
        (tmp_path / name / "train.py").write_text(HAZARD)
    result = tfd(tmp_path, "a", "b", "--fix")
    assert result.code == 0, result.err
    assert "set_random_seed(7)" in (tmp_path / "a" / "train.py").read_text()
    assert (tmp_path / "b" / "train.py").read_text() == HAZARD  # TFD1/TFD5 are not selected there
