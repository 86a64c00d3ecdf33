"""The rule registry is the one source of rule metadata, triggers, scope and fixes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tfdetlint.analysis import collect
from tfdetlint.catalogue import load_catalogue
from tfdetlint.checks import RawFinding
from tfdetlint.cli import main
from tfdetlint.prefilter import could_match, trigger_sets
from tfdetlint.registry import (
    FixLevel,
    Scope,
    load_registry,
    rule_table,
    rules_listing,
    with_rule_table,
)

ROOT = Path(__file__).resolve().parent.parent


def test_readme_rule_table_is_generated_from_the_registry() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert with_rule_table(readme, load_registry()) == readme, (
        "README.md's rule table is stale: run `python -m tfdetlint.registry --readme`")
    assert rule_table(load_registry()) in readme


def test_rules_command_prints_the_registry(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert out == rules_listing(load_registry())
    for spec in load_registry():
        assert spec.code in out and spec.name in out


def test_every_rule_is_registered_with_its_metadata() -> None:
    catalogue = load_catalogue()
    registry = load_registry()
    assert set(registry.rules) == set(catalogue.rules)
    for code, rule in catalogue.rules.items():
        spec = registry[code]
        assert (spec.name, spec.summary, spec.severity, spec.scope.value, spec.fix.value) == (
            rule.name, rule.summary, rule.severity, rule.scope, rule.fix)
        # A rule that can fire has trigger words; a rule that promises a fix has a fix builder.
        assert bool(spec.triggers) == (code != "TFD000"), code
        assert (spec.fix_builder is not None) == (spec.fix is not FixLevel.NONE), code


def test_prefilter_words_come_from_the_registry() -> None:
    catalogue = load_catalogue()
    registry = load_registry()
    anywhere, script_only, markers = trigger_sets(catalogue)
    assert anywhere == {w.encode() for w in registry.triggers(Scope.ANYWHERE)}
    assert script_only == {w.encode() for w in registry.triggers(Scope.SCRIPT)}
    assert markers == {w.encode() for w in registry.script_markers}
    assert could_match(b"x = tf.data.Dataset.range(3).shuffle(3)", catalogue, force_script=True)
    assert not could_match(b"y = 1\n", catalogue, force_script=True)


def test_catalogue_knows_what_the_registry_knows() -> None:
    catalogue = load_catalogue()
    registry = load_registry()
    for name in ("tensorflow.random.normal", "numpy.random.seed", "tensorflow.config.experimental.enable_op_determinism",
                 "keras.Model.fit", "time.time"):
        assert catalogue.knows(name) and name in registry.known
    assert not catalogue.knows("mypackage.utils.seed_all")


def test_engine_enforces_script_scope() -> None:
    """A script-only rule's finding is dropped in a library module whatever the check said."""
    catalogue = load_catalogue()
    registry = load_registry()
    library = collect(ast.parse("import tensorflow as tf\nx = tf.random.normal([2])\n"), catalogue, notebook=False)
    script = collect(ast.parse("import tensorflow as tf\nx = tf.random.normal([2])\n"), catalogue, notebook=False,
                     force_script=True)
    for facts, expected in ((library, False), (script, True)):
        raw = RawFinding(2, 4, 2, 20, "TFD101", "m", "tensorflow.random.normal")
        assert registry.in_scope(raw, facts) is expected
        assert registry.in_scope(RawFinding(2, 4, 2, 20, "TFD105", "m", "x"), facts)
