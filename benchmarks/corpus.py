"""Build the benchmark corpus from pinned PyPI wheels of real TensorFlow code.

Usage::

    python benchmarks/corpus.py              # src/ plus x2/ and x4/ (copies for scaling)
    python benchmarks/corpus.py --copies 8   # src/ plus x8/ only

Wheels go to ``benchmarks/corpus/dl``; only ``.py`` members are extracted, to
``benchmarks/corpus/src/<package>/...``.  Every step is idempotent: an existing
wheel is not downloaded again and a finished unpack or copy (marked by a
``.complete`` file) is not redone.  ``benchmarks/corpus/`` is git-ignored.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
DL = CORPUS / "dl"
SRC = CORPUS / "src"
MARKER = ".complete"
DEFAULT_COPIES = (2, 4)  # 1x is src itself

# Pinned: change a pin and the corpus (and every number in RESULTS.md) changes.
PACKAGES: tuple[tuple[str, str], ...] = (
    ("tf-models-official", "2.20.0"),
    ("keras-hub", "0.32.0"),
    ("tensorflow-datasets", "4.9.10"),  # newest on PyPI when pinned (pip index versions)
)


def wheel_stem(name: str) -> str:
    """The distribution name as it appears in a wheel file name (PEP 427)."""
    return re.sub(r"[-_.]+", "_", name).lower()


def find_wheel(name: str, version: str) -> Path | None:
    for path in sorted(DL.glob("*.whl")):
        dist, _, rest = path.name.partition("-")
        if dist.lower() == wheel_stem(name) and rest.startswith(f"{version}-"):
            return path
    return None


def download(name: str, version: str) -> Path:
    existing = find_wheel(name, version)
    if existing is not None:
        print(f"  have   {existing.name}")
        return existing
    DL.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "-q", "-d", str(DL), f"{name}=={version}",
    ]
    print(f"  fetch  {name}=={version}")
    subprocess.run(cmd, check=True)
    wheel = find_wheel(name, version)
    if wheel is None:
        raise SystemExit(f"pip download of {name}=={version} produced no wheel in {DL}")
    return wheel


def unpack(wheel: Path, dest: Path) -> None:
    """Extract only the ``.py`` members of *wheel* (no dist-info, no data files)."""
    if (dest / MARKER).exists():
        print(f"  have   {dest.relative_to(HERE)}")
        return
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    with zipfile.ZipFile(wheel) as zf:
        for info in zf.infolist():
            if info.is_dir() or not info.filename.endswith(".py"):
                continue
            target = dest / info.filename
            if dest.resolve() not in target.resolve().parents:  # no path traversal
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(zf.read(info))
    (dest / MARKER).touch()
    print(f"  unpack {wheel.name} -> {dest.relative_to(HERE)}")


def make_copies(n: int) -> Path:
    """``corpus/x{n}/c{i}/...`` holding *n* copies of ``corpus/src``."""
    root = CORPUS / f"x{n}"
    if (root / MARKER).exists():
        print(f"  have   {root.relative_to(HERE)}")
        return root
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    ignore = shutil.ignore_patterns(MARKER)
    for i in range(n):
        shutil.copytree(SRC, root / f"c{i}", ignore=ignore)
    (root / MARKER).touch()
    print(f"  copy   {n}x src -> {root.relative_to(HERE)}")
    return root


def py_files(root: Path) -> Iterator[Path]:
    return (p for p in sorted(root.rglob("*.py")) if p.is_file())


def count(root: Path) -> tuple[int, int]:
    files = lines = 0
    for path in py_files(root):
        files += 1
        lines += path.read_bytes().count(b"\n")
    return files, lines


def report(root: Path) -> None:
    for sub in sorted(p for p in root.iterdir() if p.is_dir()):
        files, lines = count(sub)
        print(f"  {sub.name:<24} {files:>6} files {lines:>9} lines")
    files, lines = count(root)
    print(f"  {'total ' + root.name:<24} {files:>6} files {lines:>9} lines")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--copies", type=int, action="append", metavar="N",
                    help="build corpus/xN with N copies of src (repeatable; default: 2 and 4,"
                    " the scaling rows of run.py)")
    args = ap.parse_args(argv)
    if args.copies is None:
        args.copies = list(DEFAULT_COPIES)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    print(f"corpus: {CORPUS}")
    for name, version in PACKAGES:
        unpack(download(name, version), SRC / name)
    for n in args.copies:
        if n < 1:
            raise SystemExit("--copies must be >= 1")
        make_copies(n)
    print("src:")
    report(SRC)
    for n in args.copies:
        files, lines = count(CORPUS / f"x{n}")
        print(f"x{n}: {files} files {lines} lines")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
