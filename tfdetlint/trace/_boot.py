"""Run the user's program under recording: ``python -m tfdetlint.trace._boot RECORD_DIR OPTIONS -- PROG ARGS``.

Runs in the child process only (it imports TensorFlow). ``PROG`` is a script path or ``-m module``.
``OPTIONS`` is JSON (see ``tfdetlint.trace.runs.BootOptions``). Writes ``RECORD_DIR/record.json``,
``RECORD_DIR/arrays.npz`` and ``RECORD_DIR/env.json`` (the run's ``tfdetlint env`` fingerprint)
even when the program raises, then exits as the program would.
"""

from __future__ import annotations

import _thread
import contextlib
import json
import os
import runpy
import shutil
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from tfdetlint.trace.frames import user_frames
from tfdetlint.trace.summarise import fingerprint, summarise_dump

_POLL_S = 0.25
_INITIAL_VALUE_LIMIT = 1 << 20
_VALUE_FILES = (".execution", ".graph_execution_traces")
_HARD_CAP_FACTOR = 4


class _Window:
    """Stops tracing once the dump passes its size cap or the program passes ``steps``.

    Closing the dump while the program runs crashes TensorFlow (functions traced earlier still
    write to it), so tracing is paused instead: no new eager op and no newly traced function is
    instrumented. Functions instrumented before keep writing; past ``_HARD_CAP_FACTOR`` times the
    cap the program is interrupted and the runs are compared on the ops traced until then. The
    dumping callback lives in the main thread's thread-local state, so the watchdog thread only
    raises flags and an op callback on the main thread pauses.
    """

    def __init__(self, dump_root: Path, cap: int) -> None:
        self.dump_root = dump_root
        self.cap = cap
        self.stop = threading.Event()
        self.capped = False
        self.stopped = False
        self.paused: Any = None  # the paused dumping callback

    def watch(self) -> None:
        while not self.stop.wait(_POLL_S):
            # Only tensor values grow with the run; source snapshots and graphs are its fixed cost.
            size = _tree_size(self.dump_root, _VALUE_FILES)
            self.capped |= size > self.cap
            if size > self.cap * _HARD_CAP_FACTOR and not self.stop.is_set():
                self.stopped = True
                _thread.interrupt_main()
                return

    def maybe_pause(self, *_: Any, **__: Any) -> None:
        if self.capped and self.paused is None:
            self.pause()

    def pause(self) -> None:
        from tensorflow.python.debug.lib import dumping_callback
        from tensorflow.python.framework import op_callbacks

        callback = getattr(dumping_callback._state, "dumping_callback", None)
        if callback is None or self.paused is not None:
            return
        self.paused = callback
        op_callbacks.remove_op_callback(callback.callback)
        functions = dumping_callback.function_lib.CONCRETE_FUNCTION_CALLBACKS
        if callback.function_callback in functions:
            functions.remove(callback.function_callback)

    def close(self) -> None:
        """At exit: flush and close the dump (re-arming a paused callback so disable finds it)."""
        import tensorflow as tf
        from tensorflow.python.debug.lib import dumping_callback
        from tensorflow.python.framework import op_callbacks

        self.stop.set()
        if self.paused is not None:
            op_callbacks.add_op_callback(self.paused.callback)
            dumping_callback.function_lib.CONCRETE_FUNCTION_CALLBACKS.append(self.paused.function_callback)
        tf.debugging.experimental.disable_dump_debug_info()


def _tree_size(root: Path, suffixes: tuple[str, ...] = ("",)) -> int:
    total = 0
    for dirpath, _, files in os.walk(root):
        for name in files:
            if not name.endswith(suffixes):
                continue
            with contextlib.suppress(OSError):
                total += os.path.getsize(os.path.join(dirpath, name))
    return total


