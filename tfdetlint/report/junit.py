"""``junit``: JUnit XML, one test suite per file and one failing test case per finding."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TextIO

from tfdetlint.catalogue import Rules
from tfdetlint.findings import Finding


def document(findings: list[Finding]) -> ET.Element:
    suites = ET.Element("testsuites", name="tfdetlint", tests=str(len(findings) or 1),
                        failures=str(len(findings)), errors="0")
    if not findings:
        suite = ET.SubElement(suites, "testsuite", name="tfdetlint", tests="1", disabled="0", errors="0",
                              failures="0", package="org.tfdetlint")
        ET.SubElement(suite, "testcase", name="No findings", classname="tfdetlint")
        return suites
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    for path, found in by_path.items():
        suite = ET.SubElement(suites, "testsuite", name=path, tests=str(len(found)), disabled="0", errors="0",
                              failures=str(len(found)), package="org.tfdetlint")
        for f in found:
            case = ET.SubElement(suite, "testcase", name=f"org.tfdetlint.{f.code}", classname=path,
                                 line=str(f.line), column=str(f.column))
            cell = f"cell {f.cell}, " if f.cell is not None else ""
            failure = ET.SubElement(case, "failure", message=f.message)
            failure.text = f"{cell}line {f.line}, col {f.column}, {f.message}"
    return suites


def render(findings: list[Finding], rules: Rules, out: TextIO) -> None:
    root = document(findings)
    ET.indent(root)
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(ET.tostring(root, encoding="unicode"))
    out.write("\n")
