#!/usr/bin/env python3
"""Inventory of seed-taking APIs, checked against the catalogue (maintainer script, issue 13).

Imports TensorFlow, Keras 3 and, when installed, tf_keras, tensorflow_datasets, keras_cv,
keras_hub, tensorflow_probability, scikit-learn and NumPy; walks their public namespaces and
lists every callable (function, class, and method of a public class) that has a parameter whose
name matches ``SEED_PARAM``:

    (^|_)(seed|seeds|seed2)($|_)   seed, seed2, shuffle_seed, seed_generator, op_seed ...
    ^shuffle($|_)                  shuffle, shuffle_files, shuffle_buffer_size ...
    ^random_state$                 scikit-learn

Each API is named canonically with the catalogue's own normalisation (rules/apis/names.toml via
``Catalogue.canonical``), so ``tf.keras.layers.Dropout``, ``keras.layers.Dropout`` and
``tf_keras.layers.Dropout`` are one API and ``tf.compat.v1.random_normal`` is
``tensorflow.random_normal``. Every API must be catalogued (rng.toml, shuffle.toml, order.toml,
ops.toml, seeds.toml) or reviewed (rules/apis/reviewed.toml) with a reason.

It also lists the determinism error strings in the TensorFlow shared libraries and checks each
against ops.toml (``op_kernels`` / ``kernel``) or the reviewed ``[[kernel]]`` entries.

Usage::

    PYTHONPATH=. python scripts/api_inventory.py [--json out.json] [--markdown docs/catalogue-coverage.md]
        [--extra-path DIR] [--only tensorflow,keras,numpy]

Exit status 1 when an API or a determinism kernel is left unaccounted for. Not part of the
runtime package: static analysis never imports TensorFlow.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import mmap
import os
import pkgutil
import re
import sys
import time
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tfdetlint.catalogue import Catalogue, load_catalogue  # noqa: E402

SEED_PARAM = re.compile(r"(?:^|_)(?:seed|seeds|seed2)(?:$|_)|^shuffle(?:$|_)|^random_state$")

# (import name, root path to walk, how the report names the package)
PACKAGES: tuple[tuple[str, str], ...] = (
    ("tensorflow", "tensorflow"),
    ("keras", "keras"),
    ("tf_keras", "tf_keras"),
    ("tensorflow_datasets", "tensorflow_datasets"),
    ("keras_cv", "keras_cv"),
    ("keras_hub", "keras_hub"),
    ("tensorflow_probability", "tensorflow_probability"),
    ("sklearn", "sklearn"),
    ("numpy", "numpy"),
)

# Public paths not walked, and why (the report lists them).
SKIP_PATHS: dict[str, str] = {
    "tensorflow.compat.v2": "the same API as `tensorflow`",
    "tensorflow.compat.v1.compat": "the compat module again",
    "tensorflow.compat.v1.keras": "legacy Keras 2 surface; `tf_keras` is walked instead",
    "tensorflow.compat.v1.estimator": "removed in TF 2.16+ (lazy stub)",
    "tensorflow.estimator": "removed in TF 2.16+ (lazy stub)",
    "tensorflow.compat.v1.lite": "TFLite converter, no seeds",
    "tensorflow.lite": "TFLite converter, no seeds",
    "tensorflow_datasets.testing": "test utilities",
    "tensorflow_probability.substrates": "JAX/NumPy backends of the same API",
    "tensorflow_probability.python": "implementation modules; the public API is re-exported above",
    "numpy.testing": "test utilities",
    "numpy.f2py": "Fortran wrapper generator",
    "numpy.distutils": "build tooling",
}
SKIP_SEGMENTS = frozenset({"tests", "test_util", "testing_utils", "src", "internal", "_api", "python", "conftest"})
MAX_DEPTH = 7
# tfds re-exposes its implementation modules as attributes (tfds.core.load, ...): only its
# top level and first-level namespaces are its public API.
ROOT_DEPTH = {"tensorflow_datasets": 1}


@dataclass
class Param:
    name: str
    default: str
    position: int | None

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "default": self.default, "position": self.position}


@dataclass
class Api:
    canonical: str
    kind: str
    package: str
    params: list[Param]
    paths: set[str] = field(default_factory=set)
    objects: set[int] = field(default_factory=set)
    status: str = ""
    where: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "canonical": self.canonical,
            "kind": self.kind,
            "package": self.package,
            "params": [p.as_dict() for p in self.params],
            "paths": sorted(self.paths),
            "status": self.status,
            "where": self.where,
        }


def _log(message: str) -> None:
    if os.environ.get("API_INVENTORY_VERBOSE"):
        print(message, file=sys.stderr)


def _public(name: str) -> bool:
    return not name.startswith("_")


def _default(value: Any) -> str:
    if value is inspect.Parameter.empty:
        return "<required>"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _may_match(obj: Any) -> bool:
    """Cheap pre-check on the code object's variable names (signatures are slow to build)."""
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        target = inspect.unwrap(target)
    except Exception:
        return True
    code = getattr(target, "__code__", None)
    if code is None:
        return True  # builtins, slot wrappers: let inspect decide
    names = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
    return any(SEED_PARAM.search(n) for n in names) or bool(code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS))


