"""``verify_findings``: confirm static findings by running catalogue probes in fresh processes.

The analysed user code is never imported, executed or evaluated: a finding contributes only its
api name, code and the literal text of its arguments (read with ``ast.literal_eval``).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tfdetlint.findings import Finding
from tfdetlint.verify import cache
from tfdetlint.verify.catalogue import ProbeGroup, group_findings, load_catalogue
from tfdetlint.verify.compare import Run, compare, compared_runs
from tfdetlint.verify.runner import PassResult, TaskResult, run_pass, task_spec, wanted_devices

TF_MISSING_MESSAGE = "tfdetlint verify needs TensorFlow: pip install 'tfdetlint[verify]'"
INTRA_OP_THREADS = 8

VERDICTS = (
    "confirmed",
    "not-reproduced",
    "raises-under-determinism",
    "no-probe",
    "skipped",
    "error",
)


class TensorFlowMissing(RuntimeError):
    """TensorFlow is not importable; ``verify`` cannot run any probe."""


@dataclass(frozen=True)
class Verdict:
    path: str
    line: int
    code: str
    api: str
    device: str
    verdict: str
    runs: int
    detail: str
    probe: str = ""
    max_abs_diff: float | None = None
    differing_elements: int | None = None
    error_type: str | None = None
    error_message: str | None = None
    # What happened with enable_op_determinism(): identical | differs | raises | error | "".
    under_determinism: str = ""
    determinism_max_abs_diff: float | None = None
    # What the probe ran in place of the api when it does not call the api itself.
    stand_in: str = ""
    cell: int | None = None  # notebooks: the code cell; ``line`` counts inside it


def tensorflow_available() -> bool:
    # find_spec only locates the package; importing TF here would cost seconds and memory.
    try:
        return importlib.util.find_spec("tensorflow") is not None
    except (ImportError, ValueError):  # a broken or shadowed install counts as missing
        return False


def tensorflow_version_hint() -> str:
    """TF's installed version from package metadata, without importing TensorFlow."""
    try:
        dists = importlib.metadata.packages_distributions().get("tensorflow", [])
        for dist in dists:
            return f"{dist}=={importlib.metadata.version(dist)}"
    except Exception:  # metadata can be broken in odd environments; then do not cache
        return ""
    return ""


@dataclass(frozen=True)
class _Settings:
    device: str
    timeout: float
    runs: int
    processes: int
    logical_cpus: int
    jobs: int


def _outcome(results: list[TaskResult], mode: str) -> dict[str, Any]:
    """Summarise one mode (with or without determinism) of one probe on one device."""
    for res in results:
        if res.status == "error":
            return {"state": "error", "exc_type": res.exc_type, "message": res.message}
    for res in results:
        if res.status == "raised":
            return {"state": "raised", "exc_type": res.exc_type, "message": res.message}
    processes: list[list[Run]] = [list(zip(r.hashes, r.files, strict=True)) for r in results]
    cmp = compare(processes, mode)
    return {
        "state": "differs" if cmp.differs else "identical",
        "runs": compared_runs(processes, mode),
        "processes": len(processes),
        "per_process": min((len(p) for p in processes), default=0),
        "max_abs_diff": cmp.max_abs_diff,
        "differing_elements": cmp.differing_elements,
    }


def _fmt_num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def _det_phrase(det: dict[str, Any]) -> str:
    state = det.get("state")
    if state == "identical":
        return f"with op determinism: bit-identical over {det['runs']} runs"
    if state == "differs":
        return (
            f"with op determinism: STILL differs (max abs diff {_fmt_num(det['max_abs_diff'])} "
            f"in {det['differing_elements']} elements)"
        )
    if state == "raised":
        return f"with op determinism: raises {det['exc_type']}: {det['message']}"
    if state == "error":
        return f"with op determinism: probe error ({det['exc_type']}: {det['message']})"
    return ""


