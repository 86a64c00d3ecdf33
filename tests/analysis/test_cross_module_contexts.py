"""TFD404 across the project's modules: a parallel tf.data stage runs the helpers it calls, in
any module of the project and at any depth; the draw is reported where it is, naming the stage.
Each case is a small project written for the test."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from tfdetlint import runner
from tfdetlint.cache import Cache
from tfdetlint.cli import main
from tfdetlint.config import Settings
from tfdetlint.findings import Ref
from tfdetlint.options import EntryContext, Export, Options

# A pipeline whose mapped function calls into `ops`, which calls into `noise`, which draws.
DATA = """
import tensorflow as tf
import ops

def augment(image, label):
    return ops.distort(image), label

def make(ds):
    return ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
"""

OPS = """
import tensorflow as tf
import noise

def distort(image):
    image = tf.image.resize(image, [8, 8])
    return noise.add_noise(image)
"""

NOISE = """
import tensorflow as tf

def add_noise(image):
    return image + tf.random.uniform(tf.shape(image))

def never_mapped(image):
    return image * tf.random.normal([])
"""


def write(root: Path, files: dict[str, str]) -> None:
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(body))


def found(root: Path, *names: str, extra: tuple[str, ...] = ("--no-cache",)) -> list[tuple[str, int, str, str]]:
    out = root / "out.json"
    main([*extra, "--isolated", "--format", "json", "-o", str(out), *(str(root / n) for n in names)])
    return [(Path(str(f["path"])).relative_to(root).as_posix(), int(f["line"]), str(f["code"]), str(f["message"]))
            for f in json.loads(out.read_text())]


def tfd404(root: Path, *names: str, extra: tuple[str, ...] = ("--no-cache",)) -> list[tuple[str, int]]:
    return [(path, line) for path, line, code, _ in found(root, *names, extra=extra) if code == "TFD404"]


# ---- the draw is reported where it is, once
def test_draw_two_modules_away_is_reported_at_the_draw(tmp_path: Path) -> None:
    write(tmp_path, {"data.py": DATA, "ops.py": OPS, "noise.py": NOISE})
    results = [r for r in found(tmp_path, "data.py", "ops.py", "noise.py") if r[2] == "TFD404"]
    assert [(path, line) for path, line, _, _ in results] == [("noise.py", 5)]
    assert results[0][3].endswith("in a parallel map at data.py:9")


def test_caller_alone_reports_at_its_call(tmp_path: Path) -> None:
    """Checking the caller alone (as flake8 and the language server do) keeps the finding at the call."""
    write(tmp_path, {"data.py": DATA, "ops.py": OPS, "noise.py": NOISE})
    results = [r for r in found(tmp_path, "data.py") if r[2] == "TFD404"]
    assert [(path, line) for path, line, _, _ in results] == [("data.py", 6)]
    assert "noise.py:5" in results[0][3] and "line 9" in results[0][3]


def test_middle_module_reports_when_the_drawing_module_is_not_checked(tmp_path: Path) -> None:
    write(tmp_path, {"data.py": DATA, "ops.py": OPS, "noise.py": NOISE})
    results = [r for r in found(tmp_path, "data.py", "ops.py") if r[2] == "TFD404"]
    assert [(path, line) for path, line, _, _ in results] == [("ops.py", 7)]
    assert "noise.py:5" in results[0][3] and "data.py:9" in results[0][3]


def test_folder_check_and_package_imports(tmp_path: Path) -> None:
    write(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/pipeline.py": DATA.replace("import ops", "from pkg import ops"),
        "pkg/ops.py": OPS.replace("import noise", "from . import noise"),
        "pkg/noise.py": NOISE,
    })
    results = [r for r in found(tmp_path, "pkg") if r[2] == "TFD404"]
    assert [(path, line) for path, line, _, _ in results] == [("pkg/noise.py", 5)]
    assert results[0][3].endswith("at pipeline.py:9")


def test_stage_in_another_folder_is_named_from_the_drawing_file(tmp_path: Path) -> None:
    write(tmp_path, {"lib/__init__.py": "", "lib/noise.py": NOISE, "main/data.py": DATA.replace("import ops", "from lib import noise")
                     .replace("ops.distort(image)", "noise.add_noise(image)")})
    results = [r for r in found(tmp_path, "lib/noise.py", "main/data.py", extra=("--no-cache",)) if r[2] == "TFD404"]
    assert [(path, line) for path, line, _, _ in results] == [("lib/noise.py", 5)]
    assert results[0][3].endswith("at ../main/data.py:9")


# ---- the value flow: what the mapped function calls
BUILDER = """
import functools
import tensorflow as tf
import util