_CACHE: dict[tuple[int, bool], list[Param] | None] = {}


def seed_params(obj: Any, *, method: bool) -> list[Param] | None:
    """Parameters matching SEED_PARAM, or None when the signature is unavailable."""
    key = (id(obj), method)
    if key not in _CACHE:
        _CACHE[key] = _seed_params(obj, method=method) if _may_match(obj) else []
    return _CACHE[key]


def _seed_params(obj: Any, *, method: bool) -> list[Param] | None:
    try:
        sig = inspect.signature(obj)
    except Exception:  # builtins without a signature, lazy objects that fail on access
        return None
    found = []
    position = 0
    params = list(sig.parameters.values())
    if method and params and params[0].name in ("self", "cls"):
        params = params[1:]
    for p in params:
        positional = p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        if SEED_PARAM.search(p.name) and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            found.append(Param(p.name, _default(p.default), position if positional else None))
        if positional:
            position += 1
    return found


def _safe_getattr(obj: Any, name: str) -> Any:
    try:
        return getattr(obj, name)
    except Exception:  # lazy loaders raise anything when an optional dependency is missing
        return None


def _owned_module(module: types.ModuleType, root: str) -> bool:
    name = getattr(module, "__name__", "") or ""
    return name.split(".")[0] in {root, "tensorflow", "keras", "tf_keras"} if root in (
        "tensorflow", "keras", "tf_keras") else name.split(".")[0] == root


def walk(root_path: str, module: types.ModuleType, root: str) -> Iterator[tuple[str, Any]]:
    """(public path, object) for every public callable reachable through public modules.

    Each module object is read once; a module reached again under another path (an alias
    such as ``tf.random.experimental`` or ``tf.compat.v1.nn``) gives its callables again under
    that path without being walked a second time.
    """
    contents: dict[int, list[tuple[str, Any]]] = {}  # module id -> public callables in it
    queue: list[tuple[str, types.ModuleType, int]] = [(root_path, module, 0)]
    reached: list[tuple[str, int]] = []  # (path, module id)
    while queue:
        path, mod, depth = queue.pop(0)
        if path in SKIP_PATHS or depth > ROOT_DEPTH.get(root, MAX_DEPTH):
            continue
        reached.append((path, id(mod)))
        if id(mod) in contents:
            continue
        found: list[tuple[str, Any]] = []
        subs: list[tuple[str, types.ModuleType]] = []
        for name in sorted(_names_of(mod, root)):
            if not _public(name) or name in SKIP_SEGMENTS:
                continue
            obj = _safe_getattr(mod, name)
            if obj is None:
                continue
            if isinstance(obj, types.ModuleType):
                if _owned_module(obj, root):
                    subs.append((name, obj))
            elif inspect.isclass(obj) or inspect.isroutine(obj):
                found.append((name, obj))
        contents[id(mod)] = found
        queue.extend((f"{path}.{name}", sub, depth + 1) for name, sub in subs)
    for path, mod_id in reached:
        for name, obj in contents.get(mod_id, []):
            yield f"{path}.{name}", obj


