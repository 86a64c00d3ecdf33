"""``tfdetlint env``: the machine as a reproducibility fact, and ``env --diff`` between two of them.

Same code and seed, different results on another machine: the answer is usually here. A
fingerprint records what can change a TensorFlow run's numbers between machines (library
versions and their CUDA/cuDNN build, GPU model, CPU instruction sets with the oneDNN setting,
thread counts, the determinism-relevant environment variables, the installed packages).

TensorFlow is imported only in a child process with a timeout: a broken or hanging install is
reported in the fingerprint, never a crash of this command. ``tfdetlint trace`` records the same
fingerprint inside each traced run (``fingerprint_in_process``), where TensorFlow is loaded anyway.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from tfdetlint import __version__

SCHEMA = 1

# Environment variables that change what TensorFlow computes, or in which order.
ENV_VARS = (
    "TF_DETERMINISTIC_OPS", "TF_DETERMINISTIC_ORDER", "TF_CUDNN_DETERMINISTIC", "TF_CUDNN_USE_AUTOTUNE",
    "TF_CUDNN_USE_FRONTEND", "TF_USE_CUDNN_AUTOTUNE", "TF_XLA_FLAGS", "XLA_FLAGS", "TF_ENABLE_ONEDNN_OPTS",
    "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
    "TF_USE_LEGACY_KERAS", "KERAS_BACKEND", "PYTHONHASHSEED", "CUDA_VISIBLE_DEVICES",
    "NVIDIA_TF32_OVERRIDE", "TF_ENABLE_AUTO_MIXED_PRECISION", "TF_DISABLE_SCATTER_OP_DETERMINISM",
    "TF_USE_DETERMINISTIC_SEGMENT_REDUCTIONS", "TF_GPU_ALLOCATOR", "TF_FORCE_GPU_ALLOW_GROWTH",
)
ENV_PREFIXES = ("TF_CUDNN_", "TF_DETERMINISTIC_", "TF_DISABLE_", "TF_XLA_", "XLA_")

# CPU features that decide which vectorised kernels Eigen and oneDNN run (and so float rounding).
ISA_FLAGS = frozenset({
    "sse4_1", "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512dq", "avx512vl",
    "avx512_vnni", "avx512_bf16", "avx512_fp16", "avx_vnni", "amx_tile", "amx_bf16", "amx_int8",
    # Arm
    "asimd", "asimddp", "sve", "sve2", "bf16", "i8mm",
})

# Packages whose version changes numbers; other package changes are reported as informational.
RESULT_PACKAGES = re.compile(
    r"^(tensorflow.*|tf[-_].*|keras.*|numpy|jax.*|scipy|scikit[-_]learn|torch|"
    r"nvidia[-_].*|intel[-_].*|ml[-_]dtypes|tensorflow[-_]probability)$"
)

def tensorflow_facts() -> dict[str, Any]:
    """What TensorFlow says about itself: version, build, GPUs, threads, op determinism, oneDNN.

    Imports TensorFlow. ``probe_tensorflow`` runs this function's source in a child process (of
    any Python: tfdetlint need not be importable there), so it stays self-contained: imports
    inside, nothing from this module. ``tfdetlint trace`` calls it inside the traced program's
    process, which has imported TensorFlow already.
    """
    import tensorflow as tf

    out: dict[str, Any] = {"version": tf.__version__, "git_version": getattr(tf, "__git_version__", None)}
    try:
        info = dict(tf.sysconfig.get_build_info())
        out["build_info"] = {k: (v if isinstance(v, (str, int, float, bool)) or v is None else str(v))
                             for k, v in info.items()}
    except Exception as exc:
        out["build_info_error"] = f"{type(exc).__name__}: {exc}"
    out["built_with_cuda"] = bool(tf.test.is_built_with_cuda())
    gpus = []
    for device in tf.config.list_physical_devices("GPU"):
        try:
            details = tf.config.experimental.get_device_details(device)
        except Exception:
            details = {}
        cc = details.get("compute_capability")
        gpus.append({"device": device.name, "name": details.get("device_name"),
                     "compute_capability": ".".join(map(str, cc)) if cc else None})
    out["gpus"] = gpus
    out["threads"] = {"intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
                      "inter_op": tf.config.threading.get_inter_op_parallelism_threads()}
    try:
        from tensorflow.python.framework import config as _config
        out["op_determinism"] = bool(_config.is_op_determinism_enabled())
    except Exception:
        out["op_determinism"] = None
    try:
        out["keras_via_tf"] = tf.keras.__version__
    except Exception as exc:
        out["keras_via_tf"] = f"error: {type(exc).__name__}"
    try:  # what TensorFlow's "oneDNN custom operations are on" log line is decided by
        from tensorflow.python.util import _pywrap_util_port
        out["onednn"] = "on" if _pywrap_util_port.IsMklEnabled() else "off"
    except Exception:
        out["onednn"] = None
    return out


def _probe_script() -> str:
    """The child's program: ``tensorflow_facts`` as source, printing one JSON line."""
    import inspect

    return ("from __future__ import annotations\nimport json\nfrom typing import Any\n"
            f"{inspect.getsource(tensorflow_facts)}\nprint(json.dumps(tensorflow_facts()))\n")


