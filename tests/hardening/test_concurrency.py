"""The process pool and the cache change nothing but speed.

- ``--jobs 2`` gives exactly the serial output (same findings, same order) on a mixed folder
  big enough for the pool to really start;
- a cold and a warm cache give identical output;
- two processes sharing one cache folder never corrupt it;
- a corrupt cache entry is ignored and rewritten; CACHEDIR.TAG exists; --no-cache writes nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from _helpers import GOOD, REPO, cli

from tfdetlint import runner
from tfdetlint.cache import CACHEDIR_TAG, Cache
from tfdetlint.config import Settings
from tfdetlint.findings import Finding

TEMPLATES = [
    GOOD,
    b"import tensorflow as tf\nds = tf.data.Dataset.range(10).shuffle(10)\n",
    b"import numpy as np\nif __name__ == '__main__':\n    np.random.rand(3)\n",
    b"import tensorflow as tf\ntf.random.set_seed(1)\nif __name__ == '__main__':\n    tf.math.unsorted_segment_sum(a, b, 3)\n",
    b"import tensorflow as tf\ndef f(x):\n    return tf.random.uniform([2], seed=1) * x\n",  # clean
    b"import random\nimport tensorflow as tf\nif __name__ == '__main__':\n    random.shuffle(x)\n    tf.random.normal([1])\n",
    b"x = 1\n",  # skipped by the pre-filter
    b"import tensorflow as tf\ndef f(:\n    tf.random.normal([1])\n",  # syntax error
    b"import tensorflow as tf\x00",  # binary
    "# coding: cp1252\nimport tensorflow as tf\nif __name__ == '__main__':\n    s = '€'; tf.random.normal([1])\n".encode("cp1252"),
]
NOTEBOOK = json.dumps({"cells": [{"cell_type": "code", "source": ["import tensorflow as tf\n", "tf.random.normal([1])\n"]}],
                       "metadata": {}}).encode()


def _mixed_folder(root: Path, count: int = 64) -> Path:
    folder = root / "project"
    for i in range(count):
        sub = folder / f"pkg{i % 4}"
        sub.mkdir(parents=True, exist_ok=True)
        if i % 9 == 8:
            (sub / f"nb_{i:03}.ipynb").write_bytes(NOTEBOOK)
        else:
            # distinct bytes per file, so that the cache never serves one file's entry to another
            (sub / f"mod_{i:03}.py").write_bytes(TEMPLATES[i % len(TEMPLATES)] + f"\n# file {i}\n".encode())
    return folder


def _json(cwd: Path, *args: str) -> tuple[int, str]:
    done = cli(cwd, "check", "--isolated", "--format", "json", *args)
    assert "Traceback" not in done.stderr, done.stderr
    return done.returncode, done.stdout


def test_pool_really_starts_for_this_folder(tmp_path: Path) -> None:
    folder = _mixed_folder(tmp_path)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    assert len(files) >= 40 and runner.resolve_jobs(2, len(files)) == 2
    assert len(files) >= runner.MIN_FILES_PER_WORKER * 2


def test_parallel_output_equals_serial_output(tmp_path: Path) -> None:
    _mixed_folder(tmp_path)
    rc1, serial = _json(tmp_path, "--no-cache", "--jobs", "1", "project")
    rc2, parallel = _json(tmp_path, "--no-cache", "--jobs", "2", "project")
    assert rc1 == rc2 == 1
    assert parallel == serial
    found = json.loads(serial)
    assert len({f["path"] for f in found}) >= 30 and {"TFD000", "TFD101"} <= {f["code"] for f in found}
    # and the same through the text reporter, byte for byte
    text1 = cli(tmp_path, "check", "--isolated", "--no-cache", "--jobs", "1", "project").stdout
    text2 = cli(tmp_path, "check", "--isolated", "--no-cache", "--jobs", "2", "project").stdout
    assert text1 == text2


def test_parallel_run_in_process_uses_the_pool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = _mixed_folder(tmp_path)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    used: list[int] = []
    real = runner._parallel

    def spy(misses: list[tuple[str, object, str | None]], workers: int) -> list[list[Finding]]:
        used.append(workers)
        return real(misses, workers)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "_parallel", spy)
    settings = Settings(root=tmp_path)
    parallel = runner.run(files, settings, jobs=2).findings
    assert used == [2]
    assert parallel == runner.run(files, settings, jobs=1).findings


def test_cold_and_warm_cache_give_identical_output(tmp_path: Path) -> None:
    _mixed_folder(tmp_path)
    cache = tmp_path / "cache"
    uncached = _json(tmp_path, "--no-cache", "project")
    cold = _json(tmp_path, "--cache-dir", str(cache), "project")
    entries = sorted(cache.rglob("*.json"))
    assert entries
    warm = _json(tmp_path, "--cache-dir", str(cache), "project")
    warm_parallel = _json(tmp_path, "--cache-dir", str(cache), "--jobs", "2", "project")
    assert cold == warm == warm_parallel == uncached
    assert sorted(cache.rglob("*.json")) == entries  # nothing new: every file was a hit


def test_warm_cache_is_really_used(tmp_path: Path) -> None:
    folder = _mixed_folder(tmp_path, 20)
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    cache = Cache(tmp_path / "cache", salt="t")
    settings = Settings(root=tmp_path)
    cold = runner.run(files, settings, jobs=1, cache=cache)
    warm = runner.run(files, settings, jobs=1, cache=Cache(tmp_path / "cache", salt="t"))
    assert cold.cache_hits == 0 and warm.cache_hits == len(files)
    assert cold.findings == warm.findings


def test_two_processes_sharing_one_cache(tmp_path: Path) -> None:
    _mixed_folder(tmp_path, 80)
    cache = tmp_path / "shared-cache"
    expected = _json(tmp_path, "--no-cache", "project")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "tfdetlint", "check", "--isolated", "--format", "json",
               "--cache-dir", str(cache), "project"]
    for round_ in range(3):
        procs = [subprocess.Popen([*command, "--jobs", str(1 + i % 2)], cwd=tmp_path, env=env,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(4)]
        outputs = [p.communicate(timeout=300) for p in procs]
        for proc, (out, err) in zip(procs, outputs, strict=True):
            assert "Traceback" not in err, err
            assert (proc.returncode, out) == expected, f"round {round_}"
    for entry in cache.rglob("*.json"):
        json.loads(entry.read_bytes())  # every entry is whole
    assert not [p for p in cache.rglob(".tmp-*")], "temporary files left behind"
    assert (cache / "CACHEDIR.TAG").read_text(encoding="ascii") == CACHEDIR_TAG


@pytest.mark.parametrize("damage", ["truncate", "empty", "garbage", "wrong-shape", "wrong-types"])
def test_corrupt_cache_entry_is_ignored_and_rewritten(tmp_path: Path, damage: str) -> None:
    (tmp_path / "good.py").write_bytes(GOOD)
    cache = tmp_path / "cache"
    expected = _json(tmp_path, "--no-cache", "good.py")
    assert _json(tmp_path, "--cache-dir", str(cache), "good.py") == expected
    [entry] = list((cache / "v2").rglob("*.json"))
    whole = entry.read_bytes()
    damaged = {
        "truncate": whole[: len(whole) // 2],
        "empty": b"",
        "garbage": b"\x00\xff not json",
        "wrong-shape": b'{"line": 3}',
        "wrong-types": json.dumps({**json.loads(whole), "findings": [{**json.loads(whole)["findings"][0], "line": "three"}]}).encode(),
    }[damage]
    entry.write_bytes(damaged)
    assert _json(tmp_path, "--cache-dir", str(cache), "good.py") == expected
    assert entry.read_bytes() == whole  # rewritten
    assert _json(tmp_path, "--cache-dir", str(cache), "good.py") == expected


def test_cachedir_tag_exists(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_bytes(GOOD)
    cache = tmp_path / "cache"
    _json(tmp_path, "--cache-dir", str(cache), "good.py")
    assert (cache / "CACHEDIR.TAG").read_text(encoding="ascii").startswith("Signature: 8a477f597d28d172789f06886806bc55")


def test_default_cache_dir_has_a_tag(tmp_path: Path) -> None:
    (tmp_path / "good.py").write_bytes(GOOD)
    _json(tmp_path, "good.py")
    assert (tmp_path / ".tfdetlint_cache" / "CACHEDIR.TAG").is_file()


def test_no_cache_writes_nothing(tmp_path: Path) -> None:
    _mixed_folder(tmp_path, 40)
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    rc, _ = _json(tmp_path, "--no-cache", "--jobs", "2", "project")
    rc2, _ = _json(tmp_path, "--no-cache", "--cache-dir", str(tmp_path / "c"), "project")
    assert rc == rc2 == 1
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
