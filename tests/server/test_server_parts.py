"""The server's parts without a client: warm project state, buffers, edits, the command itself."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tfdetlint.findings import Finding
from tfdetlint.server.buffers import check_buffer, fix_one, noqa_line
from tfdetlint.server.documents import Snapshot
from tfdetlint.server.notebooks import CellText, cell_texts, notebook_bytes
from tfdetlint.server.projects import Projects

REPO = Path(__file__).resolve().parents[2]
ENV = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}

HELPER = "import tensorflow as tf\n\n\ndef seed_everything():\n    tf.random.set_seed(0)\n"
SCRIPT = textwrap.dedent("""\
    import tensorflow as tf
    from seeding import seed_everything

    seed_everything()
    x = tf.random.normal([2])

    if __name__ == "__main__":
        print(x)
""").encode()


def test_check_never_imports_the_server_libraries(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_bytes(SCRIPT)
    probe = ("import sys\nfrom tfdetlint.cli import main\nmain(['check', '--no-cache', 'train.py'])\n"
             "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol', 'cattrs')))")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=ENV, cwd=tmp_path,
                         check=False)
    assert run.stdout.strip().splitlines()[-1] == "[]", run.stderr


def test_server_without_pygls_says_how_to_install_it(tmp_path: Path) -> None:
    probe = ("import sys\nsys.modules['pygls'] = None\nfrom tfdetlint.cli import main\n"
             "raise SystemExit(main(['server']))")
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=ENV, cwd=tmp_path,
                         check=False, stdin=subprocess.DEVNULL)
    assert run.returncode == 2
    assert "pip install 'tfdetlint[server]'" in run.stderr


class CountingModels:
    """Counts how often a project module is parsed and modelled (the work kept warm)."""

    def __init__(self, build: Any) -> None:
        self.build = build
        self.calls = 0

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        return self.build(*args)


def warm_project(tmp_path: Path) -> tuple[Projects, CountingModels, Path]:
    (tmp_path / "seeding.py").write_text(HELPER)
    (tmp_path / "other.py").write_text("import random\n")
    projects = Projects(tmp_path)
    script = tmp_path / "train.py"
    index = projects.index_for(script, projects.settings_for(script))
    assert index.model_module is not None
    counter = CountingModels(index.model_module)
    index.model_module = counter
    return projects, counter, script


def codes(found: list[Finding]) -> list[str]:
    return [f.code for f in found]


def test_project_summaries_stay_warm_and_only_a_changed_helper_is_read_again(tmp_path: Path) -> None:
    projects, counter, script = warm_project(tmp_path)
    first = check_buffer(SCRIPT, script, projects)
    assert "TFD101" not in codes(first.findings)
    assert any(Path(p).name == "seeding.py" for p in first.dependencies)
    assert counter.calls == 1
    check_buffer(SCRIPT, script, projects)
    projects.set_buffer(tmp_path / "other.py", b"import random\nrandom.seed(1)\n")  # not a dependency
    assert "TFD101" not in codes(check_buffer(SCRIPT, script, projects).findings)
    assert counter.calls == 1  # the helper was not parsed again
    assert projects.index_count == 1
    # The helper's unsaved text no longer seeds: the script's finding comes back.
    projects.set_buffer(tmp_path / "seeding.py", b"def seed_everything():\n    pass\n")
    assert "TFD101" in codes(check_buffer(SCRIPT, script, projects).findings)
    assert counter.calls == 2
    # Closed without saving: the file on disk counts again.
    projects.set_buffer(tmp_path / "seeding.py", None)
    assert "TFD101" not in codes(check_buffer(SCRIPT, script, projects).findings)


def test_a_file_changed_on_disk_is_read_again_when_told(tmp_path: Path) -> None:
    projects, _, script = warm_project(tmp_path)
    check_buffer(SCRIPT, script, projects)
    (tmp_path / "seeding.py").write_text("def seed_everything():\n    pass\n")
    assert "TFD101" not in codes(check_buffer(SCRIPT, script, projects).findings)  # warm: not re-read yet
    projects.file_changed(tmp_path / "seeding.py")
    assert "TFD101" in codes(check_buffer(SCRIPT, script, projects).findings)


def test_buffer_checks_follow_the_files_configuration(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.tfdetlint]\nignore = ["TFD101"]\nextend-exclude = ["gen"]\n')
    (tmp_path / "gen").mkdir()
    projects = Projects(tmp_path)
    text = b"import tensorflow as tf\nx = tf.random.normal([2])\nmodel.fit(x)\n"
    found = check_buffer(text, tmp_path / "train.py", projects)
    assert "TFD101" not in codes(found.findings) and "TFD501" in codes(found.findings)
    excluded = check_buffer(text, tmp_path / "gen" / "train.py", projects)
    assert excluded.excluded and excluded.findings == []
    (tmp_path / "pyproject.toml").write_text("[tool.tfdetlint]\n")
    assert "TFD101" not in codes(check_buffer(text, tmp_path / "train.py", projects).findings)  # still cached
    projects.configuration_changed()
    assert "TFD101" in codes(check_buffer(text, tmp_path / "train.py", projects).findings)


@pytest.mark.parametrize(("text", "line", "expected"), [
    ("x = f()\n", 1, "x = f()  # noqa: TFD101"),
    ("x = f()  # noqa: TFD401\n", 1, "x = f()  # noqa: TFD401, TFD101"),
    ("x = f()  # noqa: TFD101\n", 1, None),  # already there
    ('s = """\nx = f()\n"""\n', 2, None),  # inside a string: a comment cannot go there
    ("x = f(\n", 1, None),  # an unfinished buffer
    ("x = f()\r\ny = 2\r\n", 1, "x = f()  # noqa: TFD101"),
])
def test_noqa_line(text: str, line: int, expected: str | None) -> None:
    assert noqa_line(text, line, "TFD101") == expected


def test_notebook_cells_round_trip_through_the_notebook_bytes() -> None:
    cells = (CellText("c1", True, "import tensorflow as tf\n"), CellText("c2", False, "# Title\r\ntext"),
             CellText("c3", True, "x = tf.random.normal([2])\ny = 1"))
    raw = notebook_bytes(cells)
    assert cell_texts(raw) == [cell.text for cell in cells]
    snapshot = Snapshot.of_notebook("nb", Path("nb.ipynb"), 1, cells)
    found = Finding("nb.ipynb", 1, 5, "TFD101", "m", cell=3)
    whole = Finding("nb.ipynb", 1, 1, "TFD000", "m")
    assert snapshot.by_uri([found, whole]) == {"c1": [whole], "c2": [], "c3": [found]}
    fixed = notebook_bytes((cells[0], cells[1], CellText("c3", True, "x = tf.random.normal([2], seed=1)\ny = 1")))
    assert snapshot.changed_texts(fixed) == {"c3": (cells[2].text, "x = tf.random.normal([2], seed=1)\ny = 1")}


def test_a_buffer_with_an_encoding_cookie_is_checked_and_fixed_in_its_encoding(tmp_path: Path) -> None:
    text = ("# -*- coding: latin-1 -*-\nimport tensorflow as tf\n\nname = 'café'; x = tf.random.normal([2])\n"
            "model.fit(x)\n")
    snapshot = Snapshot.of_text("file:///t.py", tmp_path / "train.py", 1, text)
    assert snapshot.encoding == "iso-8859-1" and snapshot.raw == text.encode("latin-1")
    checked = check_buffer(snapshot.raw, snapshot.path, Projects(tmp_path))
    random_op = next(f for f in checked.findings if f.code == "TFD101")
    assert random_op.column == text.splitlines()[3].index("normal") + 1  # characters, not bytes
    new = fix_one(snapshot.raw, snapshot.path, random_op, checked.settings)
    assert new is not None
    ((old, fixed),) = snapshot.changed_texts(new).values()
    assert old == text and "name = 'café'" in fixed and "set_random_seed(42)" in fixed
