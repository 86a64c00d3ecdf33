"""Run the user's command under ``_boot`` in fresh processes, bounded in time, and load the records."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

RunStatus = Literal["ok", "exit", "exception", "timeout", "crashed"]

_PACKAGE_ROOT = str(Path(__file__).resolve().parent.parent.parent)
_TAIL_LINES = 12


class CommandError(ValueError):
    """The traced command is not a Python program we can wrap."""


@dataclass(frozen=True)
class BootOptions:
    dump: bool
    seed: int | None = None
    determinism: bool = False
    max_ops: int = 20000
    op_regex: str | None = None
    dump_cap: int = 256 << 20
    array_cap: int = 64 << 20
    steps: int | None = None
    keep_dump: bool = False

    def to_json(self) -> str:
        return json.dumps(asdict(self))


@dataclass
class Run:
    status: RunStatus
    seconds: float
    record: dict[str, Any]
    stdout: str
    stderr_tail: str
    record_dir: Path
    returncode: int | None = None
    arrays: dict[str, Any] = field(default_factory=dict, repr=False)
    env: dict[str, Any] | None = None  # the run's ``tfdetlint env`` fingerprint (None: not recorded)

    def array(self, name: str) -> Any:
        """An array the run saved (None when it was over the size cap, or this Python has no
        NumPy: the traced program may run under another interpreter than tfdetlint)."""
        try:
            import numpy as np
        except ImportError:
            return None

        index = self.record.get("arrays", {}).get(name)
        path = self.record_dir / "arrays.npz"
        if index is None or not path.is_file():
            return None
        if "npz" not in self.arrays:
            self.arrays["npz"] = np.load(path, allow_pickle=False)
        return self.arrays["npz"][index]


def split_command(command: list[str]) -> tuple[str, list[str]]:
    """``python [-u] train.py ARGS`` -> (interpreter, [train.py, ARGS]); ``-m pkg`` is kept."""
    if not command:
        raise CommandError("no command given: tfdetlint trace -- python train.py ARGS")
    interpreter, rest = command[0], list(command[1:])
    if not Path(interpreter).name.startswith("python"):
        if interpreter.endswith(".py"):  # `trace -- train.py` runs it with this interpreter
            return sys.executable, command
        raise CommandError(f"trace runs Python programs (`python train.py ...`), not {interpreter!r}")
    while rest and rest[0].startswith("-") and rest[0] != "-m":
        if rest[0] in ("-c", "-"):
            raise CommandError("trace needs a script file or -m module, not -c or stdin")
        rest.pop(0)  # interpreter flags such as -u or -O do not change what is traced
    if not rest or (rest[0] == "-m" and len(rest) < 2):
        raise CommandError("no script or module in the command")
    return interpreter, rest


def _env() -> dict[str, str]:
    # The same for every run: the user's environment, plus where to find tfdetlint's wrapper.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PACKAGE_ROOT, env.get("PYTHONPATH", "")) if p)
    return env


def _tail(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join(lines[-_TAIL_LINES:])


def run_once(
    command: list[str], options: BootOptions, timeout: float, work: Path, cwd: Path | None = None
) -> Run:
    interpreter, program = split_command(command)
    work.mkdir(parents=True, exist_ok=True)
    argv = [interpreter, "-m", "tfdetlint.trace._boot", str(work), options.to_json(), "--", *program]
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            argv, stdout=out, stderr=err, env=_env(), cwd=cwd, start_new_session=True
        )
        status: RunStatus | None = None
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            status = "timeout"
            # The program may have started its own workers: end the whole session we made.
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        seconds = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    record_file = work / "record.json"
    record: dict[str, Any] = {}
    if record_file.is_file():
        record = json.loads(record_file.read_text(encoding="utf-8"))
    if status is None:
        status = "crashed" if not record else record.get("status", "ok")
    return Run(status, seconds, record, stdout, _tail(stderr), work, proc.returncode, env=_load_env(work))


def _load_env(work: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((work / "env.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):  # a run that crashed or hung wrote none
        return None
    return data if isinstance(data, dict) else None


def run_pair(
    command: list[str], options: BootOptions, timeout: float, work: Path, jobs: int, cwd: Path | None = None
) -> tuple[Run, Run]:
    """Two fresh processes with the same options and environment (in parallel when jobs > 1)."""
    with ThreadPoolExecutor(max_workers=max(1, min(2, jobs))) as pool:
        first = pool.submit(run_once, command, options, timeout, work / "a", cwd)
        second = pool.submit(run_once, command, options, timeout, work / "b", cwd)
        return first.result(), second.result()
