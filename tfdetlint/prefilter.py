"""The cheap test before parsing: can these bytes produce any finding at all?

A finding needs a call of a catalogue API, and every such call spells one of its rule's trigger
words (`shuffle`, `bincount`, `deterministic=` ...) as an identifier in the file. Rules that only
fire in scripts also need a script marker. A file with neither is skipped without being parsed.
The words are the rule registry's (``registry.RuleSpec.triggers``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from tfdetlint.catalogue import Catalogue
from tfdetlint.registry import Scope, registry_for

_IDENT = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*")


@lru_cache(maxsize=4)
def trigger_sets(catalogue: Catalogue) -> tuple[frozenset[bytes], frozenset[bytes], frozenset[bytes]]:
    """(anywhere triggers, script-only triggers, script markers) as bytes."""
    registry = registry_for(catalogue)
    return (_encode(registry.triggers(Scope.ANYWHERE)), _encode(registry.triggers(Scope.SCRIPT)),
            _encode(registry.script_markers))


def _encode(words: frozenset[str]) -> frozenset[bytes]:
    return frozenset(w.encode() for w in words)


def could_match(raw: bytes, catalogue: Catalogue, *, notebook: bool = False, force_script: bool | None = None) -> bool:
    anywhere, script_only, markers = trigger_sets(catalogue)
    words = set(_IDENT.findall(raw))
    if not words.isdisjoint(anywhere):
        return True
    if force_script is False:
        return False
    maybe_script = notebook or force_script is True or not words.isdisjoint(markers)
    # A script that imports code can draw its randomness or train inside the project's own
    # modules (TFD501/502 name them), which no word of its own shows.
    return maybe_script and (not words.isdisjoint(script_only) or b"import" in words)
