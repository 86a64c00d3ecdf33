"""The catalogue is complete by construction (issue 13).

Regenerates the inventory of seed-taking APIs with ``scripts/api_inventory.py`` from the
TensorFlow, Keras and NumPy installed here (plus any ecosystem package that happens to be
installed) and fails on any public API that is neither in ``rules/apis/*.toml`` nor reviewed in
``rules/apis/reviewed.toml``, and on any determinism message in the TF binary whose kernel has no
``ops.toml`` entry or reviewed reason. A TensorFlow or Keras upgrade thus shows what is new.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "api_inventory.py"


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("api_inventory", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("api_inventory", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def inventory() -> Any:
    pytest.importorskip("tensorflow")
    return _script().run()


@pytest.mark.tensorflow
def test_every_seed_taking_api_is_catalogued_or_reviewed(inventory: Any) -> None:
    left = sorted(
        f"{api.canonical} ({', '.join(p.name for p in api.params)}; {api.package})"
        for api in inventory.apis.values()
        if api.status == "left"
    )
    assert not left, (
        f"{len(left)} public seed-taking APIs are neither in rules/apis/*.toml nor in "
        "rules/apis/reviewed.toml:\n  " + "\n  ".join(left)
    )


@pytest.mark.tensorflow
def test_the_walk_found_the_core_apis(inventory: Any) -> None:
    """Guards the walk itself: a broken walk would find nothing and pass the test above."""
    found = set(inventory.apis)
    for name in ("tensorflow.random.normal", "tensorflow.data.Dataset.shuffle", "keras.layers.Dropout",
                 "keras.layers.MultiHeadAttention", "tensorflow.nn.sampled_softmax_loss"):
        assert name in found, f"{name} missing from the inventory"
    assert len(found) > 300


@pytest.mark.tensorflow
def test_determinism_kernels_are_catalogued_or_reviewed(inventory: Any) -> None:
    left = [k["message"] for k in inventory.kernels if k.get("status") == "left"]
    assert not left, "determinism messages in the TF binary with no ops.toml entry or reviewed reason:\n  " + \
        "\n  ".join(left)


@pytest.mark.tensorflow
def test_catalogued_seed_parameters_match_signatures(inventory: Any) -> None:
    assert not inventory.signature_mismatches, "\n".join(inventory.signature_mismatches)


def test_reviewed_entries_have_reasons() -> None:
    reviewed = _script().load_reviewed()
    for name, (category, reason) in reviewed.names.items():
        assert category and len(reason) > 10, f"{name}: reviewed without a reason"


def test_rule_docs_list_what_they_cover() -> None:
    """The generated Covers section of each rule doc matches the catalogue (no TensorFlow needed)."""
    script = _script()
    stale = script.update_docs(script.load_catalogue(str(ROOT / "rules")), write=False)
    assert not stale, f"rules/docs Covers sections are stale for {stale}: run scripts/api_inventory.py --docs"
