"""Issue 12's five defects and issue 14's items 3 and 4, as regression tests: --fix does what the
report says (same findings, same fixability), with the program's own seed, where it takes effect,
and never makes a program fail."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Runner, findings_of

ROOT = Path(__file__).resolve().parents[2]


def fix(tmp_path: Path, cli: Runner, source: str, *flags: str, name: str = "train.py") -> tuple[str, str]:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    result = cli(path, "--fix", *flags)
    return path.read_text(encoding="utf-8"), result.out + result.err


def reported(cli: Runner, path: Path, *flags: str) -> list[dict[str, object]]:
    data: list[dict[str, object]] = json.loads(cli(path, "--format", "json", *flags).out)
    return data


# ------------------------------------------------------------------------------------- defect 1
HELPER = '''\
import random
import numpy as np


def seed_all(seed):
    random.seed(seed)
    np.random.seed(seed)
'''

USES_HELPER = '''\
import numpy as np
from helpers import seed_all

if __name__ == "__main__":
    seed_all(1)
    rng = np.random.default_rng()
    print(np.random.rand(2), rng.random())
'''


def test_fix_edits_only_what_check_reports(tmp_path: Path, cli: Runner) -> None:
    """A project helper seeds random and NumPy: check reports one TFD105, so --fix fixes one."""
    (tmp_path / "helpers.py").write_text(HELPER, encoding="utf-8")
    path = tmp_path / "train.py"
    path.write_text(USES_HELPER, encoding="utf-8")
    assert [f["code"] for f in reported(cli, path)] == ["TFD105"]
    out, log = fix(tmp_path, cli, USES_HELPER)
    assert "Fixed 1 finding in 1 file" in log
    assert "np.random.seed" not in out and "set_random_seed" not in out
    assert "rng = np.random.default_rng(42)" in out


# ------------------------------------------------------------------------------------- defect 2
LOOP = '''\
import numpy as np

if __name__ == "__main__":
    for epoch in range(3):
        print(np.random.default_rng().random())
'''

LIBRARY_CLASS = '''\
import tensorflow as tf


class Augment:
    def __init__(self):
        self.rng = tf.random.Generator.from_non_deterministic_state()
'''


@pytest.mark.parametrize(("source", "name"), [(LOOP, "loop.py"), (LIBRARY_CLASS, "augment.py")])
def test_fixable_in_report_is_what_fix_does(tmp_path: Path, cli: Runner, source: str, name: str) -> None:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    found = reported(cli, path)
    assert [(f["code"], f["fixable"]) for f in found] == [("TFD105", "unsafe")]
    out, log = fix(tmp_path, cli, source, name=name)
    assert out == source and "1 more fix available with `--unsafe-fixes`" in log
    out, log = fix(tmp_path, cli, source, "--unsafe-fixes", name=name)
    assert out != source and "Fixed 1 finding" in log


# ------------------------------------------------------------------------------------- defect 3
FLAGS_SCRIPT = '''\
import hashlib
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
from absl import app, flags
import keras
import tensorflow as tf

flags.DEFINE_integer("seed", 0, "random seed")
FLAGS = flags.FLAGS


def main(argv):
    tf.random.set_seed(FLAGS.seed)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dropout(0.5)])
    weights = b"".join(w.tobytes() for w in model.get_weights())
    print(hashlib.sha256(weights).hexdigest())


if __name__ == "__main__":
    app.run(main)
'''

ARGPARSE_SCRIPT = '''\
import argparse
import random


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--random-seed", type=int, default=0)
    args = parser.parse_args()
    print(random.random())


if __name__ == "__main__":
    main()
'''

CONSTANT_SCRIPT = '''\
import numpy as np

SEED = 7

if __name__ == "__main__":
    print(np.random.rand(2))
'''


def test_seed_from_flags_extends_the_programs_own_seeding(tmp_path: Path, cli: Runner) -> None:
    out, _ = fix(tmp_path, cli, FLAGS_SCRIPT)
    assert "    keras.utils.set_random_seed(FLAGS.seed)\n    model = " in out
    assert "42" not in out and "tf.random.set_seed" not in out
    assert findings_of(tmp_path / "train.py") == []


def test_seed_from_argparse_goes_after_parse_args(tmp_path: Path, cli: Runner) -> None:
    out, _ = fix(tmp_path, cli, ARGPARSE_SCRIPT)
    assert "    args = parser.parse_args()\n    random.seed(args.random_seed)\n    print(" in out
    assert "42" not in out


def test_seed_constant_is_reused(tmp_path: Path, cli: Runner) -> None:
    out, _ = fix(tmp_path, cli, CONSTANT_SCRIPT)
    assert "SEED = 7\nnp.random.seed(SEED)\n" in out and "42" not in out


def _run(script: Path, *argv: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    proc = subprocess.run([sys.executable, str(script), *argv], capture_output=True, text=True, env=env, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout.strip().splitlines()[-1]


def _run_all(script: Path, argvs: list[list[str]]) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    procs = [subprocess.Popen([sys.executable, str(script), *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for argv in argvs]
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
        outs.append(out.strip().splitlines()[-1])
    return outs


@pytest.mark.tensorflow
def test_seed_sweep_keeps_sweeping_after_fix(tmp_path: Path, cli: Runner) -> None:
    fix(tmp_path, cli, FLAGS_SCRIPT)
    one, two, one_again = _run_all(tmp_path / "train.py", [["--seed", "1"], ["--seed", "2"], ["--seed", "1"]])
    assert one != two, "--seed 1 and --seed 2 give the same weights: the sweep stopped sweeping"
    assert one == one_again


# ------------------------------------------------------------------------------------- defect 4
UNSEEDED_TRAINING = '''\
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf

if __name__ == "__main__":
    noise = tf.random.normal([8, 4])
    model = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(noise, tf.ones([8, 1]), epochs=1, verbose=0)
    print(float(tf.reduce_sum(model(noise))))
'''


def test_enabling_determinism_also_seeds(tmp_path: Path, cli: Runner) -> None:
    out, log = fix(tmp_path, cli, UNSEEDED_TRAINING, "--unsafe-fixes", "--select", "TFD502")
    seed = out.index("tf.keras.utils.set_random_seed(42)")
    assert seed < out.index("tf.config.experimental.enable_op_determinism()") < out.index("tf.random.normal")
    assert "Fixed 1 finding" in log


@pytest.mark.tensorflow
def test_determinism_fix_never_makes_the_program_fail(tmp_path: Path, cli: Runner) -> None:
    fix(tmp_path, cli, UNSEEDED_TRAINING, "--unsafe-fixes", "--select", "TFD502")
    first, second = _run_all(tmp_path / "train.py", [[], []])
    assert first == second


RAISES_UNDER_DETERMINISM = '''\
import tensorflow as tf

if __name__ == "__main__":
    model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
    model.fit(tf.ones([8, 4]), tf.ones([8, 1]), shuffle=False)
    print(tf.timestamp())
'''


def test_no_determinism_where_an_op_would_raise(tmp_path: Path, cli: Runner) -> None:
    path = tmp_path / "train.py"
    path.write_text(RAISES_UNDER_DETERMINISM, encoding="utf-8")
    assert {f["code"]: f["fixable"] for f in reported(cli, path)}["TFD502"] == "none"
    out, log = fix(tmp_path, cli, RAISES_UNDER_DETERMINISM, "--unsafe-fixes")
    assert "enable_op_determinism" not in out
    assert "`tensorflow.timestamp` (line 6) would raise under it" in log


# ------------------------------------------------------------------------------------- defect 5
def test_train_mnist_gets_one_seed_value(tmp_path: Path, cli: Runner) -> None:
    source = (ROOT / "examples" / "train_mnist.py").read_text(encoding="utf-8")
    out, _ = fix(tmp_path, cli, source, "--unsafe-fixes")
    assert "keras.utils.set_random_seed(0)" in out and "random_state=0" in out
    assert "42" not in out and "tf.random.set_seed" not in out


# ------------------------------------------------------------------------ issue 14, items 3 and 4
TF1_MAIN = '''\
import os

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow.compat.v1 as tf


def main():
    tf.disable_v2_behavior()
    with tf.Graph().as_default():
        x = tf.random_normal([3])
        with tf.Session() as sess:
            print(sess.run(x).tolist())


if __name__ == "__main__":
    main()
'''

TF1_MODULE = '''\
import tensorflow.compat.v1 as tf
tf.disable_eager_execution()

x = tf.random_uniform([2])
if __name__ == "__main__":
    with tf.Session() as sess:
        print(sess.run(x))
'''


def test_tf1_seed_goes_inside_the_graph(tmp_path: Path, cli: Runner) -> None:
    out, _ = fix(tmp_path, cli, TF1_MAIN)
    assert "    with tf.Graph().as_default():\n        tf.set_random_seed(42)\n        x = tf.random_normal" in out
    assert findings_of(tmp_path / "train.py") == []


def test_tf1_seed_goes_after_disable_calls(tmp_path: Path, cli: Runner) -> None:
    out, _ = fix(tmp_path, cli, TF1_MODULE)
    assert out.startswith("import tensorflow.compat.v1 as tf\ntf.disable_eager_execution()\ntf.set_random_seed(42)\n")


@pytest.mark.tensorflow
def test_fixed_tf1_program_reproduces(tmp_path: Path, cli: Runner) -> None:
    fix(tmp_path, cli, TF1_MAIN)
    first, second = _run_all(tmp_path / "train.py", [[], []])
    assert first == second


OWN_SEEDS = '''\
import random
import numpy as np
import tensorflow as tf

if __name__ == "__main__":
    tf.random.set_seed(777)
    np.random.seed(123)
    print(random.random(), np.random.rand(), tf.random.normal([1]))
'''


def test_programs_own_seeds_are_never_overridden(tmp_path: Path, cli: Runner) -> None:
    out, _ = fix(tmp_path, cli, OWN_SEEDS)
    assert "    np.random.seed(123)\n    random.seed(777)\n" in out
    assert "set_random_seed" not in out and "42" not in out


# ------------------------------------------------------------------ report and fix agree
@pytest.mark.parametrize("source", [USES_HELPER, LOOP, FLAGS_SCRIPT, ARGPARSE_SCRIPT, UNSEEDED_TRAINING, OWN_SEEDS,
                                    TF1_MAIN, TF1_MODULE],
                         ids=["helper", "loop", "flags", "argparse", "unseeded", "own-seeds", "tf1-main", "tf1-module"])
@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_check_fixable_count_is_fix_count(tmp_path: Path, cli: Runner, source: str, unsafe: bool) -> None:
    (tmp_path / "helpers.py").write_text(HELPER, encoding="utf-8")
    path = tmp_path / "train.py"
    path.write_text(source, encoding="utf-8")
    levels = {"safe", "unsafe"} if unsafe else {"safe"}
    fixable = sum(1 for f in reported(cli, path) if f["fixable"] in levels)
    _, log = fix(tmp_path, cli, source, *(["--unsafe-fixes"] if unsafe else []))
    if fixable:
        assert f"Fixed {fixable} finding" in log, log
    else:
        assert "Fixed" not in log.replace("Fixed 0", ""), log


def test_fix_intent_survives_the_cache(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A run that reads its findings from the cache fixes exactly as a fresh one."""
    from tfdetlint.cli import main

    path = tmp_path / "train.py"
    path.write_text(OWN_SEEDS, encoding="utf-8")
    cache = tmp_path / "cache"
    fresh = findings_of(path)
    assert all(f.fix is not None for f in fresh)
    assert main(["check", "--isolated", "--cache-dir", str(cache), str(path)]) == 1
    assert main(["check", "--isolated", "--cache-dir", str(cache), "--fix", str(path)]) == 0
    capsys.readouterr()
    assert "    random.seed(777)\n" in path.read_text(encoding="utf-8")
    for finding in fresh:
        data = finding.to_json()
        assert type(finding).from_json(data).fix == finding.fix