def _names_of(mod: types.ModuleType, root: str) -> list[str]:
    names = list(_dir(mod))
    if root == "sklearn" and hasattr(mod, "__path__"):
        # Submodules of these are not attributes until imported.
        for info in pkgutil.iter_modules(mod.__path__):
            if (_public(info.name) and info.name not in SKIP_SEGMENTS and info.name not in names
                    and not info.name.endswith("_test")):
                try:
                    importlib.import_module(f"{mod.__name__}.{info.name}")
                except (Exception, SystemExit):  # optional dependencies missing
                    continue
                names.append(info.name)
    return names


def _dir(mod: types.ModuleType) -> list[str]:
    try:
        return dir(mod)
    except Exception:
        return []


def methods_of(cls: type, public_classes: set[int]) -> Iterator[tuple[str, Any]]:
    """Public methods a public class defines itself or inherits from a private class
    (methods a public base defines are listed under that base)."""
    mro = inspect.getmro(cls)
    public_bases = [b for b in mro[1:] if id(b) in public_classes]
    for name in sorted({n for klass in mro for n in vars(klass) if _public(n)}):
        owner = next((k for k in mro if name in vars(k)), None)
        if owner is None or owner is object:
            continue
        if owner is not cls and (id(owner) in public_classes or any(owner in b.__mro__ for b in public_bases)):
            continue
        raw = vars(owner)[name]
        func = raw.__func__ if isinstance(raw, (classmethod, staticmethod)) else raw
        if inspect.isfunction(func) or inspect.ismethoddescriptor(func) or hasattr(func, "__wrapped__"):
            yield name, func


@dataclass
class Inventory:
    apis: dict[str, Api]
    packages: dict[str, str]
    kernels: list[dict[str, str]]
    signature_mismatches: list[str]


def _import(name: str) -> types.ModuleType | None:
    try:
        return importlib.import_module(name)
    except Exception:
        return None


def build(only: set[str] | None = None, catalogue: Catalogue | None = None) -> Inventory:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    catalogue = catalogue or load_catalogue()
    packages: dict[str, str] = {}
    found: list[tuple[str, str, Any]] = []  # (package, path, object)
    started = time.perf_counter()
    for import_name, root_path in PACKAGES:
        if only and import_name not in only:
            packages[import_name] = "not walked (--only)"
            continue
        module = _import(import_name)
        if module is None:
            packages[import_name] = "not installed"
            continue
        packages[import_name] = str(getattr(module, "__version__", "installed"))
        found.extend((import_name, path, obj) for path, obj in walk(root_path, module, import_name))
        _log(f"walked {import_name}: {len(found)} paths so far, {time.perf_counter() - started:.1f}s")
    public_classes = {id(obj) for _, _, obj in found if inspect.isclass(obj)}
    apis: dict[str, Api] = {}

    def add(package: str, path: str, obj: Any, kind: str, method: bool) -> None:
        params = seed_params(obj, method=method)
        if not params:
            return
        canonical = catalogue.canonical(path)
        api = apis.get(canonical)
        if api is None:
            api = apis[canonical] = Api(canonical, kind, package, params)
        elif ".compat." in min(api.paths) and ".compat." not in path:
            api.params = params  # the TF2 signature, not the TF1 one under the same name
        api.paths.add(path)
        api.objects.add(id(obj))

    done_classes: set[tuple[int, str]] = set()
    for package, path, obj in found:
        if inspect.isclass(obj):
            add(package, path, obj, "class", method=True)
            canonical = catalogue.canonical(path)
            if (id(obj), canonical) in done_classes:
                continue
            done_classes.add((id(obj), canonical))
            for name, func in methods_of(obj, public_classes):
                add(package, f"{path}.{name}", func, "method", method=True)
        else:
            add(package, path, obj, "function", method=False)
    _log(f"signatures: {len(apis)} APIs, {time.perf_counter() - started:.1f}s")
    kernels = determinism_kernels() if "tensorflow" in packages and packages["tensorflow"] != "not installed" else []
    return Inventory(apis, packages, kernels, signature_mismatches(apis, catalogue))


