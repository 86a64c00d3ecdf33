"""How many corpus files would a byte pre-filter let through?

For every ``.py`` file under the corpus (default ``benchmarks/corpus/src``),
check whether its raw bytes contain any of NEEDLES.  A file that contains none
of them cannot trigger a rule keyed on those names, so a linter could skip
parsing it.  Prints the overall fraction of files (and lines) that contain at
least one needle, then the per-needle fraction, as Markdown.  "Files with no
other needle" is how many more files the filter would skip if that needle were
dropped from the list.

    python benchmarks/count_prefilter.py [PATH] [--per-package]
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_ROOT = HERE / "corpus" / "src"

NEEDLES: tuple[bytes, ...] = (
    b"__main__", b".fit(", b"apply_gradients", b"GradientTape", b"Session(",
    b"deterministic", b"sloppy", b"default_rng", b"RandomState", b"Random(",
    b"from_non_deterministic_state", b"get_global_generator", b"bincount",
    b"crop_and_resize", b"sparse_dense_matmul", b"adjust_contrast", b"scatter",
    b"segment_", b"timestamp", b"num_parallel_calls", b"time.time", b"urandom", b"uuid",
)


@dataclass
class Tally:
    files: int = 0
    lines: int = 0
    size: int = 0
    hit_files: int = 0
    hit_lines: int = 0
    hit_size: int = 0
    per_needle: Counter[bytes] = field(default_factory=Counter)
    only_needle: Counter[bytes] = field(default_factory=Counter)

    def add(self, data: bytes) -> None:
        lines = data.count(b"\n")
        self.files += 1
        self.lines += lines
        self.size += len(data)
        found = [n for n in NEEDLES if n in data]
        self.per_needle.update(found)
        if len(found) == 1:
            self.only_needle[found[0]] += 1
        if found:
            self.hit_files += 1
            self.hit_lines += lines
            self.hit_size += len(data)


def pct(part: int, whole: int) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "n/a"


def tally(root: Path) -> Tally:
    t = Tally()
    for path in sorted(root.rglob("*.py")):
        if path.is_file():
            t.add(path.read_bytes())
    return t


def print_overall(name: str, t: Tally) -> None:
    print(f"| {name} | {t.files} | {t.hit_files} | {pct(t.hit_files, t.files)} "
          f"| {pct(t.hit_lines, t.lines)} | {pct(t.hit_size, t.size)} |")


def print_needles(t: Tally) -> None:
    print("| Needle | Files containing it | % of files | Files with no other needle |")
    print("|---|---:|---:|---:|")
    for needle in sorted(NEEDLES, key=lambda n: (-t.per_needle[n], n)):
        hits = t.per_needle[needle]
        only = t.only_needle[needle]
        print(f"| `{needle.decode()}` | {hits} | {pct(hits, t.files)} | {only} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("root", nargs="?", type=Path, default=DEFAULT_ROOT)
    ap.add_argument("--per-package", action="store_true",
                    help="also one overall row per top-level directory")
    args = ap.parse_args(argv)
    root: Path = args.root
    if not root.is_dir():
        raise SystemExit(f"{root}: not a directory (run benchmarks/corpus.py first)")
    total = tally(root)
    print(f"Corpus: {root} ({len(NEEDLES)} needles, any-match)\n")
    print("| Set | Files | Files with any needle | % files | % lines | % bytes |")
    print("|---|---:|---:|---:|---:|---:|")
    if args.per_package:
        for sub in sorted(p for p in root.iterdir() if p.is_dir()):
            print_overall(sub.name, tally(sub))
    print_overall("all", total)
    print()
    print_needles(total)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
