"""Issue 19's figures: the flake8 plugin against plain flake8, and single-file checks as an editor
or pre-commit runs them. A script, not a test; it prints a markdown table for RESULTS.md.

The trees are the pinned checkouts listed in ``../shared/corpus/`` (``large.txt`` names
``<tree>/<path>``); build them there first (see that folder's README), then::

    python benchmarks/editor.py --trees /tmp/corpus --plain-flake8 /tmp/f8/bin/flake8

Every figure is the CPU time (user + system) of the child processes, from ``resource``'s
``RUSAGE_CHILDREN``, and the wall time; each row is run ``--runs`` times and the minimum is kept
(the machine is shared: the least disturbed run is the closest to the cost of the work itself).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "corpus"
LINGVO_FILES = ("lingvo/core/py_utils_test.py", "lingvo/core/layers.py", "lingvo/core/base_model.py")


@dataclass(frozen=True)
class Timing:
    cpu: float
    wall: float


def timed(command: Sequence[str], cwd: Path, env: dict[str, str] | None = None) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return Timing(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, wall)


def best(command: Sequence[str], cwd: Path, runs: int, env: dict[str, str] | None = None,
         before_each: Sequence[Sequence[str]] = ()) -> Timing:
    results = []
    for _ in range(runs):
        for step in before_each:
            subprocess.run(step, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        results.append(timed(command, cwd, env))
    return min(results, key=lambda t: t.cpu)


def forget(cache: Path) -> list[str]:
    """A command that removes the tfdetlint cache folder of a tree (before a first-run figure)."""
    return [sys.executable, "-c", f"import shutil; shutil.rmtree({str(cache)!r}, ignore_errors=True)"]


def edit(path: Path) -> list[str]:
    """A command that changes a file as an editor's save does (its findings are no longer cached)."""
    return [sys.executable, "-c", f"open({str(path)!r}, 'a').write('# edited\\n')"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trees", type=Path, default=Path("/tmp/corpus"), help="folder holding the pinned trees")
    parser.add_argument("--plain-flake8", default=shutil.which("flake8") or "flake8",
                        help="a flake8 executable from an environment without tfdetlint")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--only", default="large,lingvo,single", help="rows: large, lingvo, single")
    args = parser.parse_args()
    rows = set(args.only.split(","))
    python = sys.executable
    plugin_flake8 = [python, "-m", "flake8", "--jobs", "1", "--isolated"]
    plain_flake8 = [args.plain_flake8, "--jobs", "1", "--isolated"]
    tfdetlint = [python, "-m", "tfdetlint", "check", "--isolated", "--exit-zero"]
    out = ["| run | CPU s | wall s | ratio |", "|---|---:|---:|---:|"]

    if "large" in rows:
        files = [line.strip() for line in (SHARED / "large.txt").read_text().splitlines() if line.strip()]
        cache = args.trees / ".tfdetlint_cache"
        plain = best([*plain_flake8, *files], args.trees, args.runs)
        plugin = best([*plugin_flake8, *files], args.trees, args.runs, before_each=[forget(cache)])
        again = best([*plugin_flake8, *files], args.trees, args.runs)
        check = best([*tfdetlint, "--no-cache", "--jobs", "1", *files], args.trees, args.runs)
        subprocess.run(forget(cache), check=False)
        out += [f"| LARGE ({len(files)} files): plain flake8 | {plain.cpu:.1f} | {plain.wall:.1f} | 1 |",
                f"| LARGE: flake8 + tfdetlint plugin, first run | {plugin.cpu:.1f} | {plugin.wall:.1f} | {plugin.cpu / plain.cpu:.2f} |",
                f"| LARGE: flake8 + plugin, summaries kept | {again.cpu:.1f} | {again.wall:.1f} | {again.cpu / plain.cpu:.2f} |",
                f"| LARGE: tfdetlint check --no-cache --jobs 1 | {check.cpu:.1f} | {check.wall:.1f} | {check.cpu / plain.cpu:.2f} |"]
    lingvo = args.trees / "lingvo"
    if "lingvo" in rows:
        cache = lingvo / ".tfdetlint_cache"
        plain = best([*plain_flake8, "lingvo/core"], lingvo, args.runs)
        plugin = best([*plugin_flake8, "lingvo/core"], lingvo, args.runs, before_each=[forget(cache)])
        again = best([*plugin_flake8, "lingvo/core"], lingvo, args.runs)
        check = best([*tfdetlint, "--no-cache", "--jobs", "1", "lingvo/core"], lingvo, args.runs)
        subprocess.run(forget(cache), check=False)
        out += [f"| lingvo/core: plain flake8 | {plain.cpu:.1f} | {plain.wall:.1f} | 1 |",
                f"| lingvo/core: flake8 + plugin, first run | {plugin.cpu:.1f} | {plugin.wall:.1f} | {plugin.cpu / plain.cpu:.2f} |",
                f"| lingvo/core: flake8 + plugin, summaries kept | {again.cpu:.1f} | {again.wall:.1f} | {again.cpu / plain.cpu:.2f} |",
                f"| lingvo/core: tfdetlint check --no-cache | {check.cpu:.1f} | {check.wall:.1f} | {check.cpu / plain.cpu:.2f} |"]
    if "single" in rows:
        cache = lingvo / ".tfdetlint_cache"
        for name in LINGVO_FILES:
            original = (lingvo / name).read_bytes()
            try:
                cold = best([*tfdetlint, "--no-cache", name], lingvo, max(args.runs, 3))
                warm = best([*tfdetlint, name], lingvo, max(args.runs, 3), before_each=[[*tfdetlint, name]])
                # As on save in an editor: the file changed, the project's summaries are kept.
                edited = best([*tfdetlint, name], lingvo, max(args.runs, 3),
                              before_each=[[*tfdetlint, name], edit(lingvo / name)])
            finally:
                (lingvo / name).write_bytes(original)
            out += [f"| lingvo `{name}` cold (--no-cache) | {cold.cpu:.2f} | {cold.wall:.2f} | |",
                    f"| lingvo `{name}` warm (cache) | {warm.cpu:.2f} | {warm.wall:.2f} | |",
                    f"| lingvo `{name}` edited (summaries kept) | {edited.cpu:.2f} | {edited.wall:.2f} | |"]
        shutil.rmtree(cache, ignore_errors=True)
    print("\n".join(out))
    print(f"\n(cores: {os.cpu_count()}; CPU = user + system of the child processes; minimum of {args.runs} run(s))")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