class _Losses:
    """Per-step training losses, from a callback added to every Keras ``fit``.

    ``fit`` is patched when the first variable is made with Keras loaded (models build their
    weights before they train), so programs without Keras never pay for importing it.
    """

    def __init__(self, steps: int | None, window: _Window | None) -> None:
        self.values: list[float] = []
        self.steps = steps
        self.window = window
        self.patched = False

    def step(self, logs: Any) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None:
            self.values.append(float(loss))
        if self.steps is not None and len(self.values) >= self.steps and self.window is not None:
            self.window.pause()  # the traced window is the first ``steps`` training steps

    def patch(self) -> None:
        keras = sys.modules.get("keras")
        if self.patched or keras is None or not hasattr(keras, "Model"):
            return
        self.patched = True
        losses = self

        class _Record(keras.callbacks.Callback):  # type: ignore[misc,name-defined]
            def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
                losses.step(logs)

        original = keras.Model.fit

        def fit(model: Any, *args: Any, **kwargs: Any) -> Any:
            kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), _Record()]
            return original(model, *args, **kwargs)

        keras.Model.fit = fit


class _Variables:
    """Every tf.Variable the program creates, in creation order, with its initial value.

    Keras 3 variables are tf.Variables underneath, so one creator scope sees both; the initial
    value matters because unseeded Keras layers keep their randomness in a seed-state variable.
    """

    def __init__(self, losses: _Losses) -> None:
        self.created: list[tuple[Any, dict[str, Any]]] = []
        self.losses = losses

    def creator(self, next_creator: Any, **kwargs: Any) -> Any:
        var = next_creator(**kwargs)
        import tensorflow as tf

        self.losses.patch()
        info: dict[str, Any] = {"name": str(getattr(var, "name", "")), "t": time.time()}
        info["stack"] = user_frames([(f.filename, f.lineno or 0) for f in traceback.extract_stack()])
        if tf.executing_eagerly():
            value = var.numpy()
            info["initial"] = fingerprint(value)
            if value.size <= _INITIAL_VALUE_LIMIT:  # kept for the diff of the first divergence
                info["value"] = value
        self.created.append((var, info))
        return var

    def events(self, arrays: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for index, (var, info) in enumerate(self.created):
            key = f"v{index}:{info['name']}"
            try:
                value = var.numpy()
            except Exception:  # a variable made inside a graph has no eager value
                continue
            final = fingerprint(value)
            arrays[f"{key}|final"] = value
            if "value" in info:
                arrays[f"{key}|0"] = info["value"]
            out.append(
                {
                    "key": key,
                    "kind": "variable",
                    "op_type": "Variable",
                    "name": info["name"],
                    "t": info["t"],
                    "outputs": [info["initial"]] if "initial" in info else [],
                    "final": final,
                    "trainable": bool(getattr(var, "trainable", False)),
                    "shapes": [list(value.shape)],
                    "dtypes": [str(value.dtype)],
                    "inputs": [],
                    "stack": info["stack"],
                    "unordered": False,
                }
            )
        return out


def _prelude(options: dict[str, Any]) -> None:
    seed = options.get("seed")
    if seed is not None:
        try:
            import keras

            keras.utils.set_random_seed(int(seed))
        except ImportError:  # no Keras: seed what set_random_seed would have
            import random

            import numpy as np
            import tensorflow as tf

            random.seed(int(seed))
            np.random.seed(int(seed))
            tf.random.set_seed(int(seed))
    if options.get("determinism"):
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def _run_program(argv: list[str]) -> dict[str, Any]:
    """Run the program as ``python ARGV`` would; returns how it ended."""
    sys.argv = list(argv)
    try:
        if argv[0] == "-m":
            sys.argv = [argv[1], *argv[2:]]
            runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        else:
            sys.path.insert(0, str(Path(argv[0]).resolve().parent))
            runpy.run_path(argv[0], run_name="__main__")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        return {"status": "ok" if code == 0 else "exit", "exit_code": code}
    except BaseException as exc:
        frames = [(f.filename, f.lineno or 0) for f in traceback.extract_tb(exc.__traceback__)]
        return {
            "status": "exception",
            "exit_code": 1,
            "exception": type(exc).__name__,
            "message": str(exc).strip().splitlines()[0][:500] if str(exc).strip() else "",
            "stack": user_frames(frames),
            "traceback": traceback.format_exc()[-4000:],
        }
    return {"status": "ok", "exit_code": 0}


def main(args: list[str]) -> int:
    record_dir = Path(args[0])
    options: dict[str, Any] = json.loads(args[1])
    program = args[3:] if args[2] == "--" else args[2:]
    environ = dict(os.environ)  # what the run was given, before the program can change it
    start = time.monotonic()
    import tensorflow as tf

    import_s = time.monotonic() - start
    _prelude(options)
    window: _Window | None = None
    dump_root = record_dir / "dump"
    if options.get("dump"):
        window = _Window(dump_root, int(options.get("dump_cap", 256 << 20)))
        tf.debugging.experimental.enable_dump_debug_info(
            str(dump_root),
            tensor_debug_mode="FULL_TENSOR",
            circular_buffer_size=-1,  # write as it goes: the first divergence is what matters
            op_regex=options.get("op_regex"),
        )
        from tensorflow.python.framework import op_callbacks

        op_callbacks.add_op_callback(window.maybe_pause)
        threading.Thread(target=window.watch, daemon=True).start()
    losses = _Losses(options.get("steps"), window)
    variables = _Variables(losses)
    program_start = time.monotonic()
    with tf.variable_creator_scope(variables.creator):
        ended = _run_program(program)
    run_s = time.monotonic() - program_start
    if window is not None:
        window.close()  # before reading variables, which would be traced otherwise
    arrays: dict[str, Any] = {}
    record: dict[str, Any] = {**ended, "import_s": import_s, "run_s": run_s, "dumped": False}
    record.update(_save_env(record_dir, environ))
    record["variables"] = variables.events(arrays)
    record["losses"] = losses.values
    if window is not None:
        record["dump_bytes"] = _tree_size(dump_root)
        record["dump_capped"] = window.capped
        record["dump_stopped"] = window.stopped
        summary = summarise_dump(dump_root, int(options.get("max_ops", 20000)), arrays)
        record.update(summary, dumped=True)
        if not options.get("keep_dump"):
            shutil.rmtree(dump_root, ignore_errors=True)  # the record holds what is compared
    _save(record_dir, record, arrays, int(options.get("array_cap", 64 << 20)))
    sys.stdout.flush()
    return int(ended.get("exit_code", 0))


def _save_env(record_dir: Path, environ: dict[str, str]) -> dict[str, Any]:
    """Write the run's env fingerprint to ``env.json``; what to add to the record.

    Taken after the program (its threads and op determinism settings are then in place, and
    nothing here can change what it computed), from this process: TensorFlow is loaded already.
    """
    start = time.monotonic()
    try:
        from tfdetlint.machine import fingerprint_in_process

        data = fingerprint_in_process(environ)
        (record_dir / "env.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    except Exception as exc:  # the fingerprint is context; it must never cost the run
        return {"env_error": f"{type(exc).__name__}: {exc}"[:500]}
    return {"env_s": time.monotonic() - start}


def _save(record_dir: Path, record: dict[str, Any], arrays: dict[str, Any], cap: int) -> None:
    import numpy as np

    kept: dict[str, Any] = {}
    used = 0
    for key, value in arrays.items():
        size = int(getattr(value, "nbytes", 0))
        if used + size <= cap:
            kept[key] = value
            used += size
    # Keys hold '|' and ':'; npz names must be plain, so store them under an index.
    names = sorted(kept)
    np.savez(record_dir / "arrays.npz", **{f"a{i}": kept[n] for i, n in enumerate(names)})
    record["arrays"] = {n: f"a{i}" for i, n in enumerate(names)}
    (record_dir / "record.json").write_text(json.dumps(record), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
