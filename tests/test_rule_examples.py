"""Every rule's examples (rules/examples/TFDnnn.toml) and doc page (rules/docs/TFDnnn.md).

An example is data: ``code`` plus optional ``options`` (keras_version, script, notebook) and an
optional ``xfail`` reason. In an ``[[invalid]]`` example, each line that must carry the file's
code ends with a marker comment ``#! TFDnnn`` (several codes allowed). The example passes when
the code is reported on exactly the marked lines. A ``[[valid]]`` example must not get the code.

An example also shows its fix, as Fixit's ``expected_replacement``: ``fixed`` is the code after
``tfdetlint --fix`` and ``fixed_unsafe`` after ``--fix --unsafe-fixes`` (absent: the code is left
as it was, or as ``fixed`` left it). Each doc page's Example block must get its rule and its Use
instead block must not.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fixing import applied_in_one_pass, findings_for, fixed_text
from tfdetlint.checks import MESSAGE_LIMIT
from tfdetlint.engine import check_bytes
from tfdetlint.findings import Finding
from tfdetlint.options import Options
from tfdetlint.prefilter import could_match
from tfdetlint.report.help import rule_help

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
EXAMPLES = RULES / "examples"
DOCS = RULES / "docs"

MARKER = re.compile(r"#!\s*((?:TFD\d{3}\s*)+)\s*$")
SECTIONS = (
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
    "## Fix safety",
    "## Where it applies",
)
OPTION_KEYS = {"keras_version", "script", "notebook"}
MIN_EXAMPLES = 3


def rule_table() -> dict[str, dict[str, Any]]:
    with open(RULES / "rules.toml", "rb") as handle:
        return tomllib.load(handle)


def load_examples(path: Path) -> dict[str, list[dict[str, Any]]]:
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    return {kind: list(data.get(kind, [])) for kind in ("invalid", "valid")}


def marked_lines(code: str, rule: str) -> set[int]:
    """Lines whose trailing ``#!`` marker names ``rule``."""
    lines = set()
    for number, line in enumerate(code.splitlines(), start=1):
        match = MARKER.search(line)
        if match and rule in match.group(1).split():
            lines.add(number)
    return lines


def marked_codes(code: str) -> set[str]:
    codes: set[str] = set()
    for line in code.splitlines():
        match = MARKER.search(line)
        if match:
            codes.update(match.group(1).split())
    return codes


def as_notebook(code: str) -> bytes:
    """One code cell holding the example, so cell lines are the example's lines."""
    cell = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
            "source": code.splitlines(keepends=True)}
    notebook = {"cells": [cell], "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
                "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(notebook).encode("utf-8")


def checked(code: str, options: dict[str, Any]) -> list[Finding]:
    unknown = set(options) - OPTION_KEYS
    assert not unknown, f"unknown example options: {sorted(unknown)}"
    engine_options = Options(keras_version=str(options.get("keras_version", "3")),
                             force_script=options.get("script"))
    if options.get("notebook"):
        raw, path = as_notebook(code), "example.ipynb"
    else:
        raw, path = code.encode("utf-8"), "example.py"
    return check_bytes(raw, path, engine_options)


def run_example(code: str, options: dict[str, Any]) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in checked(code, options)]


def collect_cases() -> list[Any]:
    cases = []
    for path in sorted(EXAMPLES.glob("TFD*.toml")):
        rule = path.stem
        for kind, examples in load_examples(path).items():
            for index, example in enumerate(examples, start=1):
                marks = [pytest.mark.xfail(reason=example["xfail"], strict=True)] if "xfail" in example else []
                cases.append(pytest.param(rule, kind, example, id=f"{rule}-{kind}-{index}", marks=marks))
    return cases


@pytest.mark.parametrize(("rule", "kind", "example"), collect_cases())
def test_example(rule: str, kind: str, example: dict[str, Any]) -> None:
    code = example["code"]
    found = run_example(code, example.get("options", {}))

    def reported(code_: str) -> list[int]:
        return sorted({line for line, c in found if c == code_})

    if kind == "invalid":
        assert marked_lines(code, rule), f"invalid example marks no line with `#! {rule}`"
    else:
        assert not marked_lines(code, rule), "valid example carries a marker for its own rule"
        assert not reported(rule), f"{rule} reported on lines {reported(rule)} of a valid example; all: {found}"
    # Every code a marker names (the file's own rule for invalid examples) is checked exactly.
    for other in sorted(marked_codes(code)):
        expected = sorted(marked_lines(code, other))
        assert reported(other) == expected, (
            f"{other} reported on lines {reported(other)}, marked {expected}; all findings: {found}")


@pytest.mark.parametrize("rule", sorted(rule_table()))
def test_rule_has_doc_page(rule: str) -> None:
    page = DOCS / f"{rule}.md"
    assert page.is_file(), f"missing {page.relative_to(ROOT)}"
    text = page.read_text(encoding="utf-8")
    name = rule_table()[rule]["name"]
    assert text.startswith(f"# {rule}: {name}\n"), f"{page.name} must start with '# {rule}: {name}'"
    positions = []
    for section in SECTIONS:
        assert re.search(rf"^{re.escape(section)}\s*$", text, re.MULTILINE), f"{page.name} lacks '{section}'"
        positions.append(re.search(rf"^{re.escape(section)}\s*$", text, re.MULTILINE).start())  # type: ignore[union-attr]
    assert positions == sorted(positions), f"{page.name}: sections out of order"