def get_preprocess_fn(is_training):
    return functools.partial(util.preprocess, size=8, is_training=is_training)

def build_input_fn(ds):
    def input_fn():
        preprocess_fn = get_preprocess_fn(True)

        def map_fn(image):
            return preprocess_fn(image)

        return ds.map(map_fn, num_parallel_calls=4)
    return input_fn
"""

UTIL = """
import tensorflow as tf

def random_apply(func, p, x):
    return tf.cond(tf.random.uniform([]) < p, lambda: func(x), lambda: x)

def jitter(image):
    return image * tf.random.uniform([], 0.8, 1.2)

def preprocess(image, size, is_training=False):
    if is_training:
        return random_apply(jitter, 0.5, image)
    return image

def blur(image):
    return image + tf.random.normal([])
"""


def test_partial_returned_by_a_builder_runs_in_the_map(tmp_path: Path) -> None:
    write(tmp_path, {"data.py": BUILDER, "util.py": UTIL})
    assert tfd404(tmp_path, "data.py", "util.py") == [("util.py", 5), ("util.py", 8)]
    # blur (line 16) is never reached from the mapped function


def test_partial_builder_caller_alone(tmp_path: Path) -> None:
    write(tmp_path, {"data.py": BUILDER, "util.py": UTIL})
    assert tfd404(tmp_path, "data.py") == [("data.py", 14)]


def test_builder_choosing_between_functions_is_not_followed(tmp_path: Path) -> None:
    choosing = BUILDER.replace(
        "    return functools.partial(util.preprocess, size=8, is_training=is_training)\n",
        "    if is_training:\n        return functools.partial(util.preprocess, size=8)\n    return util.blur\n")
    write(tmp_path, {"data.py": choosing, "util.py": UTIL})
    assert tfd404(tmp_path, "data.py", "util.py") == []


def test_mapping_an_imported_function_directly(tmp_path: Path) -> None:
    write(tmp_path, {
        "util.py": UTIL,
        "data.py": """
            import functools
            import tensorflow as tf
            from util import jitter as jit
            import util as u

            def make(ds):
                ds = ds.map(jit, num_parallel_calls=2)
                return ds.map(functools.partial(u.random_apply, u.jitter, 0.5), num_parallel_calls=2)
            """,
    })
    results = [r for r in found(tmp_path, "data.py", "util.py") if r[2] == "TFD404"]
    assert [(path, line) for path, line, _, _ in results] == [("util.py", 5), ("util.py", 8)]
    assert results[0][3].endswith("data.py:9") and results[1][3].endswith("data.py:8")


def test_mapped_imported_function_checked_alone_reports_at_the_stage(tmp_path: Path) -> None:
    write(tmp_path, {"util.py": UTIL, "data.py": """
        import tensorflow as tf
        import util

        ds = tf.data.Dataset.range(8).map(util.jitter, num_parallel_calls=2)
        serial = tf.data.Dataset.range(8).map(util.jitter)
        """})
    results = [r for r in found(tmp_path, "data.py") if r[2] == "TFD404"]
    assert [(path, line) for path, line, _, _ in results] == [("data.py", 5)]
    assert results[0][3] == "`jitter()` draws from random state (`tf.random.uniform` at util.py:8) in this parallel map"


# A builder in another module: its partial, and its closure, run in the stages of data.py.
BUILDERS = """
import functools
import util

def make_fn(scale):
    return functools.partial(util.jitter, scale=scale)

def make_closure():
    def inner(x):
        return util.jitter(x, 0.1)
    return inner
"""

USES_BUILDERS = """
import tensorflow as tf
import builders

def pipeline(ds):
    fn = builders.make_fn(0.2)
    closure = builders.make_closure()
    ds = ds.map(lambda x: fn(x), num_parallel_calls=4)
    ds = ds.map(closure, num_parallel_calls=4)
    return ds.map(builders.make_fn(0.3), num_parallel_calls=4)
"""

JITTER = """
import tensorflow as tf

