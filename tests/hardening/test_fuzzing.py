"""Bounded, deterministic fuzzing of the engine (``pytest --fuzz-long`` runs much more of it).

- grammar-generated programs (hypothesmith): ``check_bytes``/``check_source`` never raise;
- mutants of real TensorFlow/Keras source files (byte flips, truncation, line shuffles, junk
  insertion) from a fixed ``random.Random(1234)``: always a list of Findings, never a traceback;
- name resolution: every alias spelling of a flagged API is flagged, every shadowing is not.

Figures from the last runs are in FUZZING.md.
"""

from __future__ import annotations

import json
import keyword
import random
from collections.abc import Callable
from pathlib import Path

import hypothesmith
import pytest
from _budget import examples
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tfdetlint.engine import check_bytes, check_source
from tfdetlint.findings import Finding
from tfdetlint.options import Options
from tfdetlint.sources import Source

SITE = Path(__file__).resolve().parents[2]  # replaced below by the venv's site-packages
try:
    import keras as _keras  # only to find site-packages

    SITE = Path(_keras.__file__).resolve().parents[1]
except ImportError:  # pragma: no cover - without keras the mutation corpus is skipped
    import sysconfig

    SITE = Path(sysconfig.get_paths()["purelib"])

CORPUS = [
    "keras/src/layers/regularization/dropout.py",
    "keras/src/layers/regularization/gaussian_dropout.py",
    "keras/src/random/random.py",
    "keras/src/random/seed_generator.py",
    "keras/src/trainers/data_adapters/tf_dataset_adapter.py",
    "tensorflow/python/data/ops/shuffle_op.py",
    "tensorflow/python/data/ops/map_op.py",
    "tensorflow/python/data/ops/interleave_op.py",
]
LONG_CORPUS = ["keras/src/trainers/trainer.py", "tensorflow/python/data/ops/dataset_ops.py"]

# The generated programs are compiled by hypothesmith itself, which warns about odd code.
pytestmark = pytest.mark.filterwarnings("ignore::SyntaxWarning", "ignore::DeprecationWarning")

SLOW_OK = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
OPTIONS = (Options(), Options(force_script=True), Options(force_script=False), Options(keras_version="2"))


def _is_findings(found: object) -> bool:
    return isinstance(found, list) and all(isinstance(f, Finding) for f in found)


def _check_all_ways(text: str) -> None:
    raw = text.encode("utf-8", "surrogatepass")
    for options in OPTIONS[:2]:
        assert _is_findings(check_bytes(raw, "gen.py", options))
        assert _is_findings(check_source(Source("gen.py", text), options))
    assert _is_findings(check_bytes(b"import tensorflow as tf\n" + raw, "gen.py", Options(force_script=True)))


# --- grammar-generated programs


@settings(derandomize=True, max_examples=examples(40, 1500), deadline=None, suppress_health_check=SLOW_OK)
@given(hypothesmith.from_grammar())
def test_grammar_programs_never_raise(source: str) -> None:
    _check_all_ways(source)


@settings(derandomize=True, max_examples=examples(15, 400), deadline=None, suppress_health_check=SLOW_OK)
@given(hypothesmith.from_node())
def test_libcst_programs_never_raise(source: str) -> None:
    _check_all_ways(source)


@settings(derandomize=True, max_examples=examples(30, 800), deadline=None, suppress_health_check=SLOW_OK)
@given(hypothesmith.from_grammar(), st.sampled_from(["%matplotlib inline", "!ls", "x = !ls", "%env A=1", "%%bash", "??x"]))
def test_grammar_programs_as_notebook_cells_never_raise(source: str, magic: str) -> None:
    cells = [{"cell_type": "code", "source": [magic + "\n", *source.splitlines(keepends=True)]},
             {"cell_type": "code", "source": source}]
    raw = json.dumps({"cells": cells, "metadata": {}}).encode()
    assert _is_findings(check_bytes(raw, "gen.ipynb"))


# --- mutation fuzzing of real files


def _flip(data: bytes, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(out))
        out[i] = rng.randrange(256) if rng.random() < 0.5 else out[i] ^ (1 << rng.randrange(8))
    return bytes(out)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(len(data))]


def _shuffle_lines(data: bytes, rng: random.Random) -> bytes:
    lines = data.splitlines(keepends=True)
    start = rng.randrange(len(lines))
    window = lines[start : start + rng.randint(2, 40)]
    rng.shuffle(window)
    return b"".join(lines[:start] + window + lines[start + len(window) :])


def _drop_or_duplicate(data: bytes, rng: random.Random) -> bytes:
    lines = data.splitlines(keepends=True)
    i = rng.randrange(len(lines))
    return b"".join(lines[:i] + (lines[i : i + 1] * rng.randint(2, 4) if rng.random() < 0.5 else []) + lines[i + 1 :])


