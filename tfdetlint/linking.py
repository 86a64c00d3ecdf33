"""Link findings that share one root cause, after the rules and before the reporters.

One missing global seed makes a script's unseeded draws and shuffles findings of their own
(TFD101-104, TFD301-305), and TFD607/TFD611 when op determinism or sharding meets the missing TF
seed; TFD501 names that seed, once per file. The TFD501 finding is the primary: it names the
cause, its fix (one ``keras.utils.set_random_seed(SEED)`` at the start) removes every finding
linked to it, and it sits at the program's first draw. It lists the others as ``related``; each
of them points back to it as ``root``. A file whose TFD501 is not reported (ignored, or
silenced with noqa) is not linked: no finding would name the cause.

Only findings change; the analysis is not consulted again. A draw belongs to the group when the
catalogue says its rule fires on a global-seed domain TFD501 covers (so a seedless
``tf.random.Generator`` or ``np.random.default_rng()`` does not).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

# Not the checks: a warm run (every file from the cache) imports no analysis.
from tfdetlint.catalogue import GLOBAL_SEED_DOMAINS, Catalogue, load_catalogue
from tfdetlint.findings import Finding

ROOT_RULE = "TFD501"
# Rules that fire only while no TF global seed is set (their docs say so), whatever the API.
_TF_SEED_RULES = frozenset({"TFD607", "TFD611"})


def caused_by_missing_seed(finding: Finding, catalogue: Catalogue) -> bool:
    """Whether a global seed (the one TFD501 asks for) would make this finding go away."""
    if finding.code in _TF_SEED_RULES:
        return True
    return any(entry.rule == finding.code and entry.domain in GLOBAL_SEED_DOMAINS
               for entry in catalogue.random_apis.get(finding.api, ()))


def link_related(findings: list[Finding], catalogue: Catalogue | None = None) -> list[Finding]:
    """The findings in the same order, each file's TFD501 with its ``related`` findings and each of
    those with its ``root``."""
    if not any(f.code == ROOT_RULE for f in findings):
        return findings  # nothing to link, and a warm run need not load the catalogue
    catalogue = catalogue or load_catalogue()
    linked: dict[int, Finding] = {}  # index in ``findings`` -> the finding with its links
    for indices in _by_file(findings).values():
        roots = [i for i in indices if findings[i].code == ROOT_RULE]
        if len(roots) != 1:
            continue  # none reported, or (never, one per file) several: nothing names one cause
        root = findings[roots[0]]
        members = [i for i in indices if i != roots[0] and caused_by_missing_seed(findings[i], catalogue)]
        if not members:
            continue
        ordered = sorted(members, key=lambda i: findings[i].sort_key())  # as the report lists them
        linked[roots[0]] = replace(root, related=tuple(findings[i].ref() for i in ordered))
        linked.update((i, replace(findings[i], root=root.ref())) for i in members)
    return [linked.get(i, f) for i, f in enumerate(findings)]


def _by_file(findings: Iterable[Finding]) -> dict[str, list[int]]:
    files: dict[str, list[int]] = {}
    for index, finding in enumerate(findings):
        files.setdefault(finding.path, []).append(index)
    return files
