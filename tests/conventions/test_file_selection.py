"""Issue 16: git's ignore semantics (pathspec's GitIgnoreSpec), excludes on the command line,
``--force-exclude`` for pre-commit."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .conftest import HAZARD, ROOT


def checked(result_out: str) -> set[str]:
    return {Path(f["path"]).as_posix() for f in json.loads(result_out)}


def tree(root: Path, *files: str) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(HAZARD)


def test_anchored_glob_does_not_reach_into_subfolders(tfd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tree(tmp_path, "docs/x.py", "docs/sub/y.py", "other/docs/z.py")
    (tmp_path / ".gitignore").write_text("docs/*.py\n")
    assert checked(tfd(tmp_path, ".", "--format", "json").out) == {"docs/sub/y.py", "other/docs/z.py"}


def test_nested_gitignore_and_negation(tfd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tree(tmp_path, "gen/a.py", "gen/keep.py", "pkg/build_x.py", "pkg/sub/build_y.py", "pkg/ok.py")
    (tmp_path / ".gitignore").write_text("gen/*\n!gen/keep.py\n")
    (tmp_path / "pkg" / ".gitignore").write_text("build_*.py\n")
    (tmp_path / "pkg" / "sub" / ".gitignore").write_text("!build_y.py\n")
    assert checked(tfd(tmp_path, ".", "--format", "json").out) == {"gen/keep.py", "pkg/ok.py", "pkg/sub/build_y.py"}


def test_repository_root_gitignore_and_info_exclude_apply_from_a_subfolder(tfd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / ".git" / "info").mkdir(parents=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("secret_*.py\n")
    (tmp_path / ".gitignore").write_text("generated/\n")
    tree(tmp_path, "src/generated/g.py", "src/secret_a.py", "src/real.py")
    from_root = checked(tfd(tmp_path, ".", "--format", "json").out)
    from_sub = checked(tfd(tmp_path, "src", "--format", "json").out)
    assert from_root == from_sub == {"src/real.py"}
    inside = checked(tfd(tmp_path / "src", ".", "--format", "json").out)
    assert inside == {"real.py"}
    everything = checked(tfd(tmp_path, "src", "--no-respect-gitignore", "--format", "json").out)
    assert everything == {"src/generated/g.py", "src/secret_a.py", "src/real.py"}


def test_a_folder_named_on_the_command_line_is_checked_even_if_ignored(tfd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """As ruff and ripgrep: an ignored folder given explicitly is walked; ignore files inside it still apply."""
    (tmp_path / ".git").mkdir()
    (tmp_path / ".gitignore").write_text("vendor/\n")
    tree(tmp_path, "vendor/lib/a.py", "vendor/lib/skip_b.py", "src/c.py")
    (tmp_path / "vendor" / "lib" / ".gitignore").write_text("skip_*.py\n")
    assert checked(tfd(tmp_path, ".", "--format", "json").out) == {"src/c.py"}
    assert checked(tfd(tmp_path, "vendor/lib", "--format", "json").out) == {"vendor/lib/a.py"}


@pytest.mark.skipif(subprocess.run(["git", "--version"], capture_output=True).returncode != 0, reason="needs git")
def test_same_files_as_git_itself(tfd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tree(tmp_path, "docs/x.py", "docs/sub/y.py", "a/b/c.py", "a/b/d.py", "logs/deep/e.py", "z/keep.py", "z/drop.py")
    (tmp_path / ".gitignore").write_text("docs/*.py\n**/b/c.py\nlogs/\nz/*\n!z/keep.py\n")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    listed = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "--", "*.py"], cwd=tmp_path,
                            capture_output=True, text=True, check=True).stdout.split()
    assert checked(tfd(tmp_path, ".", "--format", "json").out) == set(listed)


def test_exclude_and_extend_exclude_flags(tfd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tree(tmp_path, "a/x.py", "b/y.py", "c/z.py", "build/w.py")
    assert checked(tfd(tmp_path, ".", "--format", "json", "--extend-exclude", "a,b").out) == {"c/z.py"}
    # --exclude replaces the defaults (build/ is one of them).
    assert checked(tfd(tmp_path, ".", "--format", "json", "--exclude", "a").out) == {"b/y.py", "c/z.py", "build/w.py"}


def test_force_exclude_applies_to_named_files(tfd, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    tree(tmp_path, "gen/x.py", "src/y.py")
    (tmp_path / "pyproject.toml").write_text('[tool.tfdetlint]\nextend-exclude = ["gen"]\n')
    assert checked(tfd(tmp_path, "gen/x.py", "src/y.py", "--format", "json").out) == {"gen/x.py", "src/y.py"}
    forced = tfd(tmp_path, "gen/x.py", "src/y.py", "--format", "json", "--force-exclude")
    assert checked(forced.out) == {"src/y.py"}
    (tmp_path / "pyproject.toml").write_text('[tool.tfdetlint]\nextend-exclude = ["gen"]\nforce-exclude = true\n')
    assert tfd(tmp_path, "gen/x.py", "-q").code == 0


def test_pre_commit_hooks_force_exclude() -> None:
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8")
    entries = [line.split(":", 1)[1].strip() for line in hooks.splitlines() if line.strip().startswith("entry:")]
    assert entries and all("--force-exclude" in entry for entry in entries)