JUNK = [b"\x00", b"\r", b"\r\n", b"(", b")", b"[", b"]", b"{", b"\"\"\"", b"'", b"\\", b"\t", b"    ", b":",
        b"\xef\xbb\xbf", b"\xff", b"\xc3", b"# coding: latin-1\n", b"# tfdetlint: noqa\n", b"lambda: ",
        b"tf.random.normal([1])", b"if __name__ == '__main__':\n", b"import tensorflow as tf\n", b"\x0c", b"@"]


def _junk(data: bytes, rng: random.Random) -> bytes:
    i = rng.randrange(len(data) + 1)
    return data[:i] + rng.choice(JUNK) * rng.choice([1, 1, 1, 3, 200]) + data[i:]


def _change_endings(data: bytes, rng: random.Random) -> bytes:
    return data.replace(b"\n", rng.choice([b"\r", b"\r\n", b"\n\r"]))


MUTATIONS: list[Callable[[bytes, random.Random], bytes]] = [
    _flip, _truncate, _shuffle_lines, _drop_or_duplicate, _junk, _change_endings,
]


def _corpus(names: list[str]) -> list[tuple[str, bytes]]:
    found = [(name, (SITE / name).read_bytes()) for name in names if (SITE / name).is_file()]
    if not found:
        pytest.skip(f"no Keras/TensorFlow sources under {SITE} to mutate")
    return found


def _mutate_and_check(corpus: list[tuple[str, bytes]], per_file: int) -> int:
    rng = random.Random(1234)
    done = 0
    for name, original in corpus:
        for round_ in range(per_file):
            data = original
            for _ in range(rng.choice([1, 1, 2, 3])):
                data = rng.choice(MUTATIONS)(data, rng) if data else data
            options = OPTIONS[round_ % len(OPTIONS)]
            path = f"mutant_{round_}.py"
            try:
                found = check_bytes(data, path, options)
                if round_ % 5 == 0:  # the same bytes as a notebook cell, and the decoded text unfiltered
                    cell = data.decode("utf-8", "replace")
                    check_bytes(json.dumps({"cells": [{"cell_type": "code", "source": cell}]}).encode(), "m.ipynb")
                    check_source(Source(path, cell), options)
            except Exception as exc:  # report the reproducer, not only the exception
                raise AssertionError(f"{name} mutant {round_} ({len(data)} bytes) raised {exc!r}: "
                                     f"{data[:200]!r}...") from exc
            assert _is_findings(found)
            assert all(f.line >= 1 and f.column >= 1 and f.path == path for f in found), found
            done += 1
    return done


def test_mutants_of_real_files_never_raise() -> None:
    corpus = _corpus(CORPUS)
    assert _mutate_and_check(corpus, examples(120, 2000)) == len(corpus) * examples(120, 2000)


@pytest.mark.slow
def test_mutants_of_big_real_files_never_raise() -> None:
    corpus = _corpus(LONG_CORPUS)
    assert _mutate_and_check(corpus, 300) == len(corpus) * 300


def test_mutation_results_are_deterministic() -> None:
    corpus = _corpus(CORPUS[:2])
    rng = random.Random(1234)
    for name, original in corpus:
        for _ in range(10):
            data = rng.choice(MUTATIONS)(original, rng)
            assert check_bytes(data, name, Options(force_script=True)) == check_bytes(data, name, Options(force_script=True))


# --- name resolution: aliases are flagged, shadowing never is

_RESERVED = {"main", "tf", "os", "print", "range", "len", "object", "None", "True", "False", "match", "case", "type", "_"}
names = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,10}\Z").filter(
    lambda n: not keyword.iskeyword(n) and n not in _RESERVED and not n.startswith("__")
)

# (import line, call), with {n} the alias
SPELLINGS = [
    ("import tensorflow as {n}", "{n}.random.normal([1])"),
    ("from tensorflow import random as {n}", "{n}.normal([1])"),
    ("from tensorflow.random import normal as {n}", "{n}([1])"),
    ("import tensorflow.compat.v1 as {n}", "{n}.random_normal([1])"),
    ("from tensorflow.compat.v1 import random_normal as {n}", "{n}([1])"),
    ("import tensorflow.random as {n}", "{n}.normal([1])"),
    ("from tensorflow import random as {n}", "{n}.uniform([2, 2])"),
]

SCRIPT = '{imports}\nif __name__ == "__main__":\n    {call}\n'


def _tfd101_lines(text: str) -> list[int]:
    return [f.line for f in check_bytes(text.encode(), "alias.py") if f.code == "TFD101"]


@settings(derandomize=True, max_examples=examples(60, 1500), deadline=None)
@given(names, st.sampled_from(SPELLINGS), st.sampled_from(["", "import numpy as np\n", "import os\n"]))
def test_any_alias_spelling_is_flagged(name: str, spelling: tuple[str, str], extra: str) -> None:
    imports, call = spelling
    text = SCRIPT.format(imports=extra + imports.format(n=name), call=call.format(n=name))
    assert _tfd101_lines(text) == [text.count("\n")], text