# ---------------------------------------------------------------------------------------------
# Recording


def probe_tensorflow(timeout: float = 120.0, python: str | None = None,
                     env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Import TensorFlow in a child process; ``status`` says ok, absent, broken or timeout."""
    environment = dict(os.environ if env is None else env)
    environment["TF_CPP_MIN_LOG_LEVEL"] = "0"  # the child's log says whether oneDNN is on
    if python is None and env is None and importlib.util.find_spec("tensorflow") is None:
        return {"status": "absent"}
    try:
        proc = subprocess.run([python or sys.executable, "-c", _probe_script()], capture_output=True, text=True,
                              timeout=timeout, env=environment)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "error": f"importing TensorFlow took longer than {timeout:g}s"}
    except OSError as exc:
        return {"status": "broken", "error": f"{type(exc).__name__}: {exc}"}
    if proc.returncode != 0:
        tail = proc.stderr.strip().splitlines()[-1:] or [f"exit status {proc.returncode}"]
        if re.search(r"ModuleNotFoundError: No module named '?tensorflow'?$", tail[0]):
            return {"status": "absent"}
        return {"status": "broken", "error": tail[0][-500:]}
    lines = proc.stdout.strip().splitlines()
    try:
        data = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return {"status": "broken", "error": "the probe printed no result"}
    # TensorFlow logs this at import when its oneDNN kernels are on (the default on some CPUs);
    # the log, forced on above, is what users see, so it decides here.
    data["onednn"] = "on" if "oneDNN custom operations are on" in proc.stderr else "off"
    return {"status": "ok", **data}


def cpu_info(cpuinfo: Path = Path("/proc/cpuinfo")) -> dict[str, Any]:
    import platform  # here, not at import: `tfdetlint check` builds this command's parser too

    model = platform.processor() or None
    flags: set[str] = set()
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key in ("model name", "hardware", "cpu model") and value.strip():
            model = value.strip()
        elif key in ("flags", "features") and not flags:
            flags = set(value.split())
    usable: int | None
    try:
        usable = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = os.cpu_count()
    return {"model": model, "machine": platform.machine(), "isa": sorted(flags & ISA_FLAGS),
            "cores": os.cpu_count(), "usable_cores": usable}


def nvidia_smi(timeout: float = 20.0) -> list[dict[str, str]] | None:
    """GPUs as the driver sees them, or None when nvidia-smi is absent or fails."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        proc = subprocess.run([exe, "--query-gpu=name,driver_version,compute_cap,memory.total",
                               "--format=csv,noheader"], capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    gpus = []
    for line in proc.stdout.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 4:
            gpus.append({"name": parts[0], "driver": parts[1], "compute_capability": parts[2],
                         "memory": parts[3]})
    return gpus


def environment(env: Mapping[str, str] | None = None) -> dict[str, str | None]:
    env = os.environ if env is None else env
    names = set(ENV_VARS) | {k for k in env if k.startswith(ENV_PREFIXES)}
    return {name: env.get(name) for name in sorted(names)}


def packages() -> dict[str, Any]:
    import importlib.metadata  # slow to import; only `tfdetlint env` needs it

    versions: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            versions[re.sub(r"[-_.]+", "-", name).lower()] = dist.version
    listing = "\n".join(f"{k}=={v}" for k, v in sorted(versions.items()))
    return {"count": len(versions), "digest": hashlib.sha256(listing.encode()).hexdigest()[:16],
            "versions": dict(sorted(versions.items()))}