# ---- catalogue and reviewed list


@dataclass
class Reviewed:
    names: dict[str, tuple[str, str]]  # name -> (category, reason)
    patterns: list[tuple[re.Pattern[str], str, str]]
    kernels: dict[str, tuple[str, str]]

    def lookup(self, name: str) -> tuple[str, str] | None:
        if name in self.names:
            return self.names[name]
        for pattern, category, reason in self.patterns:
            if pattern.fullmatch(name):
                return category, reason
        return None


def load_reviewed(path: Path | None = None) -> Reviewed:
    path = path or ROOT / "rules" / "apis" / "reviewed.toml"
    data: dict[str, Any] = {}
    if path.is_file():
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    names: dict[str, tuple[str, str]] = {}
    patterns: list[tuple[re.Pattern[str], str, str]] = []
    for entry in data.get("reviewed", []):
        value = (entry["category"], entry["reason"])
        for name in entry.get("names", []):
            names[name] = value
        for pattern in entry.get("match", []):
            patterns.append((re.compile(pattern), *value))
    kernels = {k: (e["category"], e["reason"]) for e in data.get("kernel", []) for k in e["kernels"]}
    return Reviewed(names, patterns, kernels)


def catalogued(name: str, catalogue: Catalogue) -> str | None:
    """Which catalogue table names this API, if any."""
    tables = (
        ("rng/shuffle", catalogue.random_apis),
        ("ops", catalogue.ops),
        ("order", catalogue.order_apis),
        ("seeds", catalogue.setters),
        ("consumer", catalogue.consumers),
    )
    for label, table in tables:
        if name in table:
            return label
    return None


def classify(inventory: Inventory, catalogue: Catalogue, reviewed: Reviewed) -> None:
    """catalogued, reviewed or left. A method reached under a second class path (``keras.models.Model``
    is ``keras.Model``) counts as catalogued when the same function is catalogued under another
    name: calls on instances resolve through the class's type (types.toml), not its path."""
    by_object: dict[int, list[str]] = {}
    for api in inventory.apis.values():
        for obj in api.objects:
            by_object.setdefault(obj, []).append(api.canonical)
    for api in inventory.apis.values():
        table = catalogued(api.canonical, catalogue)
        if table:
            api.status, api.where = "catalogued", table
            continue
        if api.kind == "method":
            twin = next((n for o in api.objects for n in by_object[o] if catalogued(n, catalogue)), None)
            if twin:
                api.status, api.where = "catalogued", f"same method as {twin}"
                continue
        found = reviewed.lookup(api.canonical)
        if found:
            api.status, api.where = "reviewed", found[0]
        else:
            api.status, api.where = "left", ""


def signature_mismatches(apis: dict[str, Api], catalogue: Catalogue) -> list[str]:
    """Catalogued seed parameters and positions that disagree with the installed signature."""
    out = []
    for api in apis.values():
        for entry in catalogue.random_apis.get(api.canonical, ()):
            if entry.seed is None:
                continue
            param = next((p for p in api.params if p.name == entry.seed), None)
            if param is None:
                out.append(f"{api.canonical}: catalogue seed `{entry.seed}` not in signature "
                           f"({', '.join(p.name for p in api.params)})")
            elif entry.seed_pos is not None and entry.seed_pos != param.position:
                out.append(f"{api.canonical}: catalogue seed_pos {entry.seed_pos}, signature {param.position}")
    return sorted(set(out))


# ---- determinism kernels from the TF binaries