def jitter(image, scale):
    return image * tf.random.uniform([], 1 - scale, 1 + scale)
"""


def test_builders_of_another_module(tmp_path: Path) -> None:
    write(tmp_path, {"data.py": USES_BUILDERS, "builders.py": BUILDERS, "util.py": JITTER})
    # all checked: the one draw, once (three stages run it; the message names one)
    assert tfd404(tmp_path, "data.py", "builders.py", "util.py") == [("util.py", 5)]
    # the caller alone: at the call of the partial, at the closure, at the partial mapped directly
    alone = [r for r in found(tmp_path, "data.py") if r[2] == "TFD404"]
    assert [(path, line) for path, line, _, _ in alone] == [("data.py", 8), ("data.py", 9), ("data.py", 10)]
    assert alone[0][3].startswith("`make_fn()()` draws from random state (`tf.random.uniform` at util.py:5)")
    # the builders checked too, not util.py: the closure's call of jitter is reported in builders.py
    assert tfd404(tmp_path, "data.py", "builders.py") == [("builders.py", 10), ("data.py", 8), ("data.py", 10)]


def test_local_builder_returning_another_modules_builder_result(tmp_path: Path) -> None:
    write(tmp_path, {"builders.py": BUILDERS, "util.py": JITTER, "data.py": """
        import tensorflow as tf
        import builders

        def augmenter():
            return builders.make_fn(0.5)

        def pipeline(ds):
            aug = augmenter()
            return ds.map(lambda x: aug(x), num_parallel_calls=2)
        """})
    assert tfd404(tmp_path, "data.py") == [("data.py", 10)]
    assert tfd404(tmp_path, "data.py", "builders.py", "util.py") == [("util.py", 5)]


# ---- what is not a hazard
def _pipeline(map_call: str, helper_body: str = "return image + tf.random.uniform([])", before: str = "") -> dict[str, str]:
    return {
        "data.py": f"""
import tensorflow as tf
import util
{before}
def augment(image):
    return util.helper(image)

ds = tf.data.Dataset.range(8).{map_call}
""",
        "util.py": f"""
import tensorflow as tf

def helper(image):
    {helper_body}
