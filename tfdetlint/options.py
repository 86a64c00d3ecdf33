"""What one file's analysis takes (``Options``) and gives (``Analysis``), and the finding for a
file that cannot be analysed. Light on purpose: a run that finds every file in the cache imports
this, never the analysis."""

from __future__ import annotations

from dataclasses import dataclass

from tfdetlint.findings import FileScope, Finding


@dataclass(frozen=True)
class Options:
    """What changes the findings of one file (and so is part of its cache key)."""

    keras_version: str | None = None  # None: infer from the file and the project's dependencies
    force_script: bool | None = None  # None: decide from the code
    include_tests: bool = False  # test modules are not training runs: not checked unless asked

    def fingerprint(self) -> str:
        return f"keras={self.keras_version};script={self.force_script};tests={self.include_tests}"


@dataclass(frozen=True)
class Analysis:
    findings: list[Finding]
    dependencies: dict[str, str]  # project files consulted (helpers that seed) -> content digest
    scope: FileScope | None = None  # how the file was read (None: not parsed, e.g. pre-filtered)


def problem(path: str, message: str, line: int = 1, column: int = 1) -> Finding:
    """A TFD000: the file could not be read, decoded or parsed."""
    from tfdetlint.catalogue import load_catalogue

    return Finding(path, line, column, "TFD000", message, severity=load_catalogue().rules["TFD000"].severity)
