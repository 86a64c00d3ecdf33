"""A real editor: Neovim, headless, runs ``tfdetlint server`` through its own LSP client
(``neovim_session.lua``), shows the diagnostics, and applies a quick fix as it applies any
workspace edit; the re-published diagnostics no longer have the finding."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("pygls")
if shutil.which("nvim") is None:
    pytest.skip("Neovim (nvim) is not installed", allow_module_level=True)

REPO = Path(__file__).resolve().parents[2]
SESSION = Path(__file__).with_name("neovim_session.lua")

SCRIPT = textwrap.dedent("""\
    import tensorflow as tf

    x = tf.random.normal([2, 2])
    ds = tf.data.Dataset.range(10).map(lambda v: v, num_parallel_calls=4, deterministic=False)
    model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
    model.fit(x, x)
""")


def test_neovim_shows_the_diagnostics_and_applies_the_quick_fix(tmp_path: Path) -> None:
    source = tmp_path / "train.py"
    source.write_text(SCRIPT)
    out = tmp_path / "session.json"
    env = {**os.environ, "PYTHONPATH": str(REPO), "TFDETLINT_NVIM_FILE": str(source), "TFDETLINT_NVIM_OUT": str(out),
           "TFDETLINT_NVIM_CMD": json.dumps([sys.executable, "-m", "tfdetlint", "server"]),
           "XDG_STATE_HOME": str(tmp_path / "state"), "XDG_DATA_HOME": str(tmp_path / "data")}
    run = subprocess.run(["nvim", "--headless", "--clean", "-c", f"luafile {SESSION}"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL, check=False)
    assert out.is_file(), f"the session wrote no report: {run.stdout} {run.stderr}"
    report = json.loads(out.read_text())
    assert report["got_diagnostics"], report
    before = {(d["code"], d["line"], d["col"]) for d in report["before"]}
    assert ("TFD101", 2, 14) in before and ("TFD401", 3, 31) in before
    assert all(d["source"] == "tfdetlint" for d in report["before"])
    titles = [a["title"] for a in report["actions"]]
    assert "Fix TFD101: seed the program" in titles and "Add `# noqa: TFD101`" in titles
    assert report["applied"] == "Fix TFD101: seed the program"
    assert report["cleared"], report
    assert "tf.keras.utils.set_random_seed(42)" in report["lines"]
    assert "TFD401" in {d["code"] for d in report["after"]}  # only what the fix covers is gone
