"""Fixed scripts really are reproducible: run each original twice (digests differ), --fix it,
run it twice again (digests identical). Each script is tiny; TensorFlow's import dominates."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Runner

pytestmark = pytest.mark.tensorflow

PRELUDE = '''\
import hashlib
import os
import sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
'''

KERAS_FIT = PRELUDE + '''\
import numpy as np
import keras

x = np.random.rand(64, 8).astype("float32")
y = np.random.rand(64, 1).astype("float32")
model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                          keras.layers.Dropout(0.5), keras.layers.Dense(1)])
model.compile(optimizer="sgd", loss="mse")
model.fit(x, y, epochs=2, batch_size=16, verbose=0)
print(hashlib.sha256(b"".join(w.tobytes() for w in model.get_weights())).hexdigest())
'''

GRADIENT_TAPE = PRELUDE + '''\
import tensorflow as tf


def main():
    w = tf.Variable(tf.random.normal([4, 1]))
    for _ in range(5):
        x = tf.random.normal([16, 4])
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(tf.matmul(x, w) - 1.0))
        w.assign_sub(0.1 * tape.gradient(loss, w))
    print(hashlib.sha256(w.numpy().tobytes()).hexdigest())


if __name__ == "__main__":
    main()
'''

DATA_PIPELINE = PRELUDE + '''\
import tensorflow as tf

if __name__ == "__main__":
    files = tf.data.Dataset.list_files(os.path.join(sys.argv[1], "*.txt"))
    lines = files.interleave(tf.data.TextLineDataset, cycle_length=2).shuffle(16)
    order = b"|".join(t.numpy() for t in lines)
    print(hashlib.sha256(order).hexdigest())
'''


def _twice(script: Path, *argv: str) -> tuple[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}
    procs = [subprocess.Popen([sys.executable, str(script), *argv], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=240)
        assert proc.returncode == 0, err[-2000:]
        outs.append(out.strip().splitlines()[-1])
    return outs[0], outs[1]


@pytest.mark.parametrize("source", [KERAS_FIT, GRADIENT_TAPE, DATA_PIPELINE], ids=["keras-fit", "tape", "tf-data"])
def test_fixed_script_is_bit_identical(tmp_path: Path, cli: Runner, source: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    for i in range(8):
        (data / f"part{i}.txt").write_text("".join(f"file{i}-line{j}\n" for j in range(3)))
    script = tmp_path / "train.py"
    script.write_text(source, encoding="utf-8")
    first, second = _twice(script, str(data))
    assert first != second, "the original should not be reproducible"
    result = cli(script, "--fix")
    assert "set_random_seed(42)" in script.read_text(encoding="utf-8"), result.out
    first, second = _twice(script, str(data))
    assert first == second
