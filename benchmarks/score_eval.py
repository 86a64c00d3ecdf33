"""Score tfdetlint against the hand-labelled evaluation set in tests/data/eval/labels.tsv.

For each repository in the labels, the labelled files are written out at their labelled commit
into a temporary tree that keeps the repository's layout, together with a bounded set of the
repository's other ``.py`` files at the same commit (the labelled files' folders, their parent
folders and their top-level package) so that project helpers resolve. tfdetlint then runs from
that repository folder::

    python -m tfdetlint --format json --no-cache --exit-zero LABELLED_FILES

Matching rule: a finding matches a labelled site when it has the same path and code and its line
is within MATCH_TOLERANCE (1) lines of the labelled line (in a notebook: same cell, line within 1).
A finding that could match several sites goes to the nearest one (a hazard wins a tie). Then, per
site: a ``hazard`` site with a finding is a true positive (TP), without one a false negative (FN);
a ``clean`` site with a finding is a false positive (FP). Findings in labelled files that match no
labelled site are not counted; they are listed as "unlabelled: review".

The repositories come from the bare mirrors under /work/.mirror (``owner+name/repo``, or
``owner+name/repo/.git``), fetched beforehand; the script stops with a message naming any that
is missing.

    python benchmarks/score_eval.py                 # markdown table
    python benchmarks/score_eval.py --json          # machine-readable result
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
LABELS = ROOT / "tests" / "data" / "eval" / "labels.tsv"
MIRRORS = Path("/work/.mirror")
MATCH_TOLERANCE = 1
MAX_HELPER_FILES = 400  # per repository, besides the labelled files
FAMILIES = ("rng", "ops", "shuffle", "order", "setup")


@dataclass(frozen=True)
class Site:
    repo: str
    commit: str
    path: str
    cell: int | None
    line: int
    code: str
    label: str
    family: str
    note: str


@dataclass(frozen=True)
class Found:
    repo: str
    path: str
    cell: int | None
    line: int
    code: str
    message: str


@dataclass
class Tally:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


@dataclass
class Result:
    families: dict[str, Tally] = field(default_factory=dict)
    codes: dict[str, Tally] = field(default_factory=dict)
    outcomes: list[tuple[Site, str]] = field(default_factory=list)  # (site, TP/FN/FP/TN)
    unlabelled: list[Found] = field(default_factory=list)


def read_labels(path: Path) -> list[Site]:
    sites = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            cell, line = parse_line(row["line"])
            sites.append(
                Site(
                    row["repo"],
                    row["commit"],
                    row["path"],
                    cell,
                    line,
                    row["code"],
                    row["label"],
                    row["family"],
                    row["note"],
                )
            )
    return sites


def parse_line(text: str) -> tuple[int | None, int]:
    """``"12"`` -> (None, 12); a notebook's ``"7:3"`` -> (7, 3)."""
    if ":" in text:
        cell, line = text.split(":", 1)
        return int(cell), int(line)
    return None, int(text)


def mirror_of(repo: str, mirrors: Path) -> Path:
    """The bare git directory of ``owner/name`` under ``mirrors``."""
    base = mirrors / repo.replace("/", "+") / "repo"
    for candidate in (base / ".git", base):
        if (candidate / "HEAD").is_file():
            return candidate
    raise SystemExit(
        f"score_eval: no mirror of {repo} under {mirrors} (expected {base}); "
        f"fetch github:{repo} first"
    )


def git(git_dir: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(git_dir), *args], check=True, capture_output=True, text=True
    ).stdout


def read_blobs(git_dir: Path, commit: str, paths: Sequence[str]) -> dict[str, bytes]:
    """Contents of ``paths`` at ``commit`` through one ``git cat-file --batch``."""
    request = "".join(f"{commit}:{p}\n" for p in paths).encode()
    out = subprocess.run(
        ["git", "--git-dir", str(git_dir), "cat-file", "--batch"],
        input=request,
        check=True,
        capture_output=True,
    ).stdout
    blobs: dict[str, bytes] = {}
    pos = 0
    for path in paths:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) < 3 or header[1] != b"blob":
            continue
        size = int(header[2])
        blobs[path] = out[pos : pos + size]
        pos += size + 1
    return blobs


