"""The promises of --fix on every sample: fixed findings are gone, a second run changes nothing,
the result compiles, and rules without a fix are never touched."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Runner, findings_of
from samples import ALL

from tfdetlint.catalogue import load_catalogue


@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
@pytest.mark.parametrize("name", sorted(ALL))
def test_fix_removes_fixed_findings_and_is_idempotent(tmp_path: Path, cli: Runner, name: str, unsafe: bool) -> None:
    path = tmp_path / f"{name}.py"
    path.write_text(ALL[name], encoding="utf-8")
    before = findings_of(path)
    flags = ["--fix", "--unsafe-fixes"] if unsafe else ["--fix"]
    first = cli(path, *flags)
    fixed = path.read_bytes()
    compile(fixed, str(path), "exec", dont_inherit=True)
    after = findings_of(path)
    wanted = {"safe", "unsafe"} if unsafe else {"safe"}
    # Everything fixable at the chosen level is gone (no finding of those rules at those calls).
    assert not [f for f in after if f.fixable in wanted and (f.code, f.api) in {(b.code, b.api) for b in before}], after
    assert first.code == (1 if after else 0)
    second = cli(path, *flags)
    assert path.read_bytes() == fixed, "a second --fix must change nothing"
    assert second.code == first.code


def test_rules_without_fix_are_left_alone(tmp_path: Path, cli: Runner) -> None:
    source = (
        "import tensorflow as tf\n"
        "if __name__ == '__main__':\n"
        "    x = tf.math.bincount(tf.constant([1, 2]), weights=tf.constant([1.0, 2.0]))\n"
    )
    path = tmp_path / "ops.py"
    path.write_text(source, encoding="utf-8")
    nofix = {c for c, r in load_catalogue().rules.items() if r.fix == "none"}
    assert {f.code for f in findings_of(path)} & nofix
    result = cli(path, "--fix", "--unsafe-fixes")
    assert path.read_text(encoding="utf-8") == source
    assert result.code == 1


def test_clean_file_exit_zero(tmp_path: Path, cli: Runner) -> None:
    path = tmp_path / "clean.py"
    path.write_text("import keras\nkeras.utils.set_random_seed(1)\nprint(keras.random.normal((2,)))\n")
    assert cli(path, "--fix").code == 0
    assert cli(path, "--diff").code == 0
