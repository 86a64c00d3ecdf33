"""Which file a module is: the import roots, the importer's own folder, relative imports, folders
above the importer; each folder listed once. And the bound on the models kept in memory."""

from __future__ import annotations

from pathlib import Path

import pytest

import tfdetlint.project as project_module
from tfdetlint.config import Settings
from tfdetlint.layout import Layout, is_within
from tfdetlint.runner import project_index

from .test_project import SEEDS_ALL, write


def index(root: Path):  # type: ignore[no-untyped-def]
    return project_index(Settings(root=root), (root.resolve(),), None)


def test_packages_modules_and_namespace_folders(tmp_path: Path) -> None:
    write(tmp_path, {"pkg/__init__.py": "", "pkg/sub/__init__.py": "", "pkg/sub/mod.py": "",
                     "pkg/plain.py": "", "nspace/inner.py": "", "pkg/data.py/not_a_module.txt": ""})
    layout = Layout()
    base = str(tmp_path)
    assert layout.module_in(base, ["pkg"]) == str(tmp_path / "pkg" / "__init__.py")
    assert layout.module_in(base, ["pkg", "sub", "mod"]) == str(tmp_path / "pkg" / "sub" / "mod.py")
    assert layout.module_in(base, ["pkg", "sub"]) == str(tmp_path / "pkg" / "sub" / "__init__.py")
    # a folder without __init__.py on the way is a namespace package; as the last part it is no file
    assert layout.module_in(base, ["nspace", "inner"]) == str(tmp_path / "nspace" / "inner.py")
    assert layout.module_in(base, ["nspace"]) is None
    # a folder named like a module file is not one
    assert layout.module_in(base, ["pkg", "data"]) is None
    assert layout.module_in(base, ["missing"]) is None
    assert layout.module_in(base, []) is None


def test_a_listing_is_taken_once_until_forgotten(tmp_path: Path) -> None:
    layout = Layout()
    assert layout.module_in(str(tmp_path), ["late"]) is None
    (tmp_path / "late.py").write_text("")
    assert layout.module_in(str(tmp_path), ["late"]) is None  # the folder was listed before
    layout.forget()
    assert layout.module_in(str(tmp_path), ["late"]) == str(tmp_path / "late.py")


@pytest.mark.parametrize("folder, root, inside", [
    ("/a/b", "/a", True), ("/a", "/a", True), ("/ab", "/a", False), ("/a/b", "/a/", True), ("/", "/a", False),
])
def test_is_within(folder: str, root: str, inside: bool) -> None:
    assert is_within(folder, root) is inside


def test_modules_found_from_a_folder_above_the_importer(tmp_path: Path) -> None:
    """`efficientdet/tf2/train.py` imports `tf2.train_lib`: run from `efficientdet/`, whose folder
    is neither a root nor the script's own; found above the importer, inside the project only."""
    write(tmp_path, {"proj/efficientdet/tf2/train.py": "import tf2.train_lib\n",
                     "proj/efficientdet/tf2/train_lib.py": "", "proj/efficientdet/utils.py": "",
                     "outside.py": ""})
    project = index(tmp_path / "proj")
    importer = str(tmp_path / "proj" / "efficientdet" / "tf2" / "train.py")
    found = project.module_file("tf2.train_lib", importer, as_script=True)
    assert found == (tmp_path / "proj" / "efficientdet" / "tf2" / "train_lib.py").resolve()
    assert project.module_file("utils", importer) == (tmp_path / "proj" / "efficientdet" / "utils.py").resolve()
    assert project.module_file("outside", importer) is None  # above the project root
    assert project.module_file("tensorflow", importer) is None


def test_relative_imports_and_the_scripts_own_folder_first(tmp_path: Path) -> None:
    write(tmp_path, {"app/__init__.py": "", "app/models/__init__.py": "", "app/models/net.py": "",
                     "app/common.py": "", "common.py": "", "tools/run.py": "", "tools/common.py": ""})
    project = index(tmp_path)
    net = str(tmp_path / "app" / "models" / "net.py")
    assert project.module_file("..common", net) == (tmp_path / "app" / "common.py").resolve()
    assert project.module_file(".", net) == (tmp_path / "app" / "models" / "__init__.py").resolve()
    assert project.module_file("common", net) == (tmp_path / "common.py").resolve()  # the root's
    script = str(tmp_path / "tools" / "run.py")
    assert project.module_file("common", script, as_script=True) == (tmp_path / "tools" / "common.py").resolve()


def test_symlinked_importer_resolves_from_its_real_folder(tmp_path: Path) -> None:
    write(tmp_path, {"real/pkg/__init__.py": "", "real/pkg/a.py": "", "real/pkg/b.py": ""})
    (tmp_path / "link.py").symlink_to(tmp_path / "real" / "pkg" / "a.py")
    project = index(tmp_path / "real")
    assert project.module_file(".b", str(tmp_path / "link.py")) == (tmp_path / "real" / "pkg" / "b.py").resolve()


def test_models_past_the_bound_are_dropped_and_rebuilt_when_asked(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The least recently used model goes first; a summary asked later parses its module again
    and is the same."""
    monkeypatch.setattr(project_module, "MAX_MODELS", 2)
    write(tmp_path, {f"h{i}.py": SEEDS_ALL for i in range(3)})
    project = index(tmp_path)
    paths = [(tmp_path / f"h{i}.py").resolve() for i in range(3)]
    first = project.effect_in(paths[0], "seed_everything")
    assert first is not None and first.domains >= {"tf", "numpy", "python"}
    project.effect_in(paths[1], "seed_everything")
    project.effect_in(paths[0], "<import>")  # h0 used again: h1 is now the oldest
    project.effect_in(paths[2], "seed_everything")
    assert list(project.models) == [paths[0], paths[2]]
    project._effects.clear()
    again = project.effect_in(paths[1], "seed_everything")
    assert again is not None and again.domains == project.effect_in(paths[0], "seed_everything").domains
    assert len(project.models) == 2 and paths[1] in project.models