def helper_files(tree: Iterable[str], labelled: set[str]) -> list[str]:
    """The repository's other .py files that let project imports resolve, nearest first, bounded."""
    folders = {PurePosixPath(p).parent for p in labelled}
    near = set(folders)
    for folder in folders:
        near.update(folder.parents)
    tops = {PurePosixPath(p).parts[0] for p in labelled if len(PurePosixPath(p).parts) > 1}

    def rank(path: str) -> tuple[int, int, str]:
        pure = PurePosixPath(path)
        if pure.parent in folders:
            return (0, len(pure.parts), path)
        if pure.parent in near:
            return (1, len(pure.parts), path)
        return (2, len(pure.parts), path)

    candidates = [
        p
        for p in tree
        if p.endswith(".py")
        and p not in labelled
        and (PurePosixPath(p).parent in near or PurePosixPath(p).parts[0] in tops)
    ]
    return sorted(candidates, key=rank)[:MAX_HELPER_FILES]


def materialise(repo: str, commit: str, paths: set[str], mirrors: Path, into: Path) -> None:
    git_dir = mirror_of(repo, mirrors)
    tree = git(git_dir, "ls-tree", "-r", "--name-only", commit).splitlines()
    missing = sorted(paths - set(tree))
    if missing:
        raise SystemExit(f"score_eval: {repo}@{commit[:12]} has no {', '.join(missing)}")
    wanted = sorted(paths) + helper_files(tree, paths)
    for path, data in read_blobs(git_dir, commit, wanted).items():
        target = into / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    # Marks the repository folder as the project root for tfdetlint's import resolution.
    (into / "pyproject.toml").write_text(
        "# written by benchmarks/score_eval.py\n", encoding="utf-8"
    )


def run_tfdetlint(repo: str, folder: Path, paths: Sequence[str], python: str) -> list[Found]:
    command = [python, "-m", "tfdetlint", "--format", "json", "--no-cache", "--exit-zero", *paths]
    # Score this checkout's tfdetlint, whatever else the interpreter has installed.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(
            f"score_eval: tfdetlint failed on {repo} (exit {done.returncode}):\n"
            f"{done.stderr[-2000:]}"
        )
    found = []
    for item in json.loads(done.stdout):
        path = Path(item["path"])
        relative = path.resolve().relative_to(folder.resolve()) if path.is_absolute() else path
        found.append(
            Found(
                repo,
                relative.as_posix(),
                item.get("cell"),
                int(item["line"]),
                item["code"],
                item["message"],
            )
        )
    return found


def match(sites: Sequence[Site], findings: Sequence[Found]) -> Result:
    by_place: dict[tuple[str, str, int | None, str], list[Site]] = {}
    for site in sites:
        by_place.setdefault((site.repo, site.path, site.cell, site.code), []).append(site)
    hits: dict[Site, int] = {}
    result = Result()
    for finding in findings:
        near = [
            s
            for s in by_place.get((finding.repo, finding.path, finding.cell, finding.code), [])
            if abs(s.line - finding.line) <= MATCH_TOLERANCE
        ]
        if not near:
            result.unlabelled.append(finding)
            continue
        best = min(near, key=lambda s: (abs(s.line - finding.line), s.label != "hazard"))
        hits[best] = hits.get(best, 0) + 1
    for site in sites:
        fam = result.families.setdefault(site.family, Tally())
        per_code = result.codes.setdefault(site.code, Tally())
        if site.label == "hazard":
            outcome = "TP" if site in hits else "FN"
        else:
            outcome = "FP" if site in hits else "TN"
        for tally in (fam, per_code):
            if outcome == "TP":
                tally.tp += 1
            elif outcome == "FN":
                tally.fn += 1
            elif outcome == "FP":
                tally.fp += 1
        result.outcomes.append((site, outcome))
    return result


