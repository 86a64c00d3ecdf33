"""Worker process for ``tfdetlint verify``: runs probe snippets, never user code.

Run as ``python -m tfdetlint.verify._worker JOB.json``. TensorFlow is imported here, inside the
worker, once per process. Progress goes to an append-only JSON-lines events file (flushed per
line) so the parent can tell which probe was running if this process dies or hangs.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_NONLITERAL = "<non-literal>"


class _Events:
    def __init__(self, path: str) -> None:
        self._fh = open(path, "a", encoding="utf-8")  # noqa: SIM115 - lives as long as the worker

    def emit(self, **event: Any) -> None:
        self._fh.write(json.dumps(event) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())


def _literal_args(raw: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, text in raw.items():
        if text == _NONLITERAL:
            values[name] = _NONLITERAL
            continue
        try:
            values[name] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            values[name] = _NONLITERAL
    return values


def _namespace(tf: Any, np: Any, api: str, args: dict[str, Any], workdir: str) -> dict[str, Any]:
    def arg(name: str, default: Any = None, nonliteral: Any = None) -> Any:
        if name not in args:
            return default
        value = args[name]
        return nonliteral if value == _NONLITERAL else value

    def given(name: str) -> bool:
        return name in args

    return {
        "__name__": "tfdetlint_probe",
        "tf": tf,
        "np": np,
        "API": api,
        "ARGS": dict(args),
        "arg": arg,
        "given": given,
        "RNG": np.random.RandomState(1234),
        "WORKDIR": workdir,
    }


def _as_arrays(np: Any, value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return [a for item in value for a in _as_arrays(np, item)]
    if hasattr(value, "numpy"):
        value = value.numpy()
    return [np.asarray(value)]


def _digest(arrays: list[Any]) -> str:
    h = hashlib.sha256()
    for a in arrays:
        h.update(f"{a.dtype.str}{a.shape}".encode())
        # Object arrays (e.g. tf.string results) hold pointers; hash their values instead.
        h.update(repr(a.tolist()).encode() if a.dtype.kind == "O" else a.tobytes())
    return h.hexdigest()


def _flat(np: Any, arrays: list[Any]) -> Any:
    parts = [a.astype(np.float64).ravel() for a in arrays if a.dtype.kind in "biufc"]
    return np.concatenate(parts) if parts else np.zeros(0)


def _short_name(device: Any) -> str:
    return str(device.name).replace("/device:", "").replace("/physical_device:", "")


def _configure(tf: Any, job: dict[str, Any]) -> None:
    threads = int(job.get("intra_op_threads", 0))
    if threads:
        # Oversubscribing the 2 cores gives thread-order races more chances to show.
        tf.config.threading.set_intra_op_parallelism_threads(threads)
    logical = int(job.get("logical_cpus", 0))
    if logical > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(logical)]
        )
    if job.get("determinism"):
        tf.config.experimental.enable_op_determinism()


def _reset_random_state(tf: Any, np: Any) -> None:
    """Each probe starts unseeded, whatever the probes before it in this process set.

    Some probes call tf.random.set_seed (to show what it does not cover); left in place, it would
    make every later unseeded probe in the worker look reproducible.
    """
    import random

    tf.random.set_seed(None)
    random.seed()
    np.random.seed()


def _run_task(
    tf: Any, np: Any, task: dict[str, Any], device: str, out_dir: Path, events: _Events
) -> None:
    key = task["key"]
    _reset_random_state(tf, np)
    events.emit(event="start", key=key, device=device, t=time.time())
    hashes: list[str] = []
    files: list[str] = []
    try:
        with tempfile.TemporaryDirectory() as workdir, tf.device(device):
            ns = _namespace(tf, np, task["api"], _literal_args(task["args"]), workdir)
            exec(compile(task["source"], task["file"], "exec"), ns)
            for rep in range(int(task["repeats"])):
                arrays = _as_arrays(np, ns["run"]())
                hashes.append(_digest(arrays))
                path = out_dir / f"{key}-{device.replace(':', '_')}-{rep}.npy"
                np.save(path, _flat(np, arrays))
                files.append(str(path))
    except BaseException as exc:  # the probe's failure is the measurement, report and go on
        if isinstance(exc, KeyboardInterrupt):
            raise
        events.emit(
            event="done",
            key=key,
            device=device,
            status="raised",
            exc_type=type(exc).__name__,
            message=str(exc).strip().splitlines()[0][:500] if str(exc).strip() else "",
        )
        return
    events.emit(event="done", key=key, device=device, status="ok", hashes=hashes, files=files)


def _devices(tf: Any, which: str) -> list[str]:
    names: list[str] = []
    for kind in ("CPU", "GPU"):
        if which in ("all", kind.lower()):
            names += [_short_name(d) for d in tf.config.list_logical_devices(kind)]
    return names


def main(argv: list[str]) -> int:
    job = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    events = _Events(job["events"])
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf

    _configure(tf, job)
    all_devices = _devices(tf, "all")
    events.emit(event="ready", tf_version=tf.__version__, devices=all_devices)
    wanted = _devices(tf, str(job.get("device", "all")))
    out_dir = Path(job["out_dir"])
    for task in job["tasks"]:
        targets = wanted if task["device"] == "*" else [task["device"]]
        for device in targets:
            if device in all_devices:
                _run_task(tf, np, task, device, out_dir, events)
    events.emit(event="finished")
    with contextlib.suppress(Exception):
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
