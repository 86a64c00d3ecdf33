"""The shipped pre-commit hooks, run by real ``pre-commit`` in a throw-away git repository.

``language: python`` hooks make pre-commit build an environment from the repository, which needs
the network; so the test mirrors each shipped hook as a ``repo: local`` / ``language: system`` hook
with the same arguments and file types, whose entry runs this environment's tfdetlint. What the
mirror cannot show (that pre-commit can install the package) is checked by validating the hooks
file with pre-commit's own schema.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import clean_env

yaml = pytest.importorskip("yaml")
pytest.importorskip("pre_commit")
if shutil.which("git") is None:
    pytest.skip("git is not installed", allow_module_level=True)

HOOKS_FILE = Path(__file__).resolve().parents[2] / ".pre-commit-hooks.yaml"

# Only safe-fixable hazards, so that the fix hook can leave a clean file behind.
HAZARD = '''\
import tensorflow as tf

ds = tf.data.Dataset.range(10).shuffle(10)
x = tf.random.normal([3])

if __name__ == "__main__":
    print(x)
'''


def shipped_hooks() -> dict[str, dict[str, Any]]:
    hooks = yaml.safe_load(HOOKS_FILE.read_text(encoding="utf-8"))
    return {hook["id"]: hook for hook in hooks}


def test_hooks_file_is_valid_for_pre_commit() -> None:
    from pre_commit.clientlib import load_manifest

    manifest = load_manifest(str(HOOKS_FILE))
    by_id = {hook["id"]: hook for hook in manifest}
    assert set(by_id) == {"tfdetlint", "tfdetlint-fix"}
    for hook in by_id.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "jupyter"]
        assert hook["require_serial"] is False
        assert shlex.split(hook["entry"])[:2] == ["tfdetlint", "check"]
    assert "--fix" in shlex.split(by_id["tfdetlint-fix"]["entry"])
    assert "--fix" not in shlex.split(by_id["tfdetlint"]["entry"])


def local_mirror() -> dict[str, Any]:
    """The shipped hooks as `repo: local` hooks that run this environment's tfdetlint."""
    hooks = []
    for hook in shipped_hooks().values():
        command = shlex.split(hook["entry"])
        assert command[0] == "tfdetlint"
        mirrored = {k: v for k, v in hook.items() if k not in ("language", "minimum_pre_commit_version")}
        mirrored["entry"] = shlex.join([sys.executable, "-m", "tfdetlint", *command[1:]])
        mirrored["language"] = "system"
        hooks.append(mirrored)
    return {"repos": [{"repo": "local", "hooks": hooks}]}


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    root = tmp_path / "repo"
    root.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    # pre-commit writes to $PRE_COMMIT_HOME (else ~/.cache); git reads ~/.gitconfig: keep both here.
    env = clean_env(HOME=str(home), PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"), GIT_CONFIG_NOSYSTEM="1")

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, timeout=60)

    git("init", "-q")
    git("config", "user.email", "test@example.com")
    git("config", "user.name", "Test")
    git("config", "commit.gpgsign", "false")
    (root / ".pre-commit-config.yaml").write_text(yaml.safe_dump(local_mirror()), encoding="utf-8")
    (root / "pyproject.toml").write_text("[tool.tfdetlint]\n", encoding="utf-8")
    (root / ".gitignore").write_text(".tfdetlint_cache/\n", encoding="utf-8")
    git("add", ".")
    git("commit", "-q", "-m", "configuration", "--no-verify")
    return root, env


def pre_commit(root: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )


def test_commit_with_a_hazard_fails(repo: tuple[Path, dict[str, str]]) -> None:
    root, env = repo
    installed = pre_commit(root, env, "install")
    assert installed.returncode == 0, installed.stdout + installed.stderr
    (root / "train.py").write_text(HAZARD, encoding="utf-8")
    (root / "notes.txt").write_text("not python\n", encoding="utf-8")
    subprocess.run(["git", "add", "train.py", "notes.txt"], cwd=root, env=env, check=True, timeout=60)
    commit = subprocess.run(
        ["git", "commit", "-m", "add training script"], cwd=root, env=env, capture_output=True, text=True, timeout=300
    )
    output = commit.stdout + commit.stderr
    assert commit.returncode != 0, output
    assert "train.py:3:32: TFD301" in output
    assert "train.py:4:15: TFD101" in output
    assert "notes.txt" not in output  # types_or keeps other files away from the hook
    # Nothing was committed.
    log = subprocess.run(["git", "log", "--oneline"], cwd=root, env=env, capture_output=True, text=True, timeout=60)
    assert len(log.stdout.splitlines()) == 1


