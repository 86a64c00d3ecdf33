"""The flake8 plugin, through real ``flake8`` runs, against ``tfdetlint check --format json``."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FILES, TRAIN, clean_env, cli_findings, run

pytest.importorskip("flake8")

# flake8's default format: path:line:col: CODE message
LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<col>\d+): (?P<code>[A-Z]+\d+) (?P<message>.*)$")

Key = tuple[str, int, int, str, str]


def flake8(*args: str, cwd: Path, **env: str) -> tuple[int, set[Key], str]:
    proc = run([sys.executable, "-m", "flake8", *args], cwd, clean_env(**env))
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    found: set[Key] = set()
    for text in proc.stdout.splitlines():
        match = LINE.match(text)
        assert match, f"unexpected flake8 output line: {text!r}"
        found.add((match["path"], int(match["line"]), int(match["col"]), match["code"], match["message"]))
    return proc.returncode, found, proc.stderr


def cli(*args: str, cwd: Path) -> set[Key]:
    return {(f["path"], f["line"], f["column"], f["code"], f["message"]) for f in cli_findings(*args, cwd=cwd)}


def codes(found: set[Key]) -> dict[tuple[str, int], set[str]]:
    out: dict[tuple[str, int], set[str]] = {}
    for path, line, _, code, _ in found:
        out.setdefault((path, line), set()).add(code)
    return out


def test_same_findings_as_the_command_line(project: Path) -> None:
    rc, ours, _ = flake8("--select", "TFD", *FILES, cwd=project)
    expected = cli(*FILES, cwd=project)
    assert rc == 1
    assert ours == expected
    # The fixture really exercises what it is meant to (so the equality above means something).
    by_line = codes(ours)
    assert by_line[("train.py", 4)] >= {"TFD101"}
    assert "TFD301" in by_line[("train.py", 5)]
    assert "TFD401" in by_line[("train.py", 6)]
    assert ("train.py", 7) not in by_line  # `# noqa: TFD101`
    assert "TFD101" in by_line[("train.py", 8)]
    assert "TFD401" in by_line[("pipeline.py", 5)]
    assert "TFD301" in by_line[("crlf.py", 2)]
    assert "TFD101" in by_line[("latin.py", 3)]
    assert not any(path == "clean.py" for path, _ in by_line)


def test_columns_count_characters(project: Path) -> None:
    _, ours, _ = flake8("--select", "TFD101", "train.py", "latin.py", cwd=project)
    columns = {(path, line): col for path, line, col, _, _ in ours}
    # Non-ASCII text before the call: byte and character offsets differ; both tools count characters.
    assert columns[("train.py", 8)] == "größe = 3; z = tf.random.uniform([größe])".index("uniform") + 1  # the call's name
    assert columns[("latin.py", 3)] == "été = 1; x = tf.random.normal([3])  # é".index("normal") + 1


def test_select_shows_only_ours(project: Path) -> None:
    _, everything, _ = flake8("train.py", cwd=project)
    _, selected, _ = flake8("--select", "TFD", "train.py", cwd=project)
    assert any(not code.startswith("TFD") for _, _, _, code, _ in everything)  # E702 at least
    assert selected == {k for k in everything if k[3].startswith("TFD")}
    assert selected


def test_extend_ignore(project: Path) -> None:
    _, before, _ = flake8("--select", "TFD", "train.py", cwd=project)
    _, after, _ = flake8("--select", "TFD", "--extend-ignore", "TFD101", "train.py", cwd=project)
    assert any(k[3] == "TFD101" for k in before)
    assert after == {k for k in before if k[3] != "TFD101"}


def test_per_file_ignores(project: Path) -> None:
    (project / ".flake8").write_text("[flake8]\nper-file-ignores =\n    train.py: TFD101,TFD5\n", encoding="utf-8")
    _, found, _ = flake8("--select", "TFD", "train.py", "latin.py", cwd=project)
    assert not any(k[0] == "train.py" and k[3] in ("TFD101", "TFD501") for k in found)
    assert any(k[0] == "train.py" and k[3] == "TFD301" for k in found)
    assert any(k[0] == "latin.py" and k[3] == "TFD101" for k in found)


def test_noqa_without_codes(project: Path) -> None:
    (project / "n.py").write_text(
        "import tensorflow as tf\nx = tf.random.normal([3])  # noqa\nif __name__ == '__main__':\n    pass\n",
        encoding="utf-8",
    )
    _, found, _ = flake8("--select", "TFD", "n.py", cwd=project)
    assert found == set()
    _, shown, _ = flake8("--select", "TFD", "--disable-noqa", "n.py", cwd=project)
    # The engine drops `# noqa` lines itself (as flake8 does), so --disable-noqa cannot bring them back.
    assert shown == set()


def test_jobs_give_the_same(project: Path) -> None:
    for i in range(6):  # enough files for flake8 to really start workers
        (project / f"copy{i}.py").write_text((project / "train.py").read_text(encoding="utf-8"), encoding="utf-8")
    files = [*FILES, *(f"copy{i}.py" for i in range(6))]
    _, serial, _ = flake8("--select", "TFD", "--jobs", "1", *files, cwd=project)
    _, parallel, _ = flake8("--select", "TFD", "--jobs", "2", *files, cwd=project)
    assert serial == parallel
    assert serial == cli(*files, cwd=project)


def test_keras_version_from_pyproject(project: Path) -> None:
    _, keras3, _ = flake8("--select", "TFD102", "train.py", cwd=project)
    (project / "pyproject.toml").write_text('[tool.tfdetlint]\nkeras-version = "2"\n', encoding="utf-8")
    _, keras2, _ = flake8("--select", "TFD102", "train.py", cwd=project)
    assert keras3 != keras2
    assert keras2 == {k for k in cli("train.py", cwd=project) if k[3] == "TFD102"}
    assert keras2


def test_keras_version_option_and_flake8_config(project: Path) -> None:
    _, keras3, _ = flake8("--select", "TFD102", "train.py", cwd=project)
    _, option, _ = flake8("--select", "TFD102", "--tfdetlint-keras-version", "2", "train.py", cwd=project)
    (project / ".flake8").write_text("[flake8]\ntfdetlint-keras-version = 2\n", encoding="utf-8")
    _, config, _ = flake8("--select", "TFD102", "train.py", cwd=project)
    assert option == config == {k for k in cli("--keras-version", "2", "train.py", cwd=project) if k[3] == "TFD102"}
    assert option != keras3


def test_bad_keras_version_is_a_usage_error(project: Path) -> None:
    proc = run([sys.executable, "-m", "flake8", "--tfdetlint-keras-version", "4", "train.py"], project)
    assert proc.returncode != 0
    assert "keras-version must be 2 or 3" in proc.stderr


def test_script_and_library_globs(project: Path) -> None:
    # pipeline.py has no script marker: TFD101 fires only in scripts.
    (project / "pipeline.py").write_text("import tensorflow as tf\nx = tf.random.normal([3])\n", encoding="utf-8")
    _, library, _ = flake8("--select", "TFD1", "pipeline.py", cwd=project)
    _, script, _ = flake8("--select", "TFD1", "--tfdetlint-script-globs", "pipe*.py", "pipeline.py", cwd=project)
    assert library == set()
    assert {k[3] for k in script} == {"TFD101"}
    (project / ".flake8").write_text("[flake8]\ntfdetlint-script-globs = ./pipeline.py\n", encoding="utf-8")
    _, configured, _ = flake8("--select", "TFD1", "pipeline.py", cwd=project)
    assert configured == script
    # And [tool.tfdetlint] scripts = [...] when flake8 is given nothing.
    (project / ".flake8").write_text("[flake8]\n", encoding="utf-8")
    (project / "pyproject.toml").write_text('[tool.tfdetlint]\nscripts = ["pipeline.py"]\n', encoding="utf-8")
    _, from_pyproject, _ = flake8("--select", "TFD1", "pipeline.py", cwd=project)
    assert from_pyproject == script
    # A library glob wins over [tool.tfdetlint] scripts.
    _, forced, _ = flake8("--select", "TFD1", "--tfdetlint-library-globs", "pipeline.py", "pipeline.py", cwd=project)
    assert forced == set()


def test_pyproject_ignore_applies(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.tfdetlint]\nignore = ["TFD4"]\n', encoding="utf-8")
    _, found, _ = flake8("--select", "TFD", *FILES, cwd=project)
    assert found == cli(*FILES, cwd=project)
    assert not any(k[3].startswith("TFD4") for k in found)


def test_configuration_error_is_reported_not_raised(project: Path) -> None:
    (project / "pyproject.toml").write_text('[tool.tfdetlint]\nkeras-version = "9"\n', encoding="utf-8")
    _, found, _ = flake8("--select", "TFD", "train.py", cwd=project)
    assert {(k[1], k[3]) for k in found} == {(1, "TFD000")}
    assert "keras-version must be 2 or 3" in next(iter(found))[4]


def test_disable_environment_variable(project: Path) -> None:
    rc, found, _ = flake8("--select", "TFD", *FILES, cwd=project, TFDETLINT_FLAKE8_DISABLE="1")
    assert (rc, found) == (0, set())


def test_stdin_with_display_name(project: Path) -> None:
    # How editors run flake8: the unsaved buffer on stdin, the real path as the display name.
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--select", "TFD", "--stdin-display-name", "train.py", "-"],
        cwd=project, env=clean_env(), input=TRAIN, capture_output=True, text=True, encoding="utf-8", timeout=120,
    )
    from_stdin = set()
    for text in proc.stdout.splitlines():
        match = LINE.match(text)
        assert match, text
        from_stdin.add((match["path"], int(match["line"]), int(match["col"]), match["code"], match["message"]))
    _, from_file, _ = flake8("--select", "TFD", "train.py", cwd=project)
    assert from_stdin == from_file
    assert from_file


def test_syntax_error_is_flake8s(project: Path) -> None:
    (project / "broken.py").write_text("import tensorflow as tf\nx = tf.random.normal([3]\n", encoding="utf-8")
    _, found, _ = flake8("--select", "TFD,E999", "broken.py", cwd=project)
    assert {k[3] for k in found} == {"E999"}