def fingerprint(timeout: float = 120.0, tensorflow: Mapping[str, Any] | None = None,
                environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """This machine's fingerprint. ``tensorflow``: facts already collected (with a ``status``)
    instead of a probe child; ``environ``: the environment variables to record (default: ours)."""
    import platform

    listing = packages()
    installed = listing["versions"]
    return {
        "schema": SCHEMA,
        "tool": f"tfdetlint {__version__}",
        "recorded": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": platform.node(),
        "os": f"{platform.system()} {platform.release()}",
        "python": {"version": platform.python_version(), "implementation": platform.python_implementation(),
                   "executable": sys.executable},
        "versions": {name: installed.get(name) for name in ("keras", "tf-keras", "numpy")},
        "tensorflow": dict(tensorflow) if tensorflow is not None else probe_tensorflow(timeout),
        "driver": nvidia_smi(),
        "cpu": cpu_info(),
        "env": environment(environ),
        "packages": listing,
    }


def fingerprint_in_process(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The fingerprint of this process, which has imported TensorFlow (``tfdetlint trace``'s
    child): the TensorFlow facts come from here, with no probe child and no second import."""
    try:
        facts: dict[str, Any] = {"status": "ok", **tensorflow_facts()}
    except Exception as exc:
        facts = {"status": "broken", "error": f"{type(exc).__name__}: {exc}"[:500]}
    return fingerprint(tensorflow=facts, environ=environ)


# ---------------------------------------------------------------------------------------------
# Comparing


@dataclass(frozen=True)
class Difference:
    key: str
    before: str
    after: str
    why: str
    relevant: bool


def _flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _flatten(value, f"{prefix}.{key}" if prefix else str(key))
    else:
        yield prefix, data


def _show(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return "; ".join(_device(v) for v in value) or "(none)"
    if isinstance(value, list):
        return " ".join(map(str, value)) or "(none)"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _device(entry: Mapping[str, Any]) -> str:
    details = ", ".join(f"{k} {entry[k]}" for k in ("compute_capability", "driver") if entry.get(k))
    name = entry.get("name") or entry.get("device") or "?"
    return f"{name} ({details})" if details else str(name)


def _comparable(data: Mapping[str, Any]) -> dict[str, Any]:
    """The fingerprint with nvidia-smi's list split into driver versions and GPU names."""
    out = dict(data)
    driver = out.pop("driver", None)
    if isinstance(driver, list):
        out["driver"] = {"version": " ".join(sorted({str(g.get("driver")) for g in driver})) or None,
                         "gpus": [{"name": g.get("name"), "compute_capability": g.get("compute_capability")}
                                  for g in driver]}
    return out


# Keys that say nothing about results, and keys compared on their own below.
_IGNORED = re.compile(r"^(schema|tool|recorded|host|python\.executable|packages\.(count|digest|versions\..*)"
                      r"|tensorflow\.(git_version|error|build_info_error))$")

# (key pattern, why it can change results). The first match wins.
_WHY: tuple[tuple[str, str], ...] = (
    (r"^tensorflow\.version$",
     "TensorFlow changes kernels between versions and promises determinism only on one version: "
     "expect different bits"),
    (r"^tensorflow\.status$", "TensorFlow imports on one machine and not the other"),
    (r"^tensorflow\.build_info\.cudnn_version$",
     "convolution and pooling algorithms differ between cuDNN versions; bit-identical results across "
     "them are not expected even with op determinism"),
    (r"^tensorflow\.build_info\.cuda_version$",
     "cuBLAS/cuDNN kernels and libdevice maths differ between CUDA versions: expect different bits on GPU"),
    (r"^tensorflow\.build_info\.cuda_compute_capabilities$",
     "the wheel carries kernels for other GPU architectures; missing ones are JIT-compiled from PTX"),
    (r"^tensorflow\.build_info\.", "a different TensorFlow build (compiler flags and bundled libraries)"),
    (r"^tensorflow\.built_with_cuda$", "a CPU-only build against a GPU build: different kernels and devices"),
    (r"^tensorflow\.onednn$",
     "oneDNN kernels on in one and off in the other: CPU float results differ in the last bits "
     "(TensorFlow says so at import)"),
    (r"^tensorflow\.gpus$",
     "a different GPU model, count or compute capability: other kernels and algorithm choices, and "
     "multi-GPU sums in another order; op determinism holds only on the same hardware"),
    (r"^driver\.version$", "the driver JIT-compiles PTX for GPUs the wheel has no binary for: a "
     "different driver can compile those kernels differently"),
    (r"^driver\.gpus$", "other GPUs (as nvidia-smi sees them): other kernels and algorithm choices"),
    (r"^tensorflow\.threads\.intra_op$",
     "intra-op threads split reductions and matmuls into different blocks: CPU sums can round differently"),
    (r"^tensorflow\.threads\.inter_op$",
     "inter-op threads change op scheduling: matters for ops that are not deterministic"),
    (r"^tensorflow\.op_determinism$", "op determinism on in one and off in the other: GPU kernels, "
     "tf.data order and unseeded random ops behave differently"),
    (r"^tensorflow\.keras_via_tf$", "tf.keras is a different Keras (2 vs 3 seed Keras layers differently)"),
    (r"^versions\.keras$", "Keras changes layer defaults and how unseeded layers draw seeds between versions"),
    (r"^versions\.tf-keras$", "tf_keras (Keras 2) version differs: layer defaults and RNG use may differ"),
    (r"^versions\.numpy$", "NumPy's Generator streams and SIMD float sums may change between versions "
     "(the legacy RandomState stream is kept stable)"),
    (r"^python\.version$", "a different Python: other wheels get installed, and str hashing and "
     "dict/set details can change"),
    (r"^python\.implementation$", "a different Python implementation"),
    (r"^os$", "a different OS or kernel: file listing order and bundled system libraries can differ"),
    (r"^cpu\.isa$", "different CPU instruction sets (AVX-512, AMX...): oneDNN and Eigen pick other "
     "vectorised kernels, so CPU float results can differ in the last bits"),
    (r"^cpu\.model$", "a different CPU: oneDNN picks kernels per CPU, so float results can differ"),
    (r"^cpu\.machine$", "a different architecture: different kernels throughout"),
    (r"^cpu\.(usable_)?cores$", "TensorFlow sizes its default thread pools from the core count: CPU "
     "reductions split differently"),
    (r"^env\.TF_DETERMINISTIC_OPS$", "op determinism is switched by this variable: on in one run only"),
    (r"^env\.TF_CUDNN_DETERMINISTIC$", "cuDNN convolution/pooling algorithm choice is fixed in one run only"),
    (r"^env\.(TF_CUDNN_USE_AUTOTUNE|TF_USE_CUDNN_AUTOTUNE|TF_CUDNN_USE_FRONTEND)$",
     "cuDNN autotuning picks algorithms by timing: a different algorithm, different bits"),
    (r"^env\.(TF_XLA_FLAGS|XLA_FLAGS)$", "XLA flags change clustering and fusion, so the order of float "
     "operations"),
    (r"^env\.TF_ENABLE_ONEDNN_OPTS$", "oneDNN on in one and off in the other: CPU float results differ "
     "in the last bits (TensorFlow warns about this at import)"),
    (r"^env\.(TF_NUM_INTRAOP_THREADS|TF_NUM_INTEROP_THREADS|OMP_NUM_THREADS|MKL_NUM_THREADS)$",
     "thread counts split CPU reductions differently: sums can round differently"),
    (r"^env\.TF_USE_LEGACY_KERAS$", "tf.keras is Keras 2 (tf_keras) in one and Keras 3 in the other: "
     "unseeded layers follow different seeds"),
    (r"^env\.KERAS_BACKEND$", "a different Keras backend: different kernels and random streams"),
    (r"^env\.PYTHONHASHSEED$", "str/bytes hashing differs: set iteration order and hash()-derived "
     "values (bucket ids, seeds) change (TFD602)"),
    (r"^env\.CUDA_VISIBLE_DEVICES$", "a different set or order of GPUs: device placement and multi-GPU "
     "reduction order change"),
    (r"^env\.NVIDIA_TF32_OVERRIDE$", "TF32 matmuls on Ampere+ GPUs on in one run only: ~1e-3 relative "
     "differences in float32 matmuls and convolutions"),
    (r"^env\.TF_ENABLE_AUTO_MIXED_PRECISION$", "automatic mixed precision in one run only: float16 maths"),
    (r"^env\.(TF_DISABLE_SCATTER_OP_DETERMINISM|TF_USE_DETERMINISTIC_SEGMENT_REDUCTIONS|TF_DETERMINISTIC_ORDER)$",
     "switches a deterministic kernel or order on or off"),
    (r"^env\.", "a determinism-related TensorFlow setting"),
)

_INFORMATIONAL = re.compile(r"^(env\.(TF_GPU_ALLOCATOR|TF_FORCE_GPU_ALLOW_GROWTH)|tensorflow\.threads\.inter_op"
                            r"|cpu\.model|driver\.gpus)$")


def why(key: str) -> str | None:
    for pattern, reason in _WHY:
        if re.search(pattern, key):
            return reason
    return None


def _python_minor(value: Any) -> str:
    return ".".join(str(value).split(".")[:2])


def compare(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[Difference]:
    """Every difference between two fingerprints, each with why it can change results."""
    left, right = dict(_flatten(_comparable(a))), dict(_flatten(_comparable(b)))
    out: list[Difference] = []
    for key in sorted(set(left) | set(right)):
        if _IGNORED.match(key):
            continue
        before, after = left.get(key), right.get(key)
        if before == after:
            continue
        reason = why(key)
        if reason is None:
            continue
        relevant = not _INFORMATIONAL.match(key)
        if isinstance(before, list) and isinstance(after, list) and all(
                isinstance(v, str) for v in [*before, *after]):
            before, after = [v for v in before if v not in after], [v for v in after if v not in before]
            out.append(Difference(key, "-" + " -".join(before) if before else "(nothing removed)",
                                  "+" + " +".join(after) if after else "(nothing added)", reason, relevant))
            continue
        if key == "python.version" and _python_minor(before) == _python_minor(after):
            relevant, reason = False, "a different Python patch release: rarely changes numbers"
        out.append(Difference(key, _show(before), _show(after), reason, relevant))
    out.extend(_package_differences(a, b))
    return out


def _package_differences(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[Difference]:
    left = dict((a.get("packages") or {}).get("versions") or {})
    right = dict((b.get("packages") or {}).get("versions") or {})
    changed = sorted(n for n in set(left) | set(right) if left.get(n) != right.get(n))
    shown = {"keras", "tf-keras", "numpy"}  # compared under versions.*
    if all((f.get("tensorflow") or {}).get("status") == "ok" for f in (a, b)):
        shown |= {n for n in changed if n.startswith("tensorflow")}  # compared as tensorflow.version
    result = [n for n in changed if RESULT_PACKAGES.match(n) and n not in shown]
    other = [n for n in changed if not RESULT_PACKAGES.match(n)]
    out = [Difference(f"packages.{n}", _show(left.get(n)), _show(right.get(n)),
                      "a numerical library or GPU runtime (CUDA/cuDNN wheels): its kernels can change results",
                      True) for n in result]
    if other:
        names = ", ".join(other[:8]) + (f" and {len(other) - 8} more" if len(other) > 8 else "")
        out.append(Difference("packages (other)", f"{len(other)} differ", names,
                              "packages that do not compute (no effect on numbers expected)", False))
    return out


# ---------------------------------------------------------------------------------------------
# Printing and the command


def render_text(data: Mapping[str, Any]) -> str:
    lines = [f"# {data.get('tool', 'tfdetlint')} environment fingerprint, recorded {data.get('recorded', '?')}"]
    skip = re.compile(r"^packages\.versions\.")
    for key, value in _flatten(dict(data)):
        if key in ("tool", "recorded") or skip.match(key):
            continue
        lines.append(f"{key}: {_show(value)}")
    return "\n".join(lines) + "\n"


def render_diff(differences: list[Difference], a_name: str, b_name: str) -> str:
    if not differences:
        return f"no differences that can change results between {a_name} and {b_name}\n"
    lines = [f"--- {a_name}", f"+++ {b_name}", *difference_lines(differences)]
    return "\n".join(lines) + "\n"


def difference_lines(differences: list[Difference]) -> list[str]:
    """Each difference and why it can change results, then the count (``env --diff``'s body)."""
    lines = []
    for d in differences:
        mark = "" if d.relevant else " (informational)"
        lines.append(f"{d.key}: {d.before} -> {d.after}{mark}")
        lines.append(f"    why: {d.why}")
    relevant = sum(d.relevant for d in differences)
    lines.append(f"{relevant} difference(s) that can change results, {len(differences) - relevant} informational")
    return lines


def _load(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "schema" not in data:
        raise ValueError(f"{path} is not a tfdetlint env fingerprint (no 'schema')")
    return data


def run_env_command(args: argparse.Namespace, stdout: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout
    if args.diff:
        try:
            a, b = (_load(p) for p in args.diff)
        except (OSError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
            print(f"tfdetlint env: {exc}", file=sys.stderr)
            return 2
        differences = compare(a, b)
        stdout.write(render_diff(differences, str(args.diff[0]), str(args.diff[1])))
        return 1 if any(d.relevant for d in differences) else 0
    data = fingerprint(args.timeout)
    text = json.dumps(data, indent=2, sort_keys=False) + "\n" if args.format == "json" else render_text(data)
    if args.output_file is not None:
        args.output_file.write_text(text, encoding="utf-8")
    else:
        stdout.write(text)
    return 0
