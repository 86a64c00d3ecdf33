"""``--format sarif`` and ``--format github`` as CI consumes them; ``--statistics``; ``--output-file``."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from .conftest import FILES, cli_findings, tfdetlint

jsonschema = pytest.importorskip("jsonschema")

# The published SARIF 2.1.0 schema (OASIS, errata 01), vendored unchanged with its licence and
# provenance (tests/data/sarif-schema-2.1.0.NOTICE): no PyPI package ships it, and the tests must
# not fetch it. tests/conventions/test_sarif_schema.py checks that it is the published one.
SCHEMA = Path(__file__).resolve().parents[1] / "data" / "sarif-schema-2.1.0.json"


def sarif(project: Path, *paths: str) -> dict[str, Any]:
    proc = tfdetlint("check", "--format", "sarif", "--no-cache", *paths, cwd=project)
    assert proc.returncode == 1, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def validate(document: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_sarif_is_valid(project: Path) -> None:
    validate(sarif(project, *FILES))


def test_schema_rejects_what_github_rejects() -> None:
    # The schema is only worth something if it fails bad documents.
    good: dict[str, Any] = {
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": "t", "rules": [{"id": "X1"}]}},
                  "results": [{"ruleId": "X1", "message": {"text": "m"}, "locations": [{"physicalLocation": {
                      "artifactLocation": {"uri": "a.py"}, "region": {"startLine": 1, "startColumn": 1}}}]}]}],
    }
    validate(good)
    region = good["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]
    for bad in ({"startColumn": 0}, {"startLine": 0}, {"startline": 1}):
        broken = json.loads(json.dumps(good))
        broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"] = {**region, **bad}
        with pytest.raises(AssertionError):
            validate(broken)
    for mutate in (lambda d: d.pop("version"), lambda d: d["runs"][0]["results"][0].pop("message"),
                   lambda d: d["runs"][0]["tool"]["driver"].pop("name")):
        broken = json.loads(json.dumps(good))
        mutate(broken)
        with pytest.raises(AssertionError):
            validate(broken)


def test_sarif_meets_github_rules(project: Path) -> None:
    (project / "sub dir").mkdir()
    (project / "sub dir" / "a#b.py").write_text((project / "train.py").read_text(encoding="utf-8"), encoding="utf-8")
    document = sarif(project, *FILES, "sub dir/a#b.py")
    validate(document)
    (run,) = document["runs"]
    rules = run["tool"]["driver"]["rules"]
    ids = [rule["id"] for rule in rules]
    assert len(ids) == len(set(ids))
    assert run["results"]
    for result in run["results"]:
        assert result["ruleId"] in ids
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        uri = physical["artifactLocation"]["uri"]
        assert not uri.startswith(("/", "file:")) and "\\" not in uri, uri  # relative to the repository
        region = physical["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        if "endLine" in region:
            assert (region["endLine"], region["endColumn"]) >= (region["startLine"], region["startColumn"])
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert "sub%20dir/a%23b.py" in uris
    # Same findings as the JSON report.
    expected = {(f["path"], f["line"], f["column"], f["code"]) for f in cli_findings(*FILES, cwd=project)}
    got = {(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
            r["locations"][0]["physicalLocation"]["region"]["startColumn"], r["ruleId"]) for r in run["results"]}
    assert expected <= got


def test_sarif_absolute_paths_become_relative(project: Path) -> None:
    document = sarif(project, str(project / "train.py"))
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in document["runs"][0]["results"]}
    assert uris == {"train.py"}


def test_sarif_with_no_findings(project: Path) -> None:
    proc = tfdetlint("check", "--format", "sarif", "--no-cache", "clean.py", cwd=project)
    assert proc.returncode == 0
    document = json.loads(proc.stdout)
    validate(document)
    assert document["runs"][0]["results"] == []


GITHUB = re.compile(r"^::(warning|error) file=([^,:]+),line=(\d+),col=(\d+),title=(TFD\d{3})::(.+)$")


def test_github_annotations(project: Path) -> None:
    proc = tfdetlint("check", "--format", "github", "--no-cache", *FILES, cwd=project)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    expected = sorted((f["path"], f["line"], f["column"], f["code"], f["message"]) for f in cli_findings(*FILES, cwd=project))
    parsed = []
    for text in lines:
        match = GITHUB.match(text)
        assert match, f"not a GitHub annotation: {text!r}"
        level, path, line, col, code, message = match.groups()
        assert level == "warning"
        parsed.append((path, int(line), int(col), code, message))
    assert sorted(parsed) == expected
    assert "::warning file=train.py,line=5,col=32,title=TFD301::`tf.data.Dataset.shuffle` shuffles" in proc.stdout


def test_github_escapes_properties_and_data(tmp_path: Path) -> None:
    from tfdetlint.catalogue import load_rules
    from tfdetlint.findings import Finding
    from tfdetlint.report import github

    out: list[str] = []

    class Sink:
        def write(self, text: str) -> None:
            out.append(text)

    finding = Finding("a,b:c%.py", 3, 4, "TFD101", "50% of\nruns", end_line=5, end_column=2)
    github.render([finding], load_rules(), Sink())  # type: ignore[arg-type]
    assert "".join(out) == "::warning file=a%2Cb%3Ac%25.py,line=3,col=4,title=TFD101::50%25 of%0Aruns\n"


def test_statistics(project: Path) -> None:
    proc = tfdetlint("check", "--statistics", "--no-cache", *FILES, cwd=project)
    assert proc.returncode == 1
    findings = cli_findings(*FILES, cwd=project)
    counts: dict[str, int] = {}
    for f in findings:
        counts[f["code"]] = counts.get(f["code"], 0) + 1
    rows = [line for line in proc.stdout.splitlines() if re.match(r"^\s*\d+\tTFD\d{3}\t", line)]
    assert {row.split("\t")[1]: int(row.split("\t")[0]) for row in rows} == counts
    # Most frequent first.
    assert [int(row.split("\t")[0]) for row in rows] == sorted(counts.values(), reverse=True)


def test_statistics_with_json_are_json(project: Path) -> None:
    # As ruff: --statistics replaces the findings; with a JSON format the counts are JSON.
    proc = tfdetlint("check", "--format", "json", "--statistics", "--no-cache", *FILES, cwd=project)
    rows = json.loads(proc.stdout)
    assert {"code", "name", "count", "fixable"} <= set(rows[0])
    assert sum(r["count"] for r in rows) == len(cli_findings(*FILES, cwd=project))


def test_output_file(project: Path) -> None:
    for fmt in ("text", "json", "sarif", "github"):
        target = project / f"report.{fmt}"
        proc = tfdetlint("check", "--format", fmt, "--output-file", str(target), "--no-cache", *FILES, cwd=project)
        assert proc.returncode == 1
        assert proc.stdout == ""  # the report went to the file
        assert "Found" in proc.stderr  # and the summary to stderr
        direct = tfdetlint("check", "--format", fmt, "--no-cache", "--quiet", *FILES, cwd=project)
        assert target.read_text(encoding="utf-8") == direct.stdout
    validate(json.loads((project / "report.sarif").read_text(encoding="utf-8")))


def test_exit_zero_with_sarif_output(project: Path) -> None:
    # The GitHub Actions snippet in docs/integrations.md: upload the report whatever it finds.
    proc = tfdetlint("check", "--format", "sarif", "--output-file", "tfdetlint.sarif", "--exit-zero", "--no-cache", ".",
                     cwd=project)
    assert proc.returncode == 0
    validate(json.loads((project / "tfdetlint.sarif").read_text(encoding="utf-8")))
