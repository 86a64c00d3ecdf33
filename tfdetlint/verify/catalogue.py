"""The probe catalogue (``rules/probes/index.toml``) and how findings map onto it.

Probes are data, not code of this package: the catalogue ships in the wheel as
``tfdetlint/_rules`` and is read from the source tree when running from a checkout.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.resources
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfdetlint.findings import Finding

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

NONLITERAL = "<non-literal>"


@dataclass(frozen=True)
class ProbeSpec:
    id: str
    source: str
    file: str
    apis: tuple[str, ...]
    codes: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    presence: tuple[str, ...] = ()
    positions: tuple[tuple[str, str], ...] = ()
    compare: str = "all"
    repeats: int = 2
    gpu_note: str = ""
    cpu_note: str = ""
    # Arguments a finding's code implies although the finding does not carry them: TFD203 on
    # bincount is only ever raised for the weighted call, so its probe must pass weights.
    implied: tuple[tuple[str, str], ...] = ()
    # What the snippet runs in place of an api it does not call itself ("" = it calls the api).
    stand_in: str = ""
    exact: tuple[str, ...] = ()

    def stand_in_for(self, api: str) -> str:
        return self.stand_in if self.stand_in and api not in self.exact else ""

    @property
    def source_hash(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()[:16]

    def matches(self, finding: Finding) -> bool:
        if self.codes and finding.code not in self.codes:
            return False
        return "*" in self.apis or finding.api in self.apis


@dataclass(frozen=True)
class ProbeGroup:
    """Findings that one probe run answers: same probe, same api, same args that matter."""

    probe: ProbeSpec
    api: str
    args: tuple[tuple[str, str], ...]  # (param, normalised source text) for the probe
    findings: tuple[Finding, ...] = field(default=(), compare=False)

    @property
    def key(self) -> str:
        raw = repr((self.probe.id, self.probe.source_hash, self.api, self.args))
        return hashlib.sha256(raw.encode()).hexdigest()[:20]


def default_rules_dir() -> Path:
    """Where ``rules/`` lives: inside the wheel, else next to the package in a checkout."""
    try:
        packaged = importlib.resources.files("tfdetlint") / "_rules"
        if packaged.is_dir():
            return Path(str(packaged))
    except (ModuleNotFoundError, NotADirectoryError):  # pragma: no cover
        pass
    import tfdetlint

    return Path(tfdetlint.__file__).resolve().parent.parent / "rules"


def default_probes_dir() -> Path:
    return default_rules_dir() / "probes"


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def load_catalogue(probes_dir: Path | None = None) -> list[ProbeSpec]:
    """Read ``index.toml``; order matters because matching is first-match."""
    root = probes_dir or default_probes_dir()
    data = tomllib.loads((root / "index.toml").read_text(encoding="utf-8"))
    specs: list[ProbeSpec] = []
    for entry in data.get("probe", []):
        file = str(entry["file"])
        positions = entry.get("positions", {})
        specs.append(
            ProbeSpec(
                id=str(entry["id"]),
                source=(root / file).read_text(encoding="utf-8"),
                file=file,
                apis=_strs(entry.get("apis", ["*"])),
                codes=_strs(entry.get("codes", [])),
                params=_strs(entry.get("params", [])),
                presence=_strs(entry.get("presence", [])),
                positions=tuple(sorted((str(k), str(v)) for k, v in positions.items())),
                compare=str(entry.get("compare", "all")),
                repeats=int(entry.get("repeats", 2)),
                gpu_note=str(entry.get("gpu_note", "")),
                cpu_note=str(entry.get("cpu_note", "")),
                implied=tuple(sorted((str(k), str(v)) for k, v in entry.get("implied", {}).items())),
                stand_in=str(entry.get("stand_in", "")),
                exact=_strs(entry.get("exact", [])),
            )
        )
    return specs


def find_probe(finding: Finding, catalogue: list[ProbeSpec]) -> ProbeSpec | None:
    return next((spec for spec in catalogue if spec.matches(finding)), None)


def normalise_literal(text: str) -> str:
    """Canonical text for a literal (``1_0`` and ``10`` group together); never evaluates code."""
    try:
        return repr(ast.literal_eval(text))
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return NONLITERAL


def probe_args(finding: Finding, spec: ProbeSpec) -> tuple[tuple[str, str], ...]:
    """The finding's args that matter to ``spec``, keyed by parameter name.

    Literal values keep their (normalised) text; anything else becomes ``NONLITERAL`` so the
    worker can substitute a representative value. For ``presence`` params only "given" matters.
    """
    by_position = dict(spec.positions)
    out: dict[str, str] = {}
    for name, text in finding.args:
        param = by_position.get(name, name)
        if param in spec.presence:
            out[param] = NONLITERAL
        elif param in spec.params:
            out[param] = normalise_literal(text)
    for param, text in spec.implied:
        out.setdefault(param, NONLITERAL if param in spec.presence else normalise_literal(text))
    return tuple(sorted(out.items()))


def group_findings(
    findings: list[Finding], catalogue: list[ProbeSpec]
) -> tuple[list[ProbeGroup], list[Finding]]:
    """Group findings by hazard; returns (groups in first-seen order, findings without probe)."""
    groups: dict[tuple[str, str, tuple[tuple[str, str], ...]], list[Finding]] = {}
    specs: dict[str, ProbeSpec] = {}
    unprobed: list[Finding] = []
    for finding in findings:
        spec = find_probe(finding, catalogue)
        if spec is None:
            unprobed.append(finding)
            continue
        specs[spec.id] = spec
        groups.setdefault((spec.id, finding.api, probe_args(finding, spec)), []).append(finding)
    result = [
        ProbeGroup(specs[pid], api, args, tuple(members))
        for (pid, api, args), members in groups.items()
    ]
    return result, unprobed