DETERMINISM_WORDS = (b"eterministic implementation", b"eterministic GPU implementation",
                     b"Determinism is not yet supported", b"when determinism is enabled",
                     b"determinism is required", b"does not have a deterministic",
                     b"is not deterministic", b"deterministic XLA implementation",
                     b"cannot be called when determinism", b"eterminism is enabled")
DETERMINISM_MESSAGE = re.compile(
    r"deterministic (?:GPU |XLA )?implementation|Determinism is not yet supported|"
    r"determinism is (?:enabled|required)|does not have a deterministic|is not deterministic|"
    r"when determinism|cannot be called when determinism",
    re.IGNORECASE,
)
_PRINTABLE = frozenset(range(0x20, 0x7F))


def _strings_around(data: mmap.mmap, word: bytes) -> Iterator[str]:
    """The printable C strings in ``data`` that contain ``word`` (bytes.find, no regex scan)."""
    at = data.find(word)
    while at != -1:
        start = at
        while start > 0 and data[start - 1] in _PRINTABLE and at - start < 400:
            start -= 1
        end = at + len(word)
        while end < len(data) and data[end] in _PRINTABLE and end - at < 400:
            end += 1
        yield data[start:end].decode("ascii", "replace")
        at = data.find(word, end)


_KERNEL_IN_STRING = (
    re.compile(r"implementation of ([A-Z][A-Za-z0-9]+)"),
    re.compile(r"supported (?:in GPU implementation of|for) ([A-Z][A-Za-z0-9]+)"),
    re.compile(r"implementation of (fused batch-norm backprop|Scatter ops with ref inputs|CropAndResizeBackprop\w*)"),
    re.compile(r"((?:\(un\)|un)?sorted segment reduction op)"),
    re.compile(r"^(GPU Scatter ops|GPU MaxPool gradient ops|HLO instruction|Timestamp|Random ops)"),
    re.compile(r"The GPU implementation of ([A-Za-z]+)"),
    re.compile(r"^([A-Z][A-Za-z0-9]+) (?:does not|cannot)"),
)


def tf_libraries() -> list[Path]:
    tf = _import("tensorflow")
    if tf is None:
        return []
    base = Path(str(tf.__file__)).resolve().parent
    return sorted({p for p in base.glob("*.so*") if p.is_file()} | {p for p in base.glob("python/*.so") if p.is_file()})


def determinism_kernels() -> list[dict[str, str]]:
    """Messages in the TF binaries about determinism, each with the kernel it names."""
    messages: dict[str, str] = {}
    for lib in tf_libraries():
        with lib.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            for word in DETERMINISM_WORDS:
                for text in _strings_around(data, word):
                    text = text.strip()
                    if 20 <= len(text) <= 400 and DETERMINISM_MESSAGE.search(text):
                        messages.setdefault(text, lib.name)
    out = []
    for message, library in sorted(messages.items()):
        kernel = next((m.group(1) for p in _KERNEL_IN_STRING if (m := p.search(message))), "")
        out.append({"message": message, "library": library, "kernel": kernel})
    return out


def op_kernel_names(catalogue_dir: Path | None = None) -> set[str]:
    """Kernel names ops.toml entries claim (``kernel`` text and ``op_kernels`` lists)."""
    path = (catalogue_dir or ROOT / "rules") / "apis" / "ops.toml"
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    names: set[str] = set()
    for entry in data.get("op", []):
        names.update(entry.get("op_kernels", []))
        names.update(re.findall(r"[A-Za-z][A-Za-z0-9()]+", entry.get("kernel", "")))
    return names


def classify_kernels(kernels: list[dict[str, str]], reviewed: Reviewed) -> None:
    known = op_kernel_names()
    for item in kernels:
        kernel = item["kernel"]
        if kernel and kernel in known:
            item["status"] = "catalogued"
        elif kernel in reviewed.kernels or item["message"] in reviewed.kernels:
            item["status"] = "reviewed"
            item["reason"] = reviewed.kernels.get(kernel, reviewed.kernels.get(item["message"], ("", "")))[1]
        else:
            item["status"] = "left"


