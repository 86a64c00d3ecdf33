"""Helper summaries kept in the content cache: a project module is summarised once, not once per
process and per run, and a stored summary is used only while every file it read is unchanged."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tfdetlint.analysis.effects import (
    Effect,
    Randomness,
    SeedParameter,
    effect_from_json,
    effect_to_json,
)
from tfdetlint.cache import Cache
from tfdetlint.cli import main
from tfdetlint.config import Settings
from tfdetlint.engine import analyse
from tfdetlint.options import Options
from tfdetlint.runner import project_index

from .test_project import SEEDS_ALL, write

ROOT = Path(__file__).resolve().parent.parent

NOT_SEEDING = """
import tensorflow as tf

def seed_everything(seed):
    tf.print(seed)
"""

# train.py -> setup.prepare -> seeding.seed_everything: the summary of ``prepare`` read two files.
SETUP = "from seeding import seed_everything\n\ndef prepare():\n    seed_everything(7)\n"
TRAIN = """
import numpy as np
from setup import prepare

def main():
    prepare()
    return np.random.rand(3)

if __name__ == "__main__":
    main()
"""


def index(root: Path, cache: Cache | None):  # type: ignore[no-untyped-def]
    return project_index(Settings(root=root), (root,), cache)


def codes_in_train(root: Path, cache: Cache | None) -> tuple[list[str], object]:
    project = index(root, cache)
    path = root / "train.py"
    found = analyse(path.read_bytes(), str(path), Options(), project).findings
    return [f.code for f in found], project


def test_effects_survive_the_trip_through_json() -> None:
    effect = Effect("seed_all", "/p/seeding.py", frozenset({"tf", "numpy"}), True, "time.time",
                    (Randomness("tf", "tf.random.normal", "m.py:3"),), (Randomness("stateful", "tf.random.uniform", "m.py:4"),),
                    "`fit` at m.py:9")
    assert effect_from_json(effect_to_json(effect)) == effect
    assert effect_from_json(effect_to_json(None)) is None
    sampler = Effect("Sampler", "/p/data.py", seed_params=(SeedParameter("seed", 1, "numpy.random.RandomState", "data.py:7"),
                                                           SeedParameter("rng_seed", None, "random.Random", "data.py:8")))
    assert effect_from_json(effect_to_json(sampler)) == sampler


def test_a_summary_without_seed_parameters_is_from_an_older_version() -> None:
    old = {"name": "f", "path": "", "domains": [], "determinism": False, "entropy": None, "randomness": [],
           "stateful": [], "trains": None}
    with pytest.raises(ValueError):
        effect_from_json(old)
    with pytest.raises(ValueError):
        effect_from_json({**old, "seed_params": [{"name": "seed", "position": "1", "api": "a", "where": "b"}]})


@pytest.mark.parametrize("damaged", [
    {"name": "f"},
    {"name": 3, "path": "", "domains": [], "determinism": False, "entropy": None, "randomness": [], "stateful": [],
     "trains": None},
    {"name": "f", "path": "", "domains": [], "determinism": "yes", "entropy": None, "randomness": [],
     "stateful": [], "trains": None},
    [1, 2],
])
def test_a_damaged_summary_is_not_read_as_one(damaged: object) -> None:
    with pytest.raises(ValueError):
        effect_from_json(damaged)


def test_a_second_process_reuses_the_summaries_without_parsing_the_helpers(tmp_path: Path) -> None:
    write(tmp_path, {"seeding.py": SEEDS_ALL, "setup.py": SETUP, "train.py": TRAIN})
    cache = Cache(tmp_path / "cache", salt="test")
    first, built = codes_in_train(tmp_path, cache)
    assert first == []  # NumPy is seeded by the helper's helper
    assert built.models  # type: ignore[attr-defined]
    assert list((tmp_path / "cache" / "summaries-v1").rglob("*.json"))
    again, reused = codes_in_train(tmp_path, cache)
    assert again == first
    assert reused.models == {}  # type: ignore[attr-defined]


def test_a_changed_file_two_calls_away_invalidates_the_stored_summary(tmp_path: Path) -> None:
    write(tmp_path, {"seeding.py": SEEDS_ALL, "setup.py": SETUP, "train.py": TRAIN})
    cache = Cache(tmp_path / "cache", salt="test")
    assert codes_in_train(tmp_path, cache)[0] == []
    write(tmp_path, {"seeding.py": NOT_SEEDING})
    assert "TFD103" in codes_in_train(tmp_path, cache)[0]
    assert codes_in_train(tmp_path, cache)[0] == codes_in_train(tmp_path, None)[0]


def test_a_damaged_entry_is_summarised_again(tmp_path: Path) -> None:
    write(tmp_path, {"seeding.py": SEEDS_ALL, "setup.py": SETUP, "train.py": TRAIN})
    cache = Cache(tmp_path / "cache", salt="test")
    codes_in_train(tmp_path, cache)
    for entry in (tmp_path / "cache" / "summaries-v1").rglob("*.json"):
        entry.write_text('{"summary": {"name": 1}, "files": {}}')
    found, project = codes_in_train(tmp_path, cache)
    assert found == []
    assert project.models  # type: ignore[attr-defined]


def test_summaries_of_other_settings_are_not_shared(tmp_path: Path) -> None:
    """A summary depends on the configured seed functions: another configuration is another entry."""
    write(tmp_path, {"seeding.py": NOT_SEEDING, "setup.py": SETUP, "train.py": TRAIN})
    cache = Cache(tmp_path / "cache", salt="test")
    assert "TFD103" in codes_in_train(tmp_path, cache)[0]
    configured = project_index(Settings(root=tmp_path, seed_functions=("seeding.seed_everything",)), (tmp_path,), cache)
    path = tmp_path / "train.py"
    assert analyse(path.read_bytes(), str(path), Options(), configured).findings == []


def test_a_summary_cut_short_by_a_call_cycle_is_not_stored(tmp_path: Path) -> None:
    """Inside a cycle a summary depends on where the cycle was entered; such summaries stay in
    memory, so a later run never reads one computed from another entry point. The cycle's entry
    (and a plainly recursive function) is whole: calling itself again adds nothing."""
    write(tmp_path, {
        "ping.py": "import pong\nimport numpy as np\n\ndef ping():\n    pong.pong()\n    np.random.seed(1)\n",
        "pong.py": "import ping\n\ndef pong():\n    ping.ping()\n",
        "other.py": "import numpy as np\n\ndef other(n=3):\n    if n:\n        other(n - 1)\n    np.random.seed(2)\n",
        "train.py": "import numpy as np\nfrom ping import ping\nfrom other import other\n\n"
                    "other()\nping()\nnp.random.rand(2)\n",
    })
    cache = Cache(tmp_path / "cache", salt="test")
    project = index(tmp_path, cache)
    path = tmp_path / "train.py"
    assert analyse(path.read_bytes(), str(path), Options(), project).findings == []
    store = project.store
    assert store is not None
    assert store.load(tmp_path / "ping.py", "ping") is not None
    assert store.load(tmp_path / "pong.py", "pong") is None
    assert store.load(tmp_path / "other.py", "other") is not None


def test_check_on_stdin_uses_the_stored_summaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {"seeding.py": SEEDS_ALL, "setup.py": SETUP, "train.py": TRAIN})
    monkeypatch.chdir(tmp_path)
    cache = str(tmp_path / "cache")
    assert main(["check", "--cache-dir", cache, "-q", "train.py"]) == 0
    entries = set((tmp_path / "cache" / "summaries-v1").rglob("*.json"))
    assert entries
    write(tmp_path, {"seeding.py": NOT_SEEDING})
    monkeypatch.setattr(sys, "stdin", _Stdin(textwrap.dedent(TRAIN).encode()))
    assert main(["check", "--cache-dir", cache, "-q", "--stdin-filename", "train.py", "-"]) == 1
    assert "TFD103" in capsys.readouterr().out


class _Stdin:
    def __init__(self, data: bytes) -> None:
        import io

        self.buffer = io.BytesIO(data)


def test_flake8_plugin_keeps_summaries_unless_told_not_to(tmp_path: Path) -> None:
    write(tmp_path, {"seeding.py": SEEDS_ALL, "setup.py": SETUP, "train.py": TRAIN})
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def flake8(*extra: str) -> str:
        out = subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--select", "TFD", *extra, "train.py"],
                             cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        return out.stdout + out.stderr

    assert flake8("--tfdetlint-no-cache") == ""
    assert not (tmp_path / ".tfdetlint_cache").exists()
    assert flake8() == ""
    assert list((tmp_path / ".tfdetlint_cache" / "summaries-v1").rglob("*.json"))
    write(tmp_path, {"seeding.py": NOT_SEEDING})
    assert "TFD103" in flake8()


def test_a_warm_run_reads_each_dependency_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Entries of files that import the same helper name it; a warm run digests it once, not once
    per entry (the pinned corpus's warm run read 743,296 files for 3,678 entries)."""
    import tfdetlint.cache as cache_module

    trains = {f"train{i}.py": f"from seeding import seed_everything\nimport numpy as np\n\nseed_everything(1)\n"
                              f"np.random.rand({i})\n" for i in range(4)}
    write(tmp_path, {"seeding.py": SEEDS_ALL, **trains})
    args = [str(tmp_path), "--cache-dir", str(tmp_path / "cache"), "-q", "--jobs", "1"]
    first = main(args)
    reads: list[str] = []
    real = cache_module._digest_of
    monkeypatch.setattr(cache_module, "_digest_of", lambda path: reads.append(path) or real(path))
    assert main(args) == first
    assert reads, "the warm run checked its entries' dependencies"
    assert len(reads) == len(set(reads))
    assert any(path.endswith("seeding.py") for path in reads)