SHADOWS = [
    # a local def after the import and before the call
    '{imports}\ndef {n}(*args, **kwargs):\n    return 0\nif __name__ == "__main__":\n    {call}\n',
    # an assignment to the same name before the call
    '{imports}\n{n} = object()\nif __name__ == "__main__":\n    {call}\n',
    '{imports}\nif __name__ == "__main__":\n    {n} = None\n    {call}\n',
    # a parameter of the function that makes the call
    '{imports}\ndef run({n}):\n    {call}\nif __name__ == "__main__":\n    run(None)\n',
    '{imports}\nif __name__ == "__main__":\n    f = lambda {n}: {call}\n    f(None)\n',
    # a class of the same name
    '{imports}\nclass {n}:\n    pass\nif __name__ == "__main__":\n    {call}\n',
    # a for-loop target and a with-target
    '{imports}\nif __name__ == "__main__":\n    for {n} in range(3):\n        {call}\n',
]


@settings(derandomize=True, max_examples=examples(60, 1500), deadline=None)
@given(names, st.sampled_from(SPELLINGS), st.sampled_from(SHADOWS))
def test_shadowed_names_are_never_flagged(name: str, spelling: tuple[str, str], template: str) -> None:
    imports, call = spelling
    text = template.format(imports=imports.format(n=name), n=name, call=call.format(n=name))
    assert _tfd101_lines(text) == [], text


@settings(derandomize=True, max_examples=examples(30, 500), deadline=None)
@given(names, names, st.sampled_from(SPELLINGS))
def test_shadowing_a_different_name_changes_nothing(name: str, other: str, spelling: tuple[str, str]) -> None:
    if name == other:
        return
    imports, call = spelling
    text = f'{imports.format(n=name)}\ndef {other}(*a):\n    return 0\nif __name__ == "__main__":\n    {call.format(n=name)}\n'
    assert _tfd101_lines(text) == [5], text


# --- hostile shapes through the whole fixer (issue 14): long mode only

HOSTILE_EXPRESSIONS = {
    # libcst's native parser: SIGSEGV (measured: see tfdetlint/fix/cst_guard.py)
    "chain_and": "x = " + " and ".join(["a"] * 10_000),
    "chain_plus": "x = " + " + ".join(["1"] * 8_000),
    "elifs": "if a:\n    pass\n" + "elif a:\n    pass\n" * 20_000,
    # cubic time in libcst: ends at the probe's time limit
    "chain_attr": "x = a" + ".b" * 10_000,
    "chain_call": "x = f" + "()" * 10_000,
    # fine, but long: probed, then fixed
    "flat_list": "x = [" + "1, " * 10_000 + "]",
}


@pytest.mark.slow
def test_hostile_tree_is_fixed_file_by_file(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    good = b'import tensorflow as tf\nif __name__ == "__main__":\n    tf.random.normal([1])\n'
    seeded = b"import tensorflow as tf\ntf.keras.utils.set_random_seed(42)\n" + good.split(b"\n", 1)[1]
    tree = tmp_path / "tree"
    tree.mkdir()
    expected: dict[str, bytes] = {}
    for name, code in HOSTILE_EXPRESSIONS.items():
        (tree / f"{name}.py").write_bytes(good + code.encode() + b"\n")
        expected[f"{name}.py"] = (seeded if name == "flat_list" else good) + code.encode() + b"\n"
    (tree / "cr_only.py").write_bytes(good.replace(b"\n", b"\r"))
    expected["cr_only.py"] = seeded.replace(b"\n", b"\r")
    (tree / "form_feed.py").write_bytes(good.replace(b"if __", b"\x0cx = 1\nif __"))
    expected["form_feed.py"] = seeded.replace(b"if __", b"\x0cx = 1\nif __")
    wide = good.replace(b"normal", "\uff4e\uff4f\uff52\uff4d\uff41\uff4c".encode())
    (tree / "full_width.py").write_bytes(wide)
    (tree / "deep.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    os.mkfifo(tree / "fifo.py")
    (tree / "zero.py").symlink_to("/dev/zero")
    (tree / "linked.py").write_bytes(good)
    os.link(tree / "linked.py", tmp_path / "other_name.txt")
    expected["linked.py"] = seeded
    outside = tmp_path / "outside.py"
    outside.write_bytes(good)
    (tree / "out_link.py").symlink_to(outside)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    command = [sys.executable, "-m", "tfdetlint", "check", "--isolated", "--no-cache", "--fix", "--unsafe-fixes", "."]
    procs = [subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(3)]  # concurrent fixers on one tree
    for proc in procs:
        out, err = proc.communicate(timeout=1800)
        assert proc.returncode == 1, (proc.returncode, err[-3000:])
        assert b"Traceback" not in err and b"internal error" not in out, err[-3000:]
    for name, data in expected.items():
        assert (tree / name).read_bytes() == data, name
    assert b"set_random_seed(42)" in (tree / "full_width.py").read_bytes()
    assert (tmp_path / "other_name.txt").read_bytes() == seeded and outside.read_bytes() == good
    again = subprocess.run(command, cwd=tree, env=env, capture_output=True, timeout=1800)
    assert b"Fixed 0 findings" in again.stdout or b"All checks passed" in again.stdout, again.stdout[-2000:]