# ---- output


def counts(inventory: Inventory) -> dict[str, int]:
    result = {"total": len(inventory.apis), "catalogued": 0, "reviewed": 0, "left": 0}
    for api in inventory.apis.values():
        result[api.status] += 1
    return result


def as_json(inventory: Inventory) -> dict[str, Any]:
    return {
        "pattern": SEED_PARAM.pattern,
        "packages": inventory.packages,
        "counts": counts(inventory),
        "apis": [inventory.apis[k].as_dict() for k in sorted(inventory.apis)],
        "kernels": inventory.kernels,
        "signature_mismatches": inventory.signature_mismatches,
    }


NOT_INSTALLED_NOTE = {
    "tf_keras": "Keras 2; its names canonicalise to `keras.*` (names.toml), so the Keras 3 entries cover them",
    "tensorflow_datasets": "entries in shuffle.toml come from the tfds documentation (`tfds.load`, `DatasetBuilder.as_dataset`, `ReadConfig`)",
    "keras_cv": "augmentation layers catalogued from the KerasCV documentation",
    "keras_hub": "samplers and layers catalogued from the KerasHub documentation",
    "tensorflow_probability": "`Distribution.sample(seed=)` catalogued from the TFP documentation",
    "sklearn": "splitters catalogued from the scikit-learn documentation",
    "numpy": "",
}