def score(sites: Sequence[Site], mirrors: Path, python: str) -> Result:
    findings: list[Found] = []
    by_repo: dict[tuple[str, str], set[str]] = {}
    for site in sites:
        by_repo.setdefault((site.repo, site.commit), set()).add(site.path)
    for repo, _ in by_repo:
        mirror_of(repo, mirrors)  # every mirror must be there before any work starts
    with tempfile.TemporaryDirectory(prefix="tfdetlint-eval-") as tmp:
        for (repo, commit), paths in sorted(by_repo.items()):
            folder = Path(tmp) / repo.replace("/", "+") / commit[:12]
            materialise(repo, commit, paths, mirrors, folder)
            findings.extend(run_tfdetlint(repo, folder, sorted(paths), python))
    return match(sites, findings)


def ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def total(tallies: Iterable[Tally]) -> Tally:
    out = Tally()
    for t in tallies:
        out.tp, out.fp, out.fn = out.tp + t.tp, out.fp + t.fp, out.fn + t.fn
    return out


def markdown(result: Result, sites: Sequence[Site], by_code: bool) -> str:
    hazards = {f: sum(1 for s in sites if s.family == f and s.label == "hazard") for f in FAMILIES}
    cleans = {f: sum(1 for s in sites if s.family == f and s.label == "clean") for f in FAMILIES}
    lines = [
        "| family | hazard sites | clean sites | TP | FP | FN | precision | recall |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for fam in FAMILIES:
        t = result.families.get(fam, Tally())
        lines.append(
            f"| {fam} | {hazards[fam]} | {cleans[fam]} | {t.tp} | {t.fp} | {t.fn} | "
            f"{ratio(t.precision)} | {ratio(t.recall)} |"
        )
    t = total(result.families.values())
    lines.append(
        f"| all | {sum(hazards.values())} | {sum(cleans.values())} | {t.tp} | {t.fp} | "
        f"{t.fn} | {ratio(t.precision)} | {ratio(t.recall)} |"
    )
    if by_code:
        lines += [
            "",
            "| code | TP | FP | FN | precision | recall |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for code, t in sorted(result.codes.items()):
            lines.append(
                f"| {code} | {t.tp} | {t.fp} | {t.fn} | {ratio(t.precision)} | {ratio(t.recall)} |"
            )
    lines.append("")
    lines.append(
        f"unlabelled: review ({len(result.unlabelled)} findings in labelled files at no "
        "labelled site)"
    )
    for f in sorted(result.unlabelled, key=lambda f: (f.repo, f.path, f.cell or 0, f.line, f.code)):
        where = f"cell {f.cell}:{f.line}" if f.cell is not None else str(f.line)
        lines.append(f"- {f.repo} {f.path}:{where} {f.code}")
    return "\n".join(lines)


def as_json(result: Result) -> str:
    def tally(t: Tally) -> dict[str, object]:
        return {"tp": t.tp, "fp": t.fp, "fn": t.fn, "precision": t.precision, "recall": t.recall}

    return json.dumps(
        {
            "match_tolerance": MATCH_TOLERANCE,
            "families": {f: tally(result.families.get(f, Tally())) for f in FAMILIES},
            "all": tally(total(result.families.values())),
            "codes": {c: tally(t) for c, t in sorted(result.codes.items())},
            "sites": [{**asdict(site), "outcome": outcome} for site, outcome in result.outcomes],
            "unlabelled": [asdict(f) for f in result.unlabelled],
        },
        indent=2,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--mirrors", type=Path, default=MIRRORS)
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter that has tfdetlint importable (default: this one)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--by-code", action="store_true", help="add a table per rule code")
    args = parser.parse_args(argv)
    sites = read_labels(args.labels)
    result = score(sites, args.mirrors, args.python)
    print(as_json(result) if args.json else markdown(result, sites, args.by_code))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