""",
    }


def test_serial_map_is_not_flagged(tmp_path: Path) -> None:
    write(tmp_path, _pipeline("map(augment)"))
    assert tfd404(tmp_path, "data.py", "util.py") == []
    write(tmp_path, _pipeline("map(augment, num_parallel_calls=None)"))
    assert tfd404(tmp_path, "data.py", "util.py") == []


def test_stateless_ops_are_not_flagged(tmp_path: Path) -> None:
    write(tmp_path, _pipeline("map(augment, num_parallel_calls=4)",
                              "return image + tf.random.stateless_uniform([], seed=[1, 2])"))
    assert tfd404(tmp_path, "data.py", "util.py") == []


def test_seeded_stateful_op_is_still_flagged(tmp_path: Path) -> None:
    """rules/docs/TFD404.md: an op seed fixes the sequence, not which element gets which value."""
    write(tmp_path, _pipeline("map(augment, num_parallel_calls=4)", "return image + tf.random.uniform([], seed=3)"))
    assert tfd404(tmp_path, "data.py", "util.py") == [("util.py", 5)]


def test_op_determinism_before_the_map_is_not_flagged(tmp_path: Path) -> None:
    write(tmp_path, _pipeline("map(augment, num_parallel_calls=4)",
                              before="tf.config.experimental.enable_op_determinism()\n"))
    assert tfd404(tmp_path, "data.py", "util.py") == []


def test_helper_called_only_from_a_serial_map(tmp_path: Path) -> None:
    write(tmp_path, {
        "util.py": """
            import tensorflow as tf

            def serial_noise(x):
                return x + tf.random.uniform([])

            def parallel_noise(x):
                return x + tf.random.normal([])
            """,
        "data.py": """
            import tensorflow as tf
            import util

            def first(x):
                return util.serial_noise(x)

            def second(x):
                return util.parallel_noise(x)

            ds = tf.data.Dataset.range(8).map(first).map(second, num_parallel_calls=3)
            """,
    })
    assert tfd404(tmp_path, "data.py", "util.py") == [("util.py", 8)]


def test_test_modules_hand_nothing_on(tmp_path: Path) -> None:
    files = _pipeline("map(augment, num_parallel_calls=4)")
    write(tmp_path, {"test_data.py": files["data.py"], "util.py": files["util.py"]})
    assert tfd404(tmp_path, "test_data.py", "util.py") == []


def test_modules_that_call_each_other(tmp_path: Path) -> None:
    write(tmp_path, {
        "a.py": """
            import tensorflow as tf
            import b

            def draw(x):
                return x + tf.random.uniform([])

            def mapped(x):
                return b.middle(x)

            ds = tf.data.Dataset.range(8).map(mapped, num_parallel_calls=2)
            """,
        "b.py": """
            import a

            def middle(x):
                return a.draw(x)
            """,
    })
    results = [r for r in found(tmp_path, "a.py", "b.py") if r[2] == "TFD404"]
    assert [(path, line) for path, line, _, _ in results] == [("a.py", 6)]
    assert results[0][3].endswith("in a parallel map at line 11")


# ---- the cache, exit codes and reports
def test_warm_run_equals_cold_and_follows_the_caller(tmp_path: Path) -> None:
    write(tmp_path, {"data.py": DATA, "ops.py": OPS, "noise.py": NOISE})
    files = [tmp_path / "data.py", tmp_path / "ops.py", tmp_path / "noise.py"]
    settings = Settings(root=tmp_path)
    uncached = runner.run(files, settings, jobs=1)
    cold = runner.run(files, settings, jobs=1, cache=Cache(tmp_path / "cache", salt="t"))
    warm = runner.run(files, settings, jobs=1, cache=Cache(tmp_path / "cache", salt="t"))
    assert warm.cache_hits == len(files) + 2  # noise.py and ops.py again, with their entry contexts
    assert uncached.findings == cold.findings == warm.findings
    assert [(Path(f.path).name, f.line) for f in warm.findings if f.code == "TFD404"] == [("noise.py", 5)]

    # The caller stops mapping in parallel: the draw's finding goes, though noise.py did not change.
    (tmp_path / "data.py").write_text(textwrap.dedent(DATA).replace(", num_parallel_calls=tf.data.AUTOTUNE", ""))
    edited = runner.run(files, settings, jobs=1, cache=Cache(tmp_path / "cache", salt="t"))
    assert [f for f in edited.findings if f.code == "TFD404"] == []
    assert edited.cache_hits == 2  # ops.py and noise.py without entry contexts
    # ... and back: the same findings again, all from the cache
    (tmp_path / "data.py").write_text(textwrap.dedent(DATA))
    again = runner.run(files, settings, jobs=1, cache=Cache(tmp_path / "cache", salt="t"))
    assert again.findings == cold.findings and again.cache_hits == len(files) + 2
    # The middle module stops calling the drawing one: the draw's finding goes too.
    (tmp_path / "ops.py").write_text(textwrap.dedent(OPS).replace("noise.add_noise(image)", "image"))
    middle = runner.run(files, settings, jobs=1, cache=Cache(tmp_path / "cache", salt="t"))
    assert [f for f in middle.findings if f.code == "TFD404"] == []


def test_workers_find_what_one_process_finds(tmp_path: Path) -> None:
    write(tmp_path, {"data.py": DATA, "ops.py": OPS, "noise.py": NOISE, "pipeline.py": BUILDER, "util.py": UTIL})
    files = sorted(tmp_path.glob("*.py"))
    settings = Settings(root=tmp_path)
    alone = runner.run(files, settings, jobs=1).findings
    assert runner.run(files, settings, jobs=2).findings == alone
    assert [(Path(f.path).name, f.line) for f in alone if f.code == "TFD404"] == [
        ("noise.py", 5), ("util.py", 5), ("util.py", 8)]


def test_cached_caller_still_hands_on_and_still_steps_aside(tmp_path: Path) -> None:
    """A warm caller (a cache hit) hands its entry contexts on from the entry, and its finding at
    the call is still replaced by the helper's; checked alone, the caller keeps it."""
    write(tmp_path, {"data.py": DATA, "ops.py": OPS, "noise.py": NOISE})
    cache = ("--cache-dir", str(tmp_path / "cache"))
    alone = tfd404(tmp_path, "data.py", extra=cache)
    together = tfd404(tmp_path, "data.py", "ops.py", "noise.py", extra=cache)
    assert alone == tfd404(tmp_path, "data.py", extra=cache) == [("data.py", 6)]
    assert together == tfd404(tmp_path, "data.py", "ops.py", "noise.py", extra=cache) == [("noise.py", 5)]


