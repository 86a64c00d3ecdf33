"""Does ``check``'s fixable count equal what ``--fix`` applies, file by file, on a corpus?

For every file in the list, in memory (nothing is written): check it, apply one ``--fix`` pass
(and one ``--fix --unsafe-fixes`` pass) to the findings the check reported, and compare the
number of findings marked fixable at that level with the number the pass applied. Prints the
totals and every file where they differ, or where fixing failed.

    python benchmarks/fix_agreement.py /tmp/corpus /work/shared/corpus/small.txt [more lists]
"""

from __future__ import annotations

import sys
from pathlib import Path

from tfdetlint.engine import check_bytes
from tfdetlint.fix.fixer import FixError, fix_bytes
from tfdetlint.options import Options


def agree(root: Path, lists: list[Path]) -> int:
    files = [root / line.strip() for listed in lists for line in listed.read_text().splitlines() if line.strip()]
    totals = {"files": 0, "fixable safe": 0, "applied safe": 0, "fixable any": 0, "applied any": 0,
              "refused": 0}
    problems: list[str] = []
    for path in files:
        raw = path.read_bytes()
        findings = check_bytes(raw, str(path), Options())
        if not any(f.fix is not None for f in findings):
            continue
        totals["files"] += 1
        for unsafe, key in ((False, "safe"), (True, "any")):
            levels = {"safe", "unsafe"} if unsafe else {"safe"}
            fixable = sum(1 for f in findings if f.fixable in levels)
            try:
                applied = len(fix_bytes(raw, str(path), findings, 42, unsafe).outcome.applied)
            except FixError as exc:
                totals["refused"] += 1
                problems.append(f"{path}: cannot fix: {exc}")
                break
            totals[f"fixable {key}"] += fixable
            totals[f"applied {key}"] += applied
            if fixable != applied:
                problems.append(f"{path}: {key}: {fixable} marked fixable, {applied} applied")
    for name, value in totals.items():
        print(f"{name}: {value}")
    for line in problems:
        print(line)
    return 1 if any("marked fixable" in p for p in problems) else 0


if __name__ == "__main__":
    raise SystemExit(agree(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]]))
