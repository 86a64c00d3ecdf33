"""Benchmark tfdetlint against flake8 and ruff on the corpus (a script, not a test).

    python benchmarks/corpus.py && python benchmarks/run.py [--runs 3] [--targets]

Every row starts a fresh child process per run and measures it with
``os.wait4``: CPU = ru_utime + ru_stime of the child *and its reaped
descendants* (Linux folds waited-for grandchildren into the child's rusage, so
``--jobs 2`` workers are counted); peak RSS = ru_maxrss, which for a process
tree is the max of ONE process, not a sum.  A ``/proc`` sampler thread (every
50 ms) additionally records the peak of the summed RSS of the whole tree
("sum RSS") and the CPU it saw per process, as a cross-check that no worker
escaped ``wait4`` (a warning is printed if it did).  The table shows medians.

Tools are taken from the bin dir of the interpreter running this script, so
``/path/to/venv/bin/python benchmarks/run.py`` benchmarks that venv's tools.
Rows whose tool is missing are skipped with a note.  See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"
OUT = HERE / "out"
BIN = Path(sys.executable).parent
FLAKE8_PLAIN_VENV = OUT / "venv-flake8-plain"
FLAKE8_DEPS = ("flake8", "pyflakes", "pycodestyle", "mccabe")
DISABLE_ENV = "TFDETLINT_FLAKE8_DISABLE"
OK_CODES = (0, 1)  # without --exit-zero, exit 1 means findings, not failure
PAGE = os.sysconf("SC_PAGE_SIZE")
RULE_LINE = re.compile(r"^\s*[\w-]+ \([A-Z]+[0-9]+\),?$", re.MULTILINE)
TICK = os.sysconf("SC_CLK_TCK")

# --------------------------------------------------------------------- measuring


@dataclass
class Sample:
    cpu: float  # user+sys of the child tree, s (wait4)
    wall: float  # s
    maxrss_mb: float  # wait4 ru_maxrss: largest single process of the tree
    sum_rss_mb: float  # /proc sampler: peak of the summed RSS of the live tree
    procs: int  # most processes seen at once by the sampler
    sampled_cpu: float  # /proc sampler: CPU it saw per process, summed (cross-check)
    rc: int
    out_lines: int
    tfd_lines: int  # output lines carrying a TFD code (is the flake8 plugin alive?)


class TreeSampler(threading.Thread):
    """Polls /proc for the process tree under *root* until stopped."""

    def __init__(self, root: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.interval = interval
        self.stop_event = threading.Event()
        self.peak_rss = 0
        self.peak_procs = 0
        self.cpu_ticks: dict[int, int] = {}

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.sample()
            self.stop_event.wait(self.interval)

    def sample(self) -> None:
        pids = tree(self.root)
        rss = 0
        for pid in pids:
            rss += read_rss(pid)
            ticks = read_ticks(pid)
            if ticks is not None:
                self.cpu_ticks[pid] = max(ticks, self.cpu_ticks.get(pid, 0))
        self.peak_rss = max(self.peak_rss, rss)
        self.peak_procs = max(self.peak_procs, len(pids))

    def stop(self) -> None:
        self.stop_event.set()
        self.join()


def read_text(path: str) -> str:
    try:
        with open(path) as fh:
            return fh.read()
    except OSError:  # process gone
        return ""


def tree(root: int) -> list[int]:
    """*root* and its live descendants, via /proc/PID/task/TID/children."""
    todo, seen = [root], []
    while todo:
        pid = todo.pop()
        seen.append(pid)
        for tid in list_dir(f"/proc/{pid}/task"):
            todo.extend(int(c) for c in read_text(f"/proc/{pid}/task/{tid}/children").split())
    return seen


def list_dir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def read_rss(pid: int) -> int:
    fields = read_text(f"/proc/{pid}/statm").split()
    return int(fields[1]) * PAGE if len(fields) > 1 else 0


def read_ticks(pid: int) -> int | None:
    stat = read_text(f"/proc/{pid}/stat")
    if not stat:
        return None
    fields = stat.rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15 of stat)


def count_output(path: Path) -> tuple[int, int]:
    lines = tfd = 0
    with path.open("rb") as fh:
        for line in fh:
            lines += 1
            tfd += b" TFD" in line
    return lines, tfd


def measure(cmd: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[Sample, str]:
    """Run *cmd* once as a fresh child; returns the sample and the stderr tail."""
    with tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile() as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(list(cmd), cwd=cwd, env=env, stdout=out, stderr=err)
        sampler = TreeSampler(proc.pid)
        sampler.start()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped
        err.seek(0)
        err_tail = err.read()[-2000:].decode(errors="replace")
        out_lines, tfd = count_output(Path(out.name))
    sample = Sample(
        cpu=ru.ru_utime + ru.ru_stime,
        wall=wall,
        maxrss_mb=ru.ru_maxrss / 1024,
        sum_rss_mb=sampler.peak_rss / 2**20,
        procs=sampler.peak_procs,
        sampled_cpu=sum(sampler.cpu_ticks.values()) / TICK,
        rc=proc.returncode,
        out_lines=out_lines,
        tfd_lines=tfd,
    )
    return sample, err_tail


# --------------------------------------------------------------------- rows


@dataclass
class Row:
    key: str
    label: str
    cmd: list[str]
    path: Path
    files: int = 0
    env: dict[str, str] = field(default_factory=dict)
    prime: bool = False  # run once unmeasured first (warm cache row)
    ok_codes: tuple[int, ...] = (0,)  # set in build_rows: (0,) under --exit-zero
    samples: list[Sample] = field(default_factory=list)
    skipped: str = ""
    failed: str = ""
    notes: list[str] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return float(statistics.median(float(getattr(s, attr)) for s in self.samples))

    @property
    def ok(self) -> bool:
        return bool(self.samples) and not self.failed


@dataclass
class Context:
    src: Path
    runs: int
    plain_mode: str
    cache_dir: Path
    started: str = field(default_factory=lambda: machine())
    load_before: str = field(default_factory=lambda: loadavg())
    tools_before: str = field(default_factory=lambda: versions())
    notes: list[str] = field(default_factory=list)


def tool(name: str) -> Path | None:
    path = BIN / name
    return path if path.exists() else None


def count_files(root: Path) -> int:
    """Counts .py files and reads them all, so every row starts with a warm page cache."""
    n = 0
    for path in root.rglob("*.py"):
        if path.is_file():
            path.read_bytes()
            n += 1
    return n


def tfd_plugin_installed() -> bool:
    eps = metadata.entry_points(group="flake8.extension")
    return any(ep.value.startswith("tfdetlint") for ep in eps)


def tfd_check_flags(exe: Path) -> list[str]:
    """``--exit-zero`` (else exit 1 is accepted) and ``--isolated`` (no config files, as
    for flake8 and ruff), each only if this tfdetlint build knows it."""
    res = subprocess.run([str(exe), "check", "--help"], capture_output=True, text=True)
    text = res.stdout + res.stderr
    return [flag for flag in ("--exit-zero", "--isolated") if flag in text]


def tfd_rows(ctx: Context) -> list[Row]:
    exe = tool("tfdetlint")
    names = [("cold", "tfdetlint cold"), ("jobs2", "tfdetlint cold --jobs 2"),
             ("warm", "tfdetlint warm"), ("scale2", "tfdetlint cold, 2x corpus"),
             ("scale4", "tfdetlint cold, 4x corpus")]
    if exe is None:
        why = f"not installed: no {BIN / 'tfdetlint'}"
        return [Row(k, label, [], ctx.src, skipped=why) for k, label in names]
    base = [str(exe), "check", "--quiet", *tfd_check_flags(exe)]
    cold = [*base, "--no-cache", "--jobs", "1"]
    rows = [
        Row("cold", names[0][1], [*cold, str(ctx.src)], ctx.src),
        Row("jobs2", names[1][1], [*base, "--no-cache", "--jobs", "2", str(ctx.src)], ctx.src),
        Row("warm", names[2][1],
            [*base, "--jobs", "1", "--cache-dir", str(ctx.cache_dir), str(ctx.src)],
            ctx.src, prime=True),
    ]
    return rows + [scale_row(ctx, key, label, n, cold)
                   for n, (key, label) in ((2, names[3]), (4, names[4]))]


def scale_row(ctx: Context, key: str, label: str, n: int, cold: list[str]) -> Row:
    root = CORPUS / f"x{n}"
    if ctx.src != (CORPUS / "src").resolve():
        return Row(key, label, [], root, skipped="scaling rows need the default --corpus")
    if not root.is_dir():
        return Row(key, label, [], root,
                   skipped=f"no {root} (python benchmarks/corpus.py --copies {n})")
    return Row(key, label, [*cold, str(root)], root)


def flake8_cmd(exe: Path, path: Path) -> list[str]:
    # --isolated: no config files from the repo or the user leak into the numbers.
    return [str(exe), "-j1", "--isolated", "--exit-zero", str(path)]


def flake8_rows(ctx: Context) -> list[Row]:
    exe = tool("flake8")
    if exe is None:
        why = f"not installed: no {BIN / 'flake8'}"
        return [Row("flake8", "flake8 (plain)", [], ctx.src, skipped=why),
                Row("plugin", "flake8 + tfdetlint plugin", [], ctx.src, skipped=why)]
    if not tfd_plugin_installed():
        plain = Row("flake8", "flake8 (plain)", flake8_cmd(exe, ctx.src), ctx.src)
        plain.notes.append("this venv has no tfdetlint plugin, so its flake8 is the plain one")
        skip = Row("plugin", "flake8 + tfdetlint plugin", [], ctx.src,
                   skipped="not installed: no flake8.extension entry point from tfdetlint")
        return [plain, skip]
    plugin = Row("plugin", "flake8 + tfdetlint plugin", flake8_cmd(exe, ctx.src), ctx.src)
    return [plain_flake8_row(ctx, exe), plugin]


def plain_flake8_row(ctx: Context, exe: Path) -> Row:
    if ctx.plain_mode == "venv":
        venv_exe = ensure_plain_venv()
        if venv_exe is not None:
            row = Row("flake8", "flake8 (plain)", flake8_cmd(venv_exe, ctx.src), ctx.src)
            pins = (FLAKE8_PLAIN_VENV / ".pins").read_text()
            row.notes.append(f"separate venv without tfdetlint: {FLAKE8_PLAIN_VENV} ({pins})")
            extra = other_flake8_plugins()
            if extra:
                ctx.notes.append(f"the plain-flake8 venv also lacks these plugins: {extra}")
            return row
        ctx.notes.append("could not build the plain-flake8 venv; fell back to the env var")
    row = Row("flake8", "flake8 (plain)", flake8_cmd(exe, ctx.src), ctx.src,
              env={DISABLE_ENV: "1"})
    row.notes.append(f"same flake8 with {DISABLE_ENV}=1 (plugin still imported, returns at once)")
    return row


def other_flake8_plugins() -> list[str]:
    """flake8 extensions in this venv that are neither flake8's own nor tfdetlint's."""
    eps = metadata.entry_points(group="flake8.extension")
    own = ("flake8.", "pyflakes", "pycodestyle", "mccabe", "tfdetlint")
    return sorted(ep.value for ep in eps if not ep.value.startswith(own))


def ensure_plain_venv() -> Path | None:
    """A venv on this interpreter with the same flake8 stack as this one, minus tfdetlint."""
    pins = [f"{d}=={metadata.version(d)}" for d in FLAKE8_DEPS]
    stamp = FLAKE8_PLAIN_VENV / ".pins"
    exe = FLAKE8_PLAIN_VENV / "bin" / "flake8"
    if exe.exists() and stamp.exists() and stamp.read_text() == " ".join(pins):
        return exe
    print(f"building {FLAKE8_PLAIN_VENV} with {' '.join(pins)} ...", file=sys.stderr)
    try:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(FLAKE8_PLAIN_VENV)],
                       check=True)
        py = FLAKE8_PLAIN_VENV / "bin" / "python"
        subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        *pins], check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        print(f"plain-flake8 venv failed: {exc}", file=sys.stderr)
        return None
    stamp.write_text(" ".join(pins))
    return exe


def ruff_rows(ctx: Context) -> list[Row]:
    exe = tool("ruff")
    labels = [("ruff-efw", "ruff check --select E,F,W"), ("ruff", "ruff check (default rules)")]
    if exe is None:
        return [Row(k, lab, [], ctx.src, skipped=f"not installed: no {BIN / 'ruff'}")
                for k, lab in labels]
    # --isolated: ruff's own defaults, not the [tool.ruff] of this repo's pyproject.toml.
    # concise: one line per finding, like flake8 (the default "full" format renders snippets).
    base = [str(exe), "check", "--isolated", "--no-cache", "--exit-zero",
            "--output-format", "concise"]
    rows = [Row("ruff-efw", labels[0][1], [*base, "--select", "E,F,W", str(ctx.src)], ctx.src),
            Row("ruff", labels[1][1], [*base, str(ctx.src)], ctx.src)]
    for row, select in zip(rows, (["--select", "E,F,W"], []), strict=True):
        row.notes.append("multi-threaded (uses every core); CPU is all threads")
        row.notes.append(f"{ruff_rule_count(exe, ctx.src, select)} rules enabled")
    return rows


def ruff_rule_count(exe: Path, src: Path, select: list[str]) -> int | str:
    """How many rules ruff enables for the first corpus file (from --show-settings)."""
    first = next(iter(sorted(src.rglob("*.py"))), None)
    if first is None:
        return "?"
    res = subprocess.run([str(exe), "check", "--isolated", *select, "--show-settings",
                          str(first)], capture_output=True, text=True)
    block = res.stdout.partition("linter.rules.enabled = [")[2].partition("]")[0]
    return len(RULE_LINE.findall(block)) if block else "?"


ROW_BUILDERS: tuple[Callable[[Context], list[Row]], ...] = (flake8_rows, ruff_rows, tfd_rows)
ALL_KEYS = ("flake8", "plugin", "ruff-efw", "ruff", "cold", "jobs2", "warm", "scale2", "scale4")


# --------------------------------------------------------------------- running


def child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != DISABLE_ENV}
    env.update(extra)
    return env


def running_procs() -> int:
    """Runnable tasks on the machine right now (4th field of /proc/loadavg), minus us."""
    fields = read_text("/proc/loadavg").split()
    return int(fields[3].split("/")[0]) - 1 if len(fields) > 3 else 0


def wait_idle(limit: float) -> None:
    """Wait up to *limit* s until nothing else is runnable for 1 s (10 samples)."""
    deadline, quiet = time.monotonic() + limit, 0
    while time.monotonic() < deadline and quiet < 10:
        quiet = quiet + 1 if running_procs() == 0 else 0
        time.sleep(0.1)


def run_once(row: Row, label: str, idle_wait: float) -> Sample | None:
    """One measured run of *row*; marks the row failed (and returns None) on a bad exit."""
    wait_idle(idle_wait)
    sample, err = measure(row.cmd, row.path, child_env(row.env))
    print(f"   {row.label:<28} {label:<6} cpu {sample.cpu:7.2f}s wall {sample.wall:7.2f}s "
          f"rss {sample.maxrss_mb:5.0f}MB sum {sample.sum_rss_mb:5.0f}MB "
          f"rc {sample.rc} out {sample.out_lines}", file=sys.stderr)
    if sample.rc not in row.ok_codes:
        row.failed = f"{label} exited {sample.rc}: {' '.join(err.split())[-300:]}"
        return None
    return sample


def run_all(rows: list[Row], runs: int, idle_wait: float) -> None:
    """Prime the warm rows, then measure round-robin (run 1 of every row, run 2, ...)
    so that slow drift of the machine hits every row alike."""
    active = [row for row in rows if not row.skipped]
    for row in active:
        row.files = count_files(row.path)
        print(f"== {row.label}: {' '.join(row.cmd)}", file=sys.stderr)
    for row in active:
        if row.prime:
            run_once(row, "prime", idle_wait)
    for i in range(runs):
        for row in active:
            if row.failed:
                continue
            sample = run_once(row, f"run {i + 1}", idle_wait)
            if sample is not None:
                row.samples.append(sample)
    for row in active:
        if row.ok:
            check_accounting(row)
            note_plugin(row)
            note_contention(row)


def note_contention(row: Row) -> None:
    """A one-process run whose wall exceeds its CPU waited for a core: the box was busy."""
    if max(s.procs for s in row.samples) > 1 or row.key.startswith("ruff"):
        return
    cpu, wall = row.median("cpu"), row.median("wall")
    if wall > 1.15 * cpu + 0.2:
        row.notes.append(f"WARNING: wall {wall:.1f}s vs CPU {cpu:.1f}s in one process: "
                         "the machine was busy, wall (and CPU) figures are inflated")


def note_plugin(row: Row) -> None:
    if row.key != "plugin":
        return
    tfd = int(row.median("tfd_lines"))
    row.notes.append(f"{tfd} TFD findings in its output"
                     + ("" if tfd else " - WARNING: is the plugin active?"))


def check_accounting(row: Row) -> None:
    cpu, seen = row.median("cpu"), row.median("sampled_cpu")
    if seen > cpu * 1.1 + 0.3:
        row.notes.append(f"WARNING: /proc saw {seen:.2f}s CPU but wait4 only {cpu:.2f}s: "
                         "some descendant was not reaped by its parent")


def build_rows(ctx: Context, only: set[str]) -> list[Row]:
    rows = [row for build in ROW_BUILDERS for row in build(ctx)]
    for row in rows:
        row.ok_codes = (0,) if "--exit-zero" in row.cmd else OK_CODES
    return [row for row in rows if row.key in only]


# --------------------------------------------------------------------- reporting


def fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def per_file_cpu(row: Row | None) -> float | None:
    if row is None or not row.ok or not row.files:
        return None
    return row.median("cpu") / row.files


def ratio(row: Row, base: Row | None) -> float | None:
    a, b = per_file_cpu(row), per_file_cpu(base)
    return None if a is None or not b else a / b


def table(rows: list[Row]) -> str:
    base = find(rows, "flake8")
    lines = [
        "| Row | Files | CPU s | Wall s | Files/s | CPU ms/file | Peak RSS MB "
        "| Sum RSS MB (procs) | CPU/file vs flake8 | Out lines |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        if not row.ok:
            why = row.skipped or f"FAILED: {row.failed}"
            lines.append(f"| {row.label} | {row.files or '-'} | {why} | | | | | | | |")
            continue
        cpu, wall = row.median("cpu"), row.median("wall")
        procs = max(s.procs for s in row.samples)
        lines.append(
            f"| {row.label} | {row.files} | {cpu:.2f} | {wall:.2f} | {row.files / wall:.0f} "
            f"| {1000 * cpu / row.files:.2f} | {row.median('maxrss_mb'):.0f} "
            f"| {row.median('sum_rss_mb'):.0f} ({procs}) | {fmt(ratio(row, base))} "
            f"| {row.median('out_lines'):.0f} |"
        )
    return "\n".join(lines)


def find(rows: list[Row], key: str) -> Row | None:
    return next((r for r in rows if r.key == key and r.ok), None)


def commands(rows: list[Row]) -> str:
    out = []
    for row in rows:
        if row.cmd:
            env = "".join(f"{k}={v} " for k, v in row.env.items())
            extra = "; ".join(row.notes)
            out.append(f"- **{row.label}**: `{env}{' '.join(row.cmd)}`"
                       + (f" — {extra}" if extra else ""))
    return "\n".join(out)


@dataclass
class Target:
    name: str
    value: float | None
    limit: str
    passed: bool | None  # None: cannot be judged (row missing)

    def line(self) -> str:
        verdict = {True: "PASS", False: "FAIL", None: "n/a"}[self.passed]
        return f"| {self.name} | {fmt(self.value, '.3f')} | {self.limit} | {verdict} |"


def judged(value: float | None, test: Callable[[float], bool]) -> bool | None:
    return None if value is None else test(value)


def cpu_ratio(rows: list[Row], key: str) -> float | None:
    row = find(rows, key)
    return None if row is None else ratio(row, find(rows, "flake8"))


def median_of(rows: list[Row], key: str, attr: str) -> float | None:
    row = find(rows, key)
    return None if row is None else row.median(attr)


def targets(rows: list[Row]) -> list[Target]:
    cold_ratio = cpu_ratio(rows, "cold")
    warm_ratio = cpu_ratio(rows, "warm")
    cold_wall, j2_wall = median_of(rows, "cold", "wall"), median_of(rows, "jobs2", "wall")
    wall_ratio = None if cold_wall is None or j2_wall is None else j2_wall / cold_wall
    plugin_ratio = cpu_ratio(rows, "plugin")
    overhead = None if plugin_ratio is None else plugin_ratio - 1
    tfd_rss = [r.median("maxrss_mb") for r in rows if r.ok and r.key in TFD_KEYS]
    rss = max(tfd_rss) if tfd_rss else None
    out = [
        Target("cold CPU / flake8 CPU", cold_ratio, "≤ 0.5", judged(cold_ratio, lambda v: v <= 0.5)),
        Target("--jobs 2 wall / cold wall", wall_ratio, "≤ 0.6",
               judged(wall_ratio, lambda v: v <= 0.6)),
        Target("warm CPU / flake8 CPU", warm_ratio, "≤ 0.05",
               judged(warm_ratio, lambda v: v <= 0.05)),
        Target("peak RSS MB (largest single tfdetlint process)", rss, "< 300",
               judged(rss, lambda v: v < 300)),
        Target("plugin overhead over plain flake8 CPU", overhead, "≤ 0.50",
               judged(overhead, lambda v: v <= 0.5)),
    ]
    return out + scaling_targets(rows)


TFD_KEYS = ("cold", "jobs2", "warm", "scale2", "scale4")


def scaling_targets(rows: list[Row]) -> list[Target]:
    base = per_file_cpu(find(rows, "cold"))
    out = []
    for key, n in (("scale2", 2), ("scale4", 4)):
        cur = per_file_cpu(find(rows, key))
        rel = None if base is None or cur is None else cur / base
        out.append(Target(f"CPU per file at {n}x / at 1x", rel, "0.8 .. 1.2",
                          judged(rel, lambda v: 0.8 <= v <= 1.2)))
    return out


def targets_table(rows: list[Row]) -> str:
    lines = ["| Target | Measured | Limit | Verdict |", "|---|---:|---|---|"]
    lines += [t.line() for t in targets(rows)]
    return "\n".join(lines)


def machine() -> str:
    model = next((line.split(":", 1)[1].strip()
                  for line in read_text("/proc/cpuinfo").splitlines()
                  if line.startswith("model name")), platform.processor() or "?")
    return (f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; {os.cpu_count()} CPUs "
            f"({model}); Python {platform.python_version()} ({sys.executable}); "
            f"{platform.system()} {platform.release()}")


def versions() -> str:
    out = []
    for name in ("flake8", "ruff", "tfdetlint"):
        exe = tool(name)
        if exe is None:
            out.append(f"{name}: not installed")
            continue
        res = subprocess.run([str(exe), "--version"], capture_output=True, text=True)
        text = " ".join(res.stdout.split()) if res.returncode == 0 else "(--version failed)"
        out.append(f"{name} {text}{install_source(name)}")
    return "; ".join(out)


def loadavg() -> str:
    return " ".join(read_text("/proc/loadavg").split()[:3])


def install_source(dist: str) -> str:
    """' (editable: /path)' for a distribution installed from a local checkout."""
    try:
        raw = metadata.distribution(dist).read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return ""
    if not raw:
        return ""
    url = json.loads(raw).get("url", "")
    path = url.removeprefix("file://")
    if not path or not Path(path).is_dir():
        return f" ({url})"
    head = subprocess.run(["git", "-C", path, "log", "-1", "--format=%h %s"],
                          capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "--no-optional-locks", "-C", path, "status", "--porcelain",
                            "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    return f" (from {path} at {head or '?'}{', with uncommitted changes' if dirty else ''})"


def report(rows: list[Row], ctx: Context, with_targets: bool) -> str:
    parts = [
        f"Machine (at start): {ctx.started}",
        f"Load average (1/5/15 min) before: {ctx.load_before}; after: {loadavg()}",
        f"Tools: {ctx.tools_before}",
        f"Corpus: {ctx.src} — medians of {ctx.runs} runs",
        "",
        table(rows),
        "",
        commands(rows),
    ]
    if versions() != ctx.tools_before:
        ctx.notes.append(f"WARNING: the tools changed during the run; now: {versions()}")
    if ctx.notes:
        parts += ["", *(f"Note: {n}" for n in ctx.notes)]
    if with_targets:
        parts += ["", targets_table(rows)]
    return "\n".join(parts)


# --------------------------------------------------------------------- profile


def profile(src: Path) -> int:
    """pyinstrument over one cold single-process tfdetlint run -> out/profile.txt."""
    exe, pyi = tool("tfdetlint"), tool("pyinstrument")
    if exe is None or pyi is None:
        print(f"--profile needs tfdetlint and pyinstrument in {BIN}", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    dest = OUT / "profile.txt"
    cmd = [str(pyi), "-r", "text", "-o", str(dest), str(exe), "check", "--quiet",
           *tfd_check_flags(exe), "--no-cache", "--jobs", "1", str(src)]
    print(" ".join(cmd), file=sys.stderr)
    rc = subprocess.run(cmd, cwd=src, stdout=subprocess.DEVNULL).returncode
    if rc not in OK_CODES:
        return rc
    print(f"wrote {dest}")
    return 0


# --------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3, help="measured runs per row (default 3)")
    ap.add_argument("--corpus", type=Path, default=CORPUS / "src",
                    help="1x corpus directory (default benchmarks/corpus/src)")
    ap.add_argument("--only", default=",".join(ALL_KEYS),
                    help=f"comma-separated rows to run, from: {','.join(ALL_KEYS)}")
    ap.add_argument("--skip", default="", help="comma-separated rows to leave out")
    ap.add_argument("--targets", action="store_true", help="also print pass/fail per target")
    ap.add_argument("--plain-flake8", choices=("venv", "env"), default="venv",
                    help="baseline when the plugin is installed: a separate venv without "
                    f"tfdetlint (default) or the same flake8 with {DISABLE_ENV}=1")
    ap.add_argument("--wait-idle", type=float, default=0.0, metavar="S",
                    help="before each run, wait up to S seconds until no other process "
                    "is runnable for 1 s (for shared machines; default 0: don't wait)")
    ap.add_argument("--profile", action="store_true",
                    help="only write a pyinstrument profile of a cold run to out/profile.txt")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    src: Path = args.corpus.resolve()
    if not src.is_dir():
        raise SystemExit(f"{src}: no corpus (run: python benchmarks/corpus.py)")
    if args.profile:
        return profile(src)
    only = set(args.only.split(",")) - set(args.skip.split(","))
    unknown = only - set(ALL_KEYS)
    if unknown:
        raise SystemExit(f"unknown rows: {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory(prefix="tfdetlint-bench-cache-") as cache:
        ctx = Context(src=src, runs=args.runs, plain_mode=args.plain_flake8,
                      cache_dir=Path(cache))
        rows = build_rows(ctx, only)
        run_all(rows, args.runs, args.wait_idle)
    text = report(rows, ctx, args.targets)
    print(text)
    save(text, rows)
    return 0


def save(text: str, rows: list[Row]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.md").write_text(text + "\n")
    data = [asdict(r) | {"path": str(r.path)} for r in rows]
    (OUT / "results.json").write_text(json.dumps(data, indent=1, default=str) + "\n")
    print(f"\n(wrote {OUT / 'results.md'} and results.json)", file=sys.stderr)


if __name__ == "__main__":
    raise SystemExit(main())