def _build(finding: Finding, group: ProbeGroup, device: str, outcome: dict[str, Any]) -> Verdict:
    verdict = _build_verdict(finding, group, device, outcome)
    if verdict.stand_in:
        return replace(verdict, detail=f"checked with {verdict.stand_in}: {verdict.detail}")
    return verdict


def _build_verdict(finding: Finding, group: ProbeGroup, device: str, outcome: dict[str, Any]) -> Verdict:
    nd, det = outcome["nd"], outcome["det"]
    det_state = {"raised": "raises"}.get(det.get("state", ""), det.get("state", ""))
    base: dict[str, Any] = {
        "path": finding.path,
        "line": finding.line,
        "cell": finding.cell,
        "code": finding.code,
        "api": finding.api,
        "device": device,
        "probe": group.probe.id,
        "under_determinism": det_state,
        "determinism_max_abs_diff": det.get("max_abs_diff") if det_state == "differs" else None,
        "stand_in": group.probe.stand_in_for(group.api),
    }
    runs = int(nd.get("runs", 0))
    how = f"{nd.get('processes', 0)} processes x {nd.get('per_process', 0)}"
    det_text = _det_phrase(det)
    gpu_note = group.probe.gpu_note if device.startswith("CPU") else ""
    if nd["state"] in ("error", "raised"):
        what = "crashed or hung" if nd["state"] == "error" else "raised without determinism"
        return Verdict(
            **base,
            verdict="error",
            runs=0,
            detail=f"probe {what}: {nd['exc_type']}: {nd['message']}",
            error_type=nd["exc_type"],
            error_message=nd["message"],
        )
    if nd["state"] == "differs" or det.get("state") == "differs":
        src = nd if nd["state"] == "differs" else det
        where = "" if nd["state"] == "differs" else " (only with op determinism on)"
        detail = (
            f"outputs differ over {runs} runs ({how}){where}: max abs diff "
            f"{_fmt_num(src['max_abs_diff'])} in {src['differing_elements']} elements; {det_text}"
        )
        return Verdict(
            **base,
            verdict="confirmed",
            runs=runs,
            detail=detail,
            max_abs_diff=src["max_abs_diff"],
            differing_elements=src["differing_elements"],
            error_type=det.get("exc_type") if det_state == "raises" else None,
            error_message=det.get("message") if det_state == "raises" else None,
        )
    if det_state == "raises":
        return Verdict(
            **base,
            verdict="raises-under-determinism",
            runs=runs,
            detail=f"bit-identical over {runs} runs ({how}) without determinism; {det_text}",
            error_type=det["exc_type"],
            error_message=det["message"],
        )
    notes = " ".join(
        n
        for n in (
            group.probe.cpu_note if device.startswith("CPU") else "",
            f"GPU hazard: {gpu_note}" if gpu_note else "",
        )
        if n
    )
    detail = f"bit-identical over {runs} runs ({how}) on {device}; {det_text}"
    return Verdict(
        **base,
        verdict="not-reproduced",
        runs=runs,
        detail=f"{detail}. {notes}" if notes else detail,
    )


def _row(
    finding: Finding,
    device: str,
    verdict: str,
    detail: str,
    probe: str = "",
    error: tuple[str, str] | None = None,
) -> Verdict:
    return Verdict(
        path=finding.path,
        line=finding.line,
        cell=finding.cell,
        code=finding.code,
        api=finding.api,
        device=device,
        verdict=verdict,
        runs=0,
        detail=detail,
        probe=probe,
        error_type=error[0] if error else None,
        error_message=error[1] if error else None,
    )


def _cacheable(outcome: dict[str, Any]) -> bool:
    # Crashes, hangs and errors raised without determinism (MemoryError...) may be transient.
    return outcome["nd"]["state"] in ("differs", "identical") and outcome["det"]["state"] in (
        "differs",
        "identical",
        "raised",
    )


