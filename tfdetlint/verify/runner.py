"""Run probe tasks in worker subprocesses, surviving crashes and hangs of single probes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tfdetlint.verify.catalogue import ProbeGroup

# TF import plus device setup takes ~3-5 s on 2 cores; a cold disk cache can take much longer.
STARTUP_ALLOWANCE_S = 120.0
_POLL_S = 0.05
_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent.parent)


@dataclass
class TaskResult:
    """One probe on one device in one worker process."""

    status: str  # "ok" | "raised" | "error"
    hashes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    exc_type: str = ""
    message: str = ""


@dataclass
class PassResult:
    devices: list[str] | None
    tf_version: str
    results: dict[tuple[str, str], TaskResult]


def task_spec(group: ProbeGroup, device: str, repeats: int) -> dict[str, Any]:
    return {
        "key": group.key,
        "api": group.api,
        "args": dict(group.args),
        "source": group.probe.source,
        "file": group.probe.file,
        "repeats": max(repeats, group.probe.repeats),
        "device": device,
    }


def _signal_reason(returncode: int) -> str:
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        hint = " (killed, possibly out of memory)" if name == "SIGKILL" else ""
        return f"worker died from {name}{hint}"
    return f"worker exited with status {returncode}"


def _tail(path: Path, limit: int = 400) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return " | ".join(lines[-3:])[-limit:]


@dataclass
class _Attempt:
    events: list[dict[str, Any]]
    returncode: int | None
    timed_out_key: tuple[str, str] | None
    startup_failed: bool
    stderr_tail: str


def _read_new(path: Path, offset: int) -> tuple[list[dict[str, Any]], int]:
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read()
    except FileNotFoundError:
        return [], offset
    end = data.rfind(b"\n") + 1  # only whole lines; the rest is still being written
    events = [json.loads(line) for line in data[:end].splitlines() if line.strip()]
    return events, offset + end


def _run_worker(job: dict[str, Any], job_dir: Path, timeout: float) -> _Attempt:
    job_path = job_dir / "job.json"
    events_path = Path(job["events"])
    job_path.write_text(json.dumps(job), encoding="utf-8")
    stderr_path = job_dir / "stderr.txt"
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # The worker must import this very tfdetlint (a checkout need not be installed).
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
    with open(stderr_path, "ab") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tfdetlint.verify._worker", str(job_path)],
            stdin=subprocess.DEVNULL,
            stdout=err,
            stderr=err,
            env=env,
            cwd=str(job_dir),
        )
    events: list[dict[str, Any]] = []
    offset = 0
    deadline = time.monotonic() + max(timeout, STARTUP_ALLOWANCE_S)
    current: tuple[str, str] | None = None
    ready = False
    timed_out: tuple[str, str] | None = None
    while True:
        returncode = proc.poll()
        new, offset = _read_new(events_path, offset)
        for event in new:
            events.append(event)
            kind = event.get("event")
            if kind == "ready":
                ready = True
                deadline = float("inf")
            elif kind == "start":
                current = (event["key"], event["device"])
                deadline = time.monotonic() + timeout
            elif kind == "done":
                current = None
                deadline = float("inf")
        if returncode is not None:
            break
        if time.monotonic() > deadline:
            timed_out = current
            proc.kill()
            proc.wait()
            new, offset = _read_new(events_path, offset)
            events += new
            break
        time.sleep(_POLL_S)
    return _Attempt(events, proc.returncode, timed_out, not ready, _tail(stderr_path))


def run_pass(
    tasks: list[dict[str, Any]],
    *,
    determinism: bool,
    device: str,
    logical_cpus: int,
    intra_op_threads: int,
    timeout: float,
    work_dir: Path,
) -> PassResult:
    """Run ``tasks`` in as few fresh workers as possible; a probe that kills its worker gets an
    ``error`` result and the tasks after it continue in a new worker."""
    results: dict[tuple[str, str], TaskResult] = {}
    devices: list[str] | None = None
    tf_version = ""
    remaining = list(tasks)
    attempt_no = 0
    while remaining:
        attempt_dir = work_dir / f"attempt{attempt_no}"
        attempt_dir.mkdir(parents=True)
        attempt_no += 1
        job = {
            "determinism": determinism,
            "device": device,
            "logical_cpus": logical_cpus,
            "intra_op_threads": intra_op_threads,
            "events": str(attempt_dir / "events.jsonl"),
            "out_dir": str(attempt_dir),
            "tasks": remaining,
        }
        attempt = _run_worker(job, attempt_dir, timeout)
        started: tuple[str, str] | None = None
        for event in attempt.events:
            kind = event.get("event")
            if kind == "ready":
                devices = list(event["devices"])
                tf_version = str(event["tf_version"])
            elif kind == "start":
                started = (event["key"], event["device"])
            elif kind == "done":
                started = None
                results[(event["key"], event["device"])] = TaskResult(
                    status=event["status"],
                    hashes=list(event.get("hashes", [])),
                    files=list(event.get("files", [])),
                    exc_type=str(event.get("exc_type", "")),
                    message=str(event.get("message", "")),
                )
        if attempt.startup_failed:
            reason = (
                f"worker did not start within {max(timeout, STARTUP_ALLOWANCE_S):g}s"
                if attempt.returncode is None or attempt.returncode == -signal.SIGKILL
                else _signal_reason(attempt.returncode or 0)
            )
            for task in remaining:
                results[(task["key"], task["device"])] = TaskResult(
                    "error", exc_type="WorkerStartup", message=f"{reason}: {attempt.stderr_tail}"
                )
            break
        if started is not None:
            if attempt.timed_out_key == started:
                reason = f"probe hung: no result within the {timeout:g}s timeout"
                exc_type = "Timeout"
            else:
                reason = _signal_reason(attempt.returncode or 0)
                if attempt.stderr_tail:
                    reason += f"; stderr: {attempt.stderr_tail}"
                exc_type = "WorkerCrash"
            results[started] = TaskResult("error", exc_type=exc_type, message=reason)
        remaining = _unfinished(remaining, results, devices, device)
        if started is None and remaining:
            # The worker ended without a probe running yet left work undone: do not loop forever.
            for task in remaining:
                results[(task["key"], task["device"])] = TaskResult(
                    "error",
                    exc_type="WorkerCrash",
                    message=f"{_signal_reason(attempt.returncode or 0)}: {attempt.stderr_tail}",
                )
            break
    return PassResult(devices, tf_version, results)


def wanted_devices(devices: list[str], which: str) -> list[str]:
    return [d for d in devices if which == "all" or d.split(":")[0].lower() == which]


def _unfinished(
    tasks: list[dict[str, Any]],
    results: dict[tuple[str, str], TaskResult],
    devices: list[str] | None,
    which: str,
) -> list[dict[str, Any]]:
    """Expand ``"*"`` tasks to concrete devices and drop the ones that already have a result."""
    out: list[dict[str, Any]] = []
    for task in tasks:
        targets = (
            wanted_devices(devices or [], which) if task["device"] == "*" else [task["device"]]
        )
        for dev in targets:
            if (task["key"], dev) not in results:
                out.append({**task, "device": dev})
    return out