def test_clean_file_passes(repo: tuple[Path, dict[str, str]]) -> None:
    root, env = repo
    (root / "ok.py").write_text("import tensorflow as tf\nx = tf.random.normal([3], seed=1)\n", encoding="utf-8")
    subprocess.run(["git", "add", "ok.py"], cwd=root, env=env, check=True, timeout=60)
    result = pre_commit(root, env, "run", "tfdetlint", "--files", "ok.py")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout


def test_notebook_is_checked(repo: tuple[Path, dict[str, str]]) -> None:
    import json

    root, env = repo
    notebook = {
        "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                   "source": ["import tensorflow as tf\n", "x = tf.random.normal([3])\n"]}],
        "metadata": {"kernelspec": {"language": "python", "name": "python3", "display_name": "Python 3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }
    (root / "explore.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    subprocess.run(["git", "add", "explore.ipynb"], cwd=root, env=env, check=True, timeout=60)
    result = pre_commit(root, env, "run", "tfdetlint", "--files", "explore.ipynb")
    assert result.returncode != 0
    assert "explore.ipynb:cell 1:2:" in result.stdout


def test_fix_hook_repairs_the_file(repo: tuple[Path, dict[str, str]]) -> None:
    pytest.importorskip("tfdetlint.fix")
    root, env = repo
    (root / "train.py").write_text(HAZARD, encoding="utf-8")
    subprocess.run(["git", "add", "train.py"], cwd=root, env=env, check=True, timeout=60)
    fixed = pre_commit(root, env, "run", "tfdetlint-fix", "--files", "train.py")
    # pre-commit fails a hook that changed files, whatever its exit code.
    assert fixed.returncode != 0
    assert "files were modified by this hook" in fixed.stdout
    assert (root / "train.py").read_text(encoding="utf-8") != HAZARD
    checked = pre_commit(root, env, "run", "tfdetlint", "--files", "train.py")
    assert checked.returncode == 0, checked.stdout + checked.stderr


SEED_HELPER = """\
import random
import numpy as np
import tensorflow as tf


def seed_everything(seed):
    random.seed(seed)
    np.random.seed(seed)
    tf.random.set_seed(seed)
"""

TRAINING = """\
import keras
import tensorflow as tf
from utils import seed_everything


def main():
    seed_everything(0)
    tf.random.normal([1])
    keras.layers.Dropout(0.5)


if __name__ == "__main__":
    main()
"""


def test_one_changed_file_sees_the_projects_seeding_helper(repo: tuple[Path, dict[str, str]]) -> None:
    """Issue 8: pre-commit passes only the changed file; its helper module is still followed."""
    root, env = repo

    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, timeout=60)

    (root / "utils.py").write_text(SEED_HELPER, encoding="utf-8")
    (root / "train.py").write_text(TRAINING, encoding="utf-8")
    git("add", "utils.py", "train.py")
    git("commit", "-q", "-m", "project", "--no-verify")
    (root / "train.py").write_text(TRAINING + "# tuned\n", encoding="utf-8")
    git("add", "train.py")
    clean = pre_commit(root, env, "run", "tfdetlint")
    assert clean.returncode == 0, clean.stdout + clean.stderr

    # The helper stops seeding Python's random: Keras 3 layers are no longer covered.
    (root / "utils.py").write_text(SEED_HELPER.replace("    random.seed(seed)\n", ""), encoding="utf-8")
    git("add", "utils.py")
    git("commit", "-q", "-m", "helper", "--no-verify")
    (root / "train.py").write_text(TRAINING + "# tuned again\n", encoding="utf-8")
    git("add", "train.py")
    failed = pre_commit(root, env, "run", "tfdetlint")
    output = failed.stdout + failed.stderr
    assert failed.returncode != 0, output
    assert "train.py:9:18: TFD102" in output
    # The helper's TF seed is seen (the helper is followed), and Python's, which Keras 3 follows, is missing.
    assert "Keras 3 follows Python's seed, not TF's" in output