def test_exit_code_and_concise_report(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    write(tmp_path, {"data.py": DATA, "ops.py": OPS, "noise.py": NOISE})
    code = main(["--no-cache", "--isolated", "--select", "TFD404", str(tmp_path)])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[0] == (f"{tmp_path / 'noise.py'}:5:30: TFD404 `tf.random.uniform` draws from per-process random "
                      "state in a parallel map at data.py:9")
    assert out[-1] == "Found 1 finding."
    serial = textwrap.dedent(DATA).replace(", num_parallel_calls=tf.data.AUTOTUNE", "")
    (tmp_path / "data.py").write_text(serial)
    assert main(["--no-cache", "--isolated", "--select", "TFD404", str(tmp_path)]) == 0


def test_fix_reports_what_remains_as_the_check_did(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """After --fix inserts a seed (moving the map two lines down), the caller's finding at its
    call into the helper stays left out: the helper's file reports the draw."""
    write(tmp_path, {"util.py": "import tensorflow as tf\n\ndef helper(x):\n    return x + tf.random.uniform([])\n",
                     "data.py": """
        import numpy as np
        import tensorflow as tf
        import util

        def augment(image):
            return util.helper(image)

        ds = tf.data.Dataset.range(8).map(augment, num_parallel_calls=4)
        x = np.random.rand(3)

        if __name__ == "__main__":
            print(list(ds))
        """})
    main(["--no-cache", "--isolated", "--fix", str(tmp_path)])
    out = capsys.readouterr().out
    assert "tf.keras.utils.set_random_seed(42)" in (tmp_path / "data.py").read_text()
    assert [line.split(": ")[1].split()[0] for line in out.splitlines() if ": TFD" in line] == ["TFD404"]
    assert f"{tmp_path / 'util.py'}:4:" in out and f"{tmp_path / 'data.py'}:" not in out


# ---- the data that crosses files
def test_entry_contexts_change_the_cache_key_and_survive_json() -> None:
    entry = EntryContext("preprocess", "/p/data.py", 9, "tensorflow.data.Dataset.map")
    assert Options().fingerprint() != Options(entries=(entry,)).fingerprint()
    assert EntryContext.from_json(entry.to_json()) == entry
    export = Export("/p/util.py", entry, Ref("data.py", 6, 12, "TFD404"))
    assert Export.from_json(json.loads(json.dumps(export.to_json()))) == export
    assert Export.from_json(Export("/p/util.py", entry).to_json()) == Export("/p/util.py", entry)


AUGMENTERS = """
import tensorflow as tf

class Aug:
    def apply(self, image):
        return tf.image.random_flip_left_right(image)

    def plain(self, image):
        return tf.image.flip_left_right(image)

def make_aug():
    return Aug()
"""

MAPS_METHODS = """
import tensorflow as tf
from pkg import aug
from pkg.aug import Aug

ds = tf.data.Dataset.from_tensor_slices(tf.zeros([8, 4, 4, 3]))
a = ds.map(Aug().apply, num_parallel_calls=4)
b = ds.map(aug.Aug().apply, num_parallel_calls=4)
augmenter = Aug()
c = ds.map(augmenter.apply, num_parallel_calls=4)
d = ds.map(Aug().plain, num_parallel_calls=4)
e = ds.map(Aug().apply)
f = ds.map(aug.make_aug().apply, num_parallel_calls=4)
"""


def test_methods_of_another_modules_class_run_in_the_map(tmp_path: Path) -> None:
    """A bound method of a project class made in the caller (`Aug().apply`, or through a
    variable) is the helper the stage runs; one that draws nothing, a sequential map, and an
    object a function made (its class unknown here) are not reported."""
    write(tmp_path, {"pkg/__init__.py": "", "pkg/aug.py": AUGMENTERS, "train.py": MAPS_METHODS})
    reported = [(path, line, code) for path, line, code, _ in found(tmp_path, "train.py")]
    assert reported == [("train.py", 7, "TFD404"), ("train.py", 8, "TFD404"), ("train.py", 10, "TFD404")]