def _entry_key(tf_version: str, device: str, group: ProbeGroup, s: _Settings) -> str:
    return cache.cache_key(
        "outcome",
        tf_version,
        device,
        group.probe.id,
        group.probe.source_hash,
        group.api,
        group.args,
        s.processes,
        max(s.runs, group.probe.repeats),
        INTRA_OP_THREADS,
        group.probe.compare,
    )


def _devices_key(tf_version: str, s: _Settings) -> str:
    return cache.cache_key(
        "devices",
        tf_version,
        sys.executable,
        os.environ.get("CUDA_VISIBLE_DEVICES"),
        s.logical_cpus,
    )


def _run_all(
    groups: list[ProbeGroup],
    devices: list[str] | None,
    s: _Settings,
    work: Path,
    cached: set[tuple[str, str]],
) -> tuple[list[str] | None, dict[tuple[str, str], dict[str, list[TaskResult]]]]:
    """Run every uncached (group, device) in 'processes' passes without determinism and as many
    with it; returns the devices TF reported and results per (group key, device)."""

    def tasks_for(devs: list[str] | None, skip: set[tuple[str, str]]) -> list[dict[str, Any]]:
        if devs is None:
            return [task_spec(g, "*", s.runs) for g in groups]
        return [
            task_spec(g, d, s.runs)
            for g in groups
            for d in wanted_devices(devs, s.device)
            if (g.key, d) not in cached and (g.key, d) not in skip
        ]

    def one(det: bool, index: int, tasks: list[dict[str, Any]]) -> PassResult:
        return run_pass(
            tasks,
            determinism=det,
            device=s.device,
            logical_cpus=s.logical_cpus,
            intra_op_threads=INTRA_OP_THREADS,
            timeout=s.timeout,
            work_dir=work / f"{'det' if det else 'nd'}{index}",
        )

    collected: dict[tuple[str, str], dict[str, list[TaskResult]]] = {}

    def collect(det: bool, result: PassResult) -> None:
        for key, res in result.results.items():
            collected.setdefault(key, {"nd": [], "det": []})["det" if det else "nd"].append(res)

    tasks = tasks_for(devices, set())
    if not tasks:
        return devices, collected
    first = one(False, 0, tasks)  # alone: it tells us the devices and which probes crash
    devices = first.devices if first.devices is not None else devices
    collect(False, first)
    if devices is None:
        return None, collected
    broken = {k for k, r in first.results.items() if r.status == "error"}
    rest = tasks_for(devices, broken)
    plan = [(False, i) for i in range(1, s.processes)] + [(True, i) for i in range(s.processes)]
    if rest:
        with ThreadPoolExecutor(max_workers=max(1, s.jobs)) as pool:
            futures = [(det, pool.submit(one, det, i, rest)) for det, i in plan]
            for det, fut in futures:
                collect(det, fut.result())
    return devices, collected