def markdown(inventory: Inventory) -> str:
    c = counts(inventory)
    lines = [
        "# Catalogue coverage",
        "",
        "Generated by `scripts/api_inventory.py --markdown docs/catalogue-coverage.md`; do not edit by hand.",
        "Every public callable with a parameter matching",
        f"`{SEED_PARAM.pattern}` is either in the catalogue (`rules/apis/*.toml`)",
        "or reviewed with a reason (`rules/apis/reviewed.toml`). `tests/test_catalogue_coverage.py`",
        "regenerates this in CI and fails on any API left.",
        "",
        "## Packages",
        "",
        "| Package | Version | Note |",
        "|---|---|---|",
    ]
    for name, version in inventory.packages.items():
        note = NOT_INSTALLED_NOTE.get(name, "") if version == "not installed" else ""
        lines.append(f"| `{name}` | {version} | {note} |")
    lines += [
        "",
        "CI (`.ci/run`) installs only `tensorflow-cpu`, which brings Keras 3 and NumPy; the test walks",
        "those and skips the packages that are not installed. The entries for `tf_keras`,",
        "`tensorflow_datasets`, `keras_cv`, `keras_hub`, `tensorflow_probability` and scikit-learn cite",
        "their documentation or source in `source`; this report was generated with them installed",
        "(`pip install --target DIR --no-deps ...`, `--extra-path DIR`).",
        "",
        "Not walked: " + "; ".join(f"`{k}` ({v})" for k, v in SKIP_PATHS.items()) + ".",
        "",
        "## Measurements behind the new entries",
        "",
        "Two fresh processes per setting (no seed; `tf.random.set_seed(1)`; `np.random.seed(1)`;",
        "`random.seed(1)`), TF 2.21 CPU, Keras 3.15.1, output digests compared; `measured:` in an",
        "entry's `source` refers to these:",
        "",
        "- differ unseeded, identical under `tf.random.set_seed` only: `Dataset.random`,",
        "  `fixed_unigram_candidate_sampler`, `learned_unigram_candidate_sampler`, `nn.nce_loss`,",
        "  `make_csv_dataset` (default `shuffle=True`), `Dataset.sample_from_datasets`,",
        "  `tf.compat.v1.distributions.Normal(...).sample`;",
        "- identical under `random.seed` only (Keras 3 SeedGenerator): `RandAugment`, `MixUp`, `CutMix`,",
        "  `AugMix`, `RandomColorJitter`, `RandomErasing`, `RandomGrayscale`, `SpatialDropout2D`,",
        "  `LSTM(dropout=, recurrent_dropout=)`, `MultiHeadAttention(dropout=)`, `keras.utils.split_dataset(shuffle=True)`",
        "(`RandomErasing` was also identical under `tf.random.set_seed`);",
        "- identical under `np.random.seed` only: `keras.utils.timeseries_dataset_from_array(shuffle=True)`; identical under",
        "`np.random.seed` (other seeds not tried):",
        "  `tf.keras.preprocessing.image.ImageDataGenerator(rotation_range=30).flow(x, y)` (also with",
        "  `flow(..., seed=1)`; `flow(..., shuffle=False)` without augmentation is deterministic);",
        "- `tf.initializers.GlorotNormal` is `keras.src.initializers.random_initializers` (Keras 3);",
        "  `keras.datasets.imdb.load_data` defaults to `seed=113`.",
        "",
        "## Counts",
        "",
        f"- public seed-taking APIs (canonical names): **{c['total']}**",
        f"- catalogued: **{c['catalogued']}**",
        f"- reviewed: **{c['reviewed']}**",
        f"- left: **{c['left']}**",
        "",
    ]
    by_pkg: dict[str, dict[str, int]] = {}
    for api in inventory.apis.values():
        row = by_pkg.setdefault(api.package, {"catalogued": 0, "reviewed": 0, "left": 0})
        row[api.status] += 1
    lines += ["| Package | Catalogued | Reviewed | Left |", "|---|---|---|---|"]
    for pkg, row in sorted(by_pkg.items()):
        lines.append(f"| `{pkg}` | {row['catalogued']} | {row['reviewed']} | {row['left']} |")
    categories: dict[str, int] = {}
    for api in inventory.apis.values():
        if api.status == "reviewed":
            categories[api.where] = categories.get(api.where, 0) + 1
    lines += ["", "Reviewed, by reason category: " + ", ".join(
        f"{k} {v}" for k, v in sorted(categories.items())) + ".", ""]
    kernel_counts: dict[str, int] = {}
    for k in inventory.kernels:
        kernel_counts[k.get("status", "")] = kernel_counts.get(k.get("status", ""), 0) + 1
    lines += [
        "## Determinism kernels (strings in the TensorFlow binaries)",
        "",
        f"{len(inventory.kernels)} messages: " + ", ".join(f"{k} {v}" for k, v in sorted(kernel_counts.items())) + ".",
        "",
        "| Kernel | Status | Message |",
        "|---|---|---|",
    ]
    for k in inventory.kernels:
        message = k["message"].replace("|", "\\|")
        if len(message) > 120:
            message = message[:117] + "..."
        lines.append(f"| {k['kernel'] or '-'} | {k.get('status', '')} | {message} |")
    if inventory.signature_mismatches:
        lines += ["", "## Catalogue/signature mismatches", ""]
        lines += [f"- {m}" for m in inventory.signature_mismatches]
    lines += ["", "## APIs", "", "| API | Kind | Seed-like parameters (position, default) | Status |", "|---|---|---|---|"]
    for name in sorted(inventory.apis):
        api = inventory.apis[name]
        params = ", ".join(f"`{p.name}`({'kw' if p.position is None else p.position}, {p.default})" for p in api.params)
        params = params.replace("|", "\\|")
        lines.append(f"| `{name}` | {api.kind} | {params} | {api.status}: {api.where} |")
    return "\n".join(lines) + "\n"


# ---- "Covers" sections of the rule docs (rules/docs/TFDnnn.md), generated from the catalogue

COVERS_START = "<!-- covers: generated by scripts/api_inventory.py --docs; do not edit -->"
COVERS_END = "<!-- /covers -->"


