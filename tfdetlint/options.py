"""What one file's analysis takes (``Options``) and gives (``Analysis``), and the finding for a
file that cannot be analysed. Light on purpose: a run that finds every file in the cache imports
this, never the analysis."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from tfdetlint.findings import FileScope, Finding, Ref


@dataclass(frozen=True, order=True)
class EntryContext:
    """A function of a file that a parallel tf.data stage in another file runs, at any depth
    (``data.py`` maps ``preprocess`` with ``num_parallel_calls``; ``preprocess`` is in ``util.py``)."""

    function: str  # a function defined at the module's top level
    origin: str  # the file of the parallel stage, as the run names it
    line: int  # the stage's line there
    stage: str  # the stage's API (``tensorflow.data.Dataset.map``)

    def to_json(self) -> list[Any]:
        return [self.function, self.origin, self.line, self.stage]

    @staticmethod
    def from_json(data: list[Any]) -> EntryContext:
        function, origin, line, stage = data
        return EntryContext(str(function), str(origin), int(line), str(stage))


@dataclass(frozen=True)
class Export:
    """An entry context this file hands to another project file: ``target`` (its resolved path)
    runs ``entry.function`` inside the parallel stage ``entry`` names. ``via``: the finding this
    file reports at its own call into the target (the helper's draws, seen from here), which the
    target's findings at the draws themselves replace when the target is checked in the same run."""

    target: str
    entry: EntryContext
    via: Ref | None = None

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target, "entry": self.entry.to_json(),
                "via": self.via.to_json() if self.via is not None else None}

    @staticmethod
    def from_json(data: dict[str, Any]) -> Export:
        via = data.get("via")
        return Export(str(data["target"]), EntryContext.from_json(data["entry"]),
                      Ref.from_json(via) if via else None)


@dataclass(frozen=True)
class Options:
    """What changes the findings of one file (and so is part of its cache key)."""

    keras_version: str | None = None  # None: infer from the file and the project's dependencies
    force_script: bool | None = None  # None: decide from the code
    include_tests: bool = False  # test modules are not training runs: not checked unless asked
    # Functions of this file that other checked files run in parallel tf.data stages (sorted)
    entries: tuple[EntryContext, ...] = ()

    def fingerprint(self) -> str:
        own = f"keras={self.keras_version};script={self.force_script};tests={self.include_tests}"
        if not self.entries:
            return own
        return own + ";entries=" + "|".join(f"{e.function}@{e.origin}:{e.line}:{e.stage}" for e in self.entries)


@dataclass(frozen=True)
class Analysis:
    findings: list[Finding]
    dependencies: dict[str, str]  # project files consulted (helpers that seed) -> content digest
    scope: FileScope | None = None  # how the file was read (None: not parsed, e.g. pre-filtered)
    exports: tuple[Export, ...] = ()  # entry contexts for other project files
    # The entry contexts (of ``Options.entries``) this file reported findings for
    served: tuple[EntryContext, ...] = ()


def relay_to_json(analysis: Analysis, path: str) -> dict[str, Any]:
    """What a cache entry keeps of ``analysis.exports``/``served``, for a warm run to hand on."""
    if not analysis.exports and not analysis.served:
        return {}
    # Targets are resolved from the file's place: the same bytes elsewhere hand on other things.
    return {"at": os.path.abspath(path), "exports": [x.to_json() for x in analysis.exports],
            "served": [e.to_json() for e in analysis.served]}


def relay_from_json(data: dict[str, Any], path: str) -> tuple[tuple[Export, ...], tuple[EntryContext, ...]] | None:
    """The exports and served entries of a cache entry; None when unusable (stored for another place)."""
    if not data:
        return (), ()
    try:
        if data["at"] != os.path.abspath(path):
            return None
        return (tuple(Export.from_json(x) for x in data["exports"]),
                tuple(EntryContext.from_json(e) for e in data["served"]))
    except (KeyError, TypeError, ValueError):
        return None


def problem(path: str, message: str, line: int = 1, column: int = 1) -> Finding:
    """A TFD000: the file could not be read, decoded or parsed."""
    from tfdetlint.catalogue import load_catalogue

    return Finding(path, line, column, "TFD000", message, severity=load_catalogue().rules["TFD000"].severity)