@pytest.mark.parametrize("rule", sorted(rule_table()))
def test_rule_has_examples(rule: str) -> None:
    path = EXAMPLES / f"{rule}.toml"
    assert path.is_file(), f"missing {path.relative_to(ROOT)}"
    examples = load_examples(path)
    for kind in ("invalid", "valid"):
        assert len(examples[kind]) >= MIN_EXAMPLES, f"{path.name}: fewer than {MIN_EXAMPLES} {kind} examples"
        for example in examples[kind]:
            assert isinstance(example.get("code"), str), f"{path.name}: an example has no code"
            assert set(example) <= {"code", "options", "xfail", "fixed", "fixed_unsafe", "fix_xfail"}, (
                f"{path.name}: unknown keys {sorted(example)}")


def test_no_stray_example_files() -> None:
    codes = set(rule_table())
    for path in EXAMPLES.glob("*.toml"):
        assert path.stem in codes, f"{path.name} names no rule in rules.toml"


def test_marker_is_not_noqa() -> None:
    """The ``#!`` marker is a plain comment: a marked line is still reported."""
    code = "import random\n\nif __name__ == '__main__':\n    random.random()  #! TFD104\n"
    assert (4, "TFD104") in run_example(code, {})


def fix_cases(*, fix_test: bool = False) -> list[Any]:
    cases = []
    for path in sorted(EXAMPLES.glob("TFD*.toml")):
        if path.stem == "TFD000":
            continue  # files that cannot be read or parsed are never rewritten
        for kind, examples in load_examples(path).items():
            for index, example in enumerate(examples, start=1):
                if "xfail" not in example:
                    # fix_xfail: a known fixer defect, kept visible (strict: it must still fail)
                    known = fix_test and "fix_xfail" in example
                    marks = [pytest.mark.xfail(reason=example["fix_xfail"], strict=True)] if known else []
                    cases.append(pytest.param(example, id=f"{path.stem}-{kind}-{index}", marks=marks))
    return cases


@pytest.mark.parametrize("example", fix_cases(fix_test=True))
def test_example_fix(example: dict[str, Any]) -> None:
    """--fix writes ``fixed``, --fix --unsafe-fixes writes ``fixed_unsafe``, and a second run changes nothing."""
    code, options = example["code"], example.get("options", {})
    safe = example.get("fixed", code)
    unsafe = example.get("fixed_unsafe", safe)
    assert fixed_text(code, options, unsafe=False) == safe
    assert fixed_text(code, options, unsafe=True) == unsafe
    assert fixed_text(safe, options, unsafe=False) == safe, "a second --fix must change nothing"
    assert fixed_text(unsafe, options, unsafe=True) == unsafe, "a second --fix --unsafe-fixes must change nothing"


@pytest.mark.parametrize("example", fix_cases())
def test_example_fixable_count_is_what_fix_applies(example: dict[str, Any]) -> None:
    """The report's fixable count (``[*]``, JSON ``fixable``) is exactly what one --fix pass applies."""
    code, options = example["code"], example.get("options", {})
    for unsafe in (False, True):
        fixable, applied = applied_in_one_pass(code, options, unsafe=unsafe)
        assert fixable == applied, f"unsafe={unsafe}: {fixable} marked fixable, {applied} applied"


@pytest.mark.parametrize("example", fix_cases())
def test_example_same_findings_without_prefilter(example: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The pre-filter (built from the registry's trigger words) never hides a finding."""
    code, options = example["code"], example.get("options", {})
    with_filter = findings_for(code, options)
    monkeypatch.setattr("tfdetlint.engine.could_match", lambda *args, **kwargs: True)
    assert findings_for(code, options) == with_filter
    assert could_match  # the name the engine uses


def doc_block(rule: str, section: str) -> str:
    text = (DOCS / f"{rule}.md").read_text(encoding="utf-8")
    body = re.search(rf"^{re.escape(section)}\s*$(.*?)(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert body is not None, f"{rule}.md lacks {section}"
    block = re.search(r"```python\n(.*?)```", body.group(1), re.DOTALL)
    assert block is not None, f"{rule}.md: {section} has no python block"
    return block.group(1)


@pytest.mark.parametrize("rule", sorted(rule_table()))
def test_doc_page_example_and_use_instead(rule: str) -> None:
    example = {f.code for f in findings_for(doc_block(rule, "## Example"), {})}
    assert rule in example, f"{rule}.md's Example gives {sorted(example)}"
    instead = {f.code for f in findings_for(doc_block(rule, "## Use instead"), {})}
    assert rule not in instead, f"{rule}.md's Use instead still gives {rule}"


def example_findings() -> list[tuple[str, Finding]]:
    """(example id, finding) for every finding of every rule example, valid and invalid."""
    found = []
    for path in sorted(EXAMPLES.glob("TFD*.toml")):
        for kind, examples in load_examples(path).items():
            for index, example in enumerate(examples, start=1):
                found += [(f"{path.stem}-{kind}-{index}", f) for f in checked(example["code"], example.get("options", {}))]
    return found


def test_messages_are_one_short_line() -> None:
    """Issue 16: a message says what and where in one line of at most MESSAGE_LIMIT (100) characters;
    why and the remedy are the finding's help (``full`` output, JSON, SARIF)."""
    found = example_findings()
    assert len(found) > 300  # every rule's examples were run
    long = [f"{where}: {f.code} ({len(f.message)}) {f.message}" for where, f in found
            if len(f.message) > MESSAGE_LIMIT or "\n" in f.message]
    assert not long, "messages over the limit:\n" + "\n".join(long)
    without_help = sorted({f.code for _, f in found if not (f.help or rule_help(f.code))})
    assert not without_help, f"findings with no help (remedy): {without_help}"
    # SARIF's rule help and fullDescription carry each rule's remedy.
    assert not [code for code in rule_table() if not rule_help(code)], "rules.toml: a rule without `help`"