def covered_names(catalogue: Catalogue) -> dict[str, set[str]]:
    """Rule code -> canonical names of the catalogue entries that report it."""
    out: dict[str, set[str]] = {}
    for name, entries in catalogue.random_apis.items():
        for entry in entries:
            if entry.rule:
                out.setdefault(entry.rule, set()).add(name)
                if entry.domain in ("tf", "numpy", "python", "keras"):
                    out.setdefault("TFD501", set()).add(name)
    for name in catalogue.consumers:
        out.setdefault("TFD501", set()).add(name)
    for name, ops in catalogue.ops.items():
        for op in ops:
            for cpu_only in (True, False):
                code = op.rule_for(cpu_only)
                if code:
                    out.setdefault(code, set()).add(name)
    for name, order in catalogue.order_apis.items():
        for stage in order:
            out.setdefault(stage.rule, set()).add(name)
    for attribute in catalogue.attribute_rules:
        out.setdefault(attribute.rule, set()).update(f"{attribute.owner}.{n}" for n in attribute.names)
    for name in catalogue.parallel_stages:
        out.setdefault("TFD404", set()).add(name)
    return out


def covers_section(code: str, names: set[str]) -> str:
    listed = ", ".join(f"`{n}`" for n in sorted(names))
    return (f"{COVERS_START}\n## Covers\n\n{len(names)} catalogued APIs (canonical names, `rules/apis/*.toml`; "
            f"`docs/catalogue-coverage.md` lists what was reviewed instead): {listed}.\n{COVERS_END}\n")


def update_docs(catalogue: Catalogue, docs: Path | None = None, write: bool = True) -> list[str]:
    """Rewrite each rule doc's generated Covers section; returns the docs that were stale."""
    docs = docs or ROOT / "rules" / "docs"
    stale = []
    for code, names in sorted(covered_names(catalogue).items()):
        page = docs / f"{code}.md"
        if not page.is_file():
            continue
        text = page.read_text(encoding="utf-8")
        section = covers_section(code, names)
        if COVERS_START in text:
            before, rest = text.split(COVERS_START, 1)
            after = rest.split(COVERS_END, 1)[1].lstrip("\n")
            new = before + section + after
        else:
            new = text.rstrip("\n") + "\n\n" + section
        if new != text:
            stale.append(code)
            if write:
                page.write_text(new, encoding="utf-8")
    return stale


def run(only: set[str] | None = None) -> Inventory:
    catalogue = load_catalogue(str(ROOT / "rules"))
    inventory = build(only, catalogue)
    reviewed = load_reviewed()
    classify(inventory, catalogue, reviewed)
    classify_kernels(inventory.kernels, reviewed)
    return inventory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="write the inventory as JSON here ('-' for stdout)")
    parser.add_argument("--markdown", type=Path, help="write the coverage report here")
    parser.add_argument("--extra-path", action="append", default=[],
                        help="append a directory to sys.path (packages installed with pip --target)")
    parser.add_argument("--only", help="comma-separated import names to walk")
    parser.add_argument("--docs", action="store_true",
                        help="only rewrite the generated Covers section of rules/docs/*.md (no imports)")
    args = parser.parse_args(argv)
    if args.docs:
        print("updated:", " ".join(update_docs(load_catalogue(str(ROOT / "rules")))) or "nothing", file=sys.stderr)
        return 0
    sys.path.extend(args.extra_path)
    inventory = run(set(args.only.split(",")) if args.only else None)
    if args.json:
        text = json.dumps(as_json(inventory), indent=1, sort_keys=False)
        if str(args.json) == "-":
            print(text)
        else:
            args.json.write_text(text + "\n", encoding="utf-8")
    if args.markdown:
        args.markdown.write_text(markdown(inventory), encoding="utf-8")
    c = counts(inventory)
    left_kernels = [k for k in inventory.kernels if k.get("status") == "left"]
    print(f"{c['total']} APIs: {c['catalogued']} catalogued, {c['reviewed']} reviewed, {c['left']} left; "
          f"{len(inventory.kernels)} determinism messages, {len(left_kernels)} left", file=sys.stderr)
    return 1 if c["left"] or left_kernels else 0


if __name__ == "__main__":
    sys.exit(main())