def verify_findings(
    findings: list[Finding],
    *,
    device: str = "all",
    timeout: float = 60.0,
    runs: int = 2,
    cache_dir: Path | None = None,
    processes: int = 2,
    logical_cpus: int = 0,
    jobs: int = 2,
    probes_dir: Path | None = None,
    use_cache: bool = True,
) -> list[Verdict]:
    """One verdict per finding x device.

    ``runs``: executions per process (a probe's catalogue ``repeats`` can raise it);
    ``processes``: fresh processes per mode (at least 2: seed and order hazards only differ across
    processes); ``timeout``: seconds one probe may run on one device; ``logical_cpus``: split the
    CPU into that many logical devices (to exercise multi-device handling without a GPU);
    ``jobs``: worker processes run at once; ``probes_dir``: an alternative probe catalogue;
    ``use_cache`` False: the results cache is neither read nor written.
    """
    if device not in ("all", "cpu", "gpu"):
        raise ValueError(f"device must be 'all', 'cpu' or 'gpu', not {device!r}")
    if not tensorflow_available():
        raise TensorFlowMissing(TF_MISSING_MESSAGE)
    s = _Settings(device, timeout, max(1, runs), max(2, processes), logical_cpus, jobs)
    groups, unprobed = group_findings(findings, load_catalogue(probes_dir))
    cache_root = cache_dir if cache_dir is not None else cache.default_cache_dir()
    tf_version = tensorflow_version_hint()
    use_cache = use_cache and bool(tf_version)

    devices: list[str] | None = None
    if use_cache and groups:
        hit = cache.load(cache_root, _devices_key(tf_version, s))
        devices = list(hit["devices"]) if hit else None
    outcomes: dict[tuple[str, str], dict[str, Any]] = {}
    if devices is not None:
        for g in groups:
            for d in wanted_devices(devices, s.device):
                entry = cache.load(cache_root, _entry_key(tf_version, d, g, s))
                if entry is not None:
                    outcomes[(g.key, d)] = entry

    raw: dict[tuple[str, str], dict[str, list[TaskResult]]] = {}
    if groups:
        with tempfile.TemporaryDirectory(prefix="tfdetlint-verify-") as tmp:
            devices, raw = _run_all(groups, devices, s, Path(tmp), set(outcomes))
            by_key = {g.key: g for g in groups}
            for (gkey, dev), modes in raw.items():
                group = by_key.get(gkey)
                if group is None or dev == "*":
                    continue
                mode = group.probe.compare
                outcome = {"nd": _outcome(modes["nd"], mode), "det": _outcome(modes["det"], mode)}
                if not modes["det"] and outcome["nd"]["state"] != "error":
                    outcome["det"] = {
                        "state": "error",
                        "exc_type": "Missing",
                        "message": "no run with op determinism",
                    }
                outcomes[(gkey, dev)] = outcome
                if use_cache and _cacheable(outcome):
                    cache.store(cache_root, _entry_key(tf_version, dev, group, s), outcome)
        if use_cache and devices is not None:
            cache.store(cache_root, _devices_key(tf_version, s), {"devices": devices})

    return _verdicts(findings, groups, unprobed, devices, outcomes, raw, s)


def _verdicts(
    findings: list[Finding],
    groups: list[ProbeGroup],
    unprobed: list[Finding],
    devices: list[str] | None,
    outcomes: dict[tuple[str, str], dict[str, Any]],
    raw: dict[tuple[str, str], dict[str, list[TaskResult]]],
    s: _Settings,
) -> list[Verdict]:
    group_of = {id(f): g for g in groups for f in g.findings}
    no_probe = {id(f) for f in unprobed}
    seen = wanted_devices(devices or [], s.device)
    missing_kinds = [
        k
        for k in ("CPU", "GPU")
        if s.device in ("all", k.lower())
        and devices is not None
        and not any(d.startswith(k + ":") for d in devices)
    ]
    rows: list[Verdict] = []
    for f in findings:
        if id(f) in no_probe:
            rows.append(_row(f, s.device, "no-probe", "no probe in the catalogue for this api"))
            continue
        group = group_of[id(f)]
        if devices is None:
            startup = next(
                (r[0] for (k, _), m in raw.items() if k == group.key for r in [m["nd"]] if r), None
            )
            reason = startup.message if startup else "TensorFlow reported no devices"
            rows.append(
                _row(
                    f,
                    s.device,
                    "error",
                    f"worker failed: {reason}",
                    group.probe.id,
                    ("WorkerStartup", reason),
                )
            )
            continue
        for dev in seen:
            outcome = outcomes.get((group.key, dev))
            if outcome is None:
                rows.append(
                    _row(
                        f,
                        dev,
                        "error",
                        "probe produced no result",
                        group.probe.id,
                        ("Missing", "probe produced no result"),
                    )
                )
            else:
                rows.append(_build(f, group, dev, outcome))
        for kind in missing_kinds:
            note = group.probe.gpu_note if kind == "GPU" else ""
            detail = f"TensorFlow sees no {kind}" + (f"; not checked. {note}" if note else "")
            rows.append(_row(f, kind, "skipped", detail, group.probe.id))
    return rows
