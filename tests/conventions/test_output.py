"""Issue 16: output formats, help lines, statistics, colour, progress and scope notes."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tfdetlint.check_command import ProgressLine
from tfdetlint.report import FORMATS

from .conftest import HAZARD, LIBRARY, SHUFFLE


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "train.py").write_text(HAZARD + SHUFFLE.split("\n", 2)[2])
    (tmp_path / "lib.py").write_text(LIBRARY)
    (tmp_path / "test_lib.py").write_text(HAZARD)
    (tmp_path / "pyproject.toml").write_text("[tool.tfdetlint]\n")
    return tmp_path


def test_every_format_renders(tfd, project: Path) -> None:  # type: ignore[no-untyped-def]
    for fmt in FORMATS:
        result = tfd(project, "train.py", "--output-format", fmt)
        assert result.code == 1 and result.out.strip(), fmt


def test_format_is_an_alias_and_text_means_concise(tfd, project: Path) -> None:  # type: ignore[no-untyped-def]
    concise = tfd(project, "train.py", "--output-format", "concise").out
    assert tfd(project, "train.py", "--format", "text").out == concise
    assert tfd(project, "train.py").out == concise
    assert "train.py:3:15: TFD101 [*] " in concise


def test_full_shows_source_help_and_fix(tfd, project: Path) -> None:  # type: ignore[no-untyped-def]
    out = tfd(project, "train.py", "--output-format", "full").out
    assert "train.py:3:15: TFD101 [*]" in out
    assert '2 |     if __name__ == "__main__":' not in out  # the line as written, not re-indented
    assert '2 | if __name__ == "__main__":' in out
    assert "3 |     tf.random.normal([1])" in out
    assert "  |               ^^^^^^ TFD101" in out or "  |               ^" in out
    assert "  = help: Pass `seed=`" in out
    assert "  = fix: safe" in out


def test_json_and_json_lines_carry_help(tfd, project: Path) -> None:  # type: ignore[no-untyped-def]
    findings = json.loads(tfd(project, "train.py", "--output-format", "json").out)
    assert all(f["help"] for f in findings)
    lines = tfd(project, "train.py", "--output-format", "json-lines").out.splitlines()
    assert [json.loads(line) for line in lines] == findings


def test_gitlab_code_quality(tfd, project: Path) -> None:  # type: ignore[no-untyped-def]
    issues = json.loads(tfd(project, "train.py", "--output-format", "gitlab").out)
    assert issues and len({i["fingerprint"] for i in issues}) == len(issues)
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["severity"] in ("info", "minor", "major", "critical", "blocker")
        assert issue["location"]["path"] == "train.py" and issue["location"]["lines"]["begin"] >= 1
    again = json.loads(tfd(project, "train.py", "--output-format", "gitlab").out)
    assert [i["fingerprint"] for i in again] == [i["fingerprint"] for i in issues]  # stable


def test_junit(tfd, project: Path) -> None:  # type: ignore[no-untyped-def]
    root = ET.fromstring(tfd(project, "train.py", "--output-format", "junit").out)
    assert root.tag == "testsuites" and root.get("failures") == str(len(root.findall(".//failure")))
    case = root.find("./testsuite/testcase")
    assert case is not None and case.get("name", "").startswith("org.tfdetlint.TFD") and case.get("line")
    clean = ET.fromstring(tfd(project, "lib.py", "--output-format", "junit").out)
    assert clean.get("failures") == "0" and clean.find(".//testcase") is not None


def test_pylint(tfd, project: Path) -> None:  # type: ignore[no-untyped-def]
    out = tfd(project, "train.py", "--output-format", "pylint").out
    assert any(line.startswith("train.py:3: [TFD101] `tf.random.normal`") for line in out.splitlines())


def test_statistics_are_counts_only(tfd, project: Path) -> None:  # type: ignore[no-untyped-def]
    result = tfd(project, "train.py", "--statistics")
    assert result.code == 1
    rows = result.out.splitlines()
    assert rows and all(len(row.split("\t")) == 3 for row in rows)
    assert any(row.split("\t")[1].strip() == "TFD101" and row.split("\t")[2] == "[*] unseeded-tf-random-op" for row in rows)
    assert "Found" not in result.out and "train.py:" not in result.out


def test_color(tfd, project: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    assert "\033[" in tfd(project, "train.py", "--color", "always").out
    assert "\033[" not in tfd(project, "train.py", "--color", "never").out
    assert "\033[" not in tfd(project, "train.py").out  # auto: not a terminal here
    from tfdetlint.report.style import use_color

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert use_color("auto", Tty())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color("auto", Tty()) and use_color("always", Tty())


def test_progress_line_only_on_a_terminal_and_only_for_long_runs() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    clock = iter([0.0, 0.2, 5.0, 5.05, 6.0])
    tty = Tty()
    line = ProgressLine(tty, clock=lambda: next(clock))  # started at 0.0
    line(1, 10)  # 0.2 s: too early
    assert tty.getvalue() == ""
    line(5, 10)  # 5.0 s
    line(6, 10)  # 5.05 s: throttled
    line(10, 10)  # 6.0 s
    line.close()
    assert tty.getvalue() == ("\r\033[Ktfdetlint: 5/10 files checked\r\033[Ktfdetlint: 10/10 files checked\r\033[K")
    plain = io.StringIO()
    quiet = ProgressLine(plain)
    quiet.start = -100.0
    quiet(1, 2)
    quiet.close()
    assert plain.getvalue() == ""


def test_scope_notes(tfd, project: Path) -> None:  # type: ignore[no-untyped-def]
    shown = tfd(project, ".", "--show-scope").out
    assert "note: lib.py: treated as a library module (no __main__ block, no module-level training)" in shown
    assert "use --script" in shown
    assert "note: test_lib.py: treated as a test module (its name is test_*.py or *_test.py)" in shown
    assert "include-tests = true" in shown
    assert 'note: train.py: treated as a script (has an `if __name__ == "__main__":` block)' in shown
    full = tfd(project, "lib.py", "--output-format", "full")
    assert full.code == 0 and "note: lib.py: treated as a library module" in full.out
    assert "note: train.py" not in tfd(project, ".", "--output-format", "full").out  # full notes only non-scripts
    forced = tfd(project, "lib.py", "--library", "--show-scope").out
    assert "so configured" in forced
    machine = tfd(project, ".", "--show-scope", "--output-format", "json")
    json.loads(machine.out)  # the notes went to stderr
    assert "note: lib.py" in machine.err


def test_sarif_rules_carry_help(tfd, project: Path) -> None:  # type: ignore[no-untyped-def]
    document = json.loads(tfd(project, "train.py", "--output-format", "sarif").out)
    rules = {r["id"]: r for r in document["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["TFD101"]["help"]["text"].startswith("Pass `seed=`")
    assert "Pass `seed=`" in rules["TFD101"]["fullDescription"]["text"]


def test_runner_reports_progress(tmp_path: Path) -> None:
    from tfdetlint import runner
    from tfdetlint.config import Settings

    files = []
    for i in range(3):
        files.append(tmp_path / f"m{i}.py")
        files[-1].write_text(HAZARD)
    seen: list[tuple[int, int]] = []
    runner.run(files, Settings(root=tmp_path), jobs=1, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(1, 3), (2, 3), (3, 3)]
