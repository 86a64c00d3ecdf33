"""Follow seeding into the project's own modules: ``from common.utils import seed_everything``.

Imports of the project's own modules are resolved to files (absolute and relative imports,
packages, ``src/`` layouts, the folders being checked and the project root), and the effect of a
helper function is summarised once per process: which seed domains it sets, whether it enables
op determinism, and whether its seed comes from the clock. A summary runs the same program-order
simulation the checker runs, on the helper's own module. Third-party and dynamic imports set
nothing, unless the configuration names them (``seed-functions``, ``determinism-functions``).
"""

from __future__ import annotations

import ast
import gc
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tfdetlint.catalogue import Catalogue
from tfdetlint.fileio import NotReadable, read_regular
from tfdetlint.layout import Layout, is_within
from tfdetlint.prefilter import could_match

if TYPE_CHECKING:
    from tfdetlint.analysis.effects import Effect

MAX_DEPTH = 8
# What ``effect_in`` summarises for a module's own top level, as an import runs it (without its
# ``__main__`` block) or as ``%run`` runs it (with it): never a function's name.
MODULE_TOP = "<import>"
MODULE_MAIN = "<__main__>"
# A module whose bytes mention none of these, nor any catalogued API, has no effect when called.
_SEED_WORDS = (b"seed", b"determinis", b"TF_DETERMINISTIC_OPS", b"set_global_generator")
# Summarise(module model, function, path, index, depth): the analysis gives the index this, so
# the index (an earlier stage) never imports the analysis.
Summariser = Callable[[Any, str, str, "ProjectIndex", int], "Effect | None"]
ModelBuilder = Callable[[ast.Module, Catalogue], Any]

# Import statements, found in bytes without parsing: ``import a.b as c, d`` and
# ``from ..a import (b, c)``, at any indentation (an import in a function runs when it is called).
_IMPORT = re.compile(
    rb"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import[ \t]*(\([^)]*\)|[^\n#;]*)|import[ \t]+([^\n#;]+))", re.M)
_IMPORT_AS = re.compile(r"[ \t]+as[ \t]+\w+")

_KERAS2_DEPENDENCY = re.compile(
    rb"""(?mi)^\s*["']?(?:tf[-_]keras\b|keras\s*(?:<\s*3|[=~]=\s*2)|tensorflow(?:-cpu|-gpu)?\s*(?:[=~]=\s*2\.(?:1[0-5]|\d)\b|<\s*2\.1[0-6]\b|<=\s*2\.1[0-5]\b))"""
)
_DEPENDENCY_FILES = ("pyproject.toml", "setup.cfg", "setup.py", "requirements.txt")


class SummaryStore(Protocol):
    """Where summaries outlive the process (the content cache): ``load`` gives a summary and the
    files it read, with their digests then; the index checks them against the files now."""

    def load(self, path: Path, function: str) -> tuple[Any, dict[str, str]] | None: ...

    def save(self, path: Path, function: str, summary: Any, files: dict[str, str]) -> None: ...


_settled = {"models": 0}
_built = {"models": 0}
# Models kept at most, the least recently used dropped first (and parsed again if asked again):
# about 0.3 MB each (the AST is most of it), so a monorepo cannot exhaust memory. Measured on the
# pinned corpus (about 2,100 helper models): no cap 31 s CPU, 705 MB; 500 models 42 s, 350 MB;
# 150 models 47 s, 193 MB. The cap is set above what one project of that size needs.
MAX_MODELS = 4096


def settle() -> None:
    """Once new module models were built, put every object alive now in the collector's permanent
    generation (``gc.freeze``). The models live until the process ends, and every full collection
    would walk them again while the host (flake8, the checker) makes garbage of its own. For
    short-lived processes only: the language server replaces models, and frozen cyclic objects are
    never freed (a model dropped past ``MAX_MODELS`` is freed by reference counting, bar its cycles).

    Freezing is a splice of the collector's lists, and nothing is collected first: a collection
    before each freeze walks every new model once more. Measured on the LARGE list (flake8 with
    the plugin, --jobs 1): freeze only 215.8 s CPU, 904 MB; young collection first 237.2 s,
    809 MB; full collection first 240.7 s, 735 MB; freezing only once the models grew by a
    quarter 251 s (the unfrozen models were walked instead). The memory is the cyclic garbage
    frozen with the models."""
    if _built["models"] == _settled["models"]:  # nothing new to freeze
        return
    _settled["models"] = _built["models"]
    gc.freeze()


@dataclass
class ProjectIndex:
    roots: tuple[Path, ...]
    catalogue: Catalogue
    seed_functions: frozenset[str] = frozenset()
    determinism_functions: frozenset[str] = frozenset()
    summarise: Summariser | None = None
    model_module: ModelBuilder | None = None
    store: SummaryStore | None = None
    # each project module parsed and modelled once; indexes of one run may share this dict
    models: dict[Path, Any] = field(default_factory=dict)
    _model_digests: dict[Path, str] = field(default_factory=dict)
    _keras: dict[str, tuple[str, str] | None] = field(default_factory=dict)  # per folder, walking up
    _effects: dict[tuple[Path, str], tuple[Effect | None, frozenset[str]]] = field(default_factory=dict)
    _digests: dict[str, str] = field(default_factory=dict)
    _files: dict[tuple[str, str], Path | None] = field(default_factory=dict)  # per module, from roots or a folder
    _above: dict[tuple[str, str], Path | None] = field(default_factory=dict)  # per folder searched from
    _answers: dict[tuple[str, str | None, bool], Path | None] = field(default_factory=dict)
    layout: Layout = field(default_factory=Layout)
    _root_names: tuple[str, ...] = field(init=False, default=())
    _reading: list[set[str]] = field(default_factory=list)  # files read, per summary being computed
    # the summaries being computed, innermost last, and whether a call cycle cut each short: one
    # computed while a caller of its was still being computed depends on where the cycle was
    # entered, so it is not stored
    _stack: list[tuple[Path, str]] = field(default_factory=list)
    _cut: list[bool] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._root_names = tuple(str(root) for root in self.roots)

    def start_file(self) -> None:
        """Begin collecting the project files the next file's findings depend on."""
        self._reading = [set()]

    def finish_file(self) -> dict[str, str]:
        files = self._reading[0] if self._reading else set()
        self._reading = []
        return {path: self._digests[path] for path in sorted(files) if path in self._digests}

    def _note(self, files: set[str] | frozenset[str]) -> None:
        for reading in self._reading:
            reading.update(files)

    # ---- modules to files
    def module_file(self, module: str, importer: str | None = None, *, as_script: bool = False) -> Path | None:
        """The file of ``module`` (``a.b`` or relative ``..a.b`` from ``importer``), if it is ours.

        ``as_script``: the importer is the checked file, which may be run as a script, so its own
        folder comes first on the import path, as Python puts it there (``sys.path[0]``)."""
        asked = (module, importer, as_script)
        if asked not in self._answers:
            self._answers[asked] = self._lookup(module, importer, as_script)
        return self._answers[asked]

    def _lookup(self, module: str, importer: str | None, as_script: bool) -> Path | None:
        relative = module.startswith(".")
        folder = self.layout.real_folder(importer) if importer else ""
        if folder and not as_script and not relative:
            # A top-level module outside any package was imported with its folder on the path
            # (the script's own folder, usually): its plain imports find its siblings first.
            as_script = not self.layout.is_package(folder)
        key = (module, folder if relative or as_script else "")
        if key not in self._files:
            self._files[key] = self._find_module_file(module, folder, as_script)
        found = self._files[key]
        if found is None and folder and not relative:
            found = self._found_from(module, os.path.dirname(folder))
        return found

    def _find_module_file(self, module: str, folder: str, as_script: bool) -> Path | None:
        level = len(module) - len(module.lstrip("."))
        parts = [p for p in module.lstrip(".").split(".") if p]
        if level:
            if not folder:
                return None
            base = folder
            for _ in range(level - 1):
                base = os.path.dirname(base)
            return _as_path(self.layout.module_in(base, parts))
        for root in [folder, *self._root_names] if as_script and folder else self._root_names:
            found = self.layout.module_in(root, parts)
            if found is not None:
                return Path(found)
        return None

    def imported_files(self, raw: bytes, importer: str, *, as_script: bool = False) -> set[Path]:
        """The project's files that ``raw`` (the bytes of ``importer``) imports, found without
        parsing: a module, and each imported name that is itself a module (``from a import b``)."""
        found: set[Path] = set()
        for module in imported_modules(raw):
            path = self.module_file(module, importer, as_script=as_script)
            if path is not None:
                found.add(path)
        return found

    def _found_from(self, module: str, folder: str) -> Path | None:
        """A module found from ``folder`` or a folder above it, inside the project: code run with
        that folder on the path (`efficientdet/tf2/train.py` importing `tf2.train_lib`, run from
        `efficientdet/`). Asked only when the roots do not have it; answered once per folder, as
        the importers of one tree share the folders above them."""
        key = (module, folder)
        if key not in self._above:
            found = None
            if any(is_within(folder, root) for root in self._root_names):
                here = self.layout.module_in(folder, [p for p in module.split(".") if p])
                above = os.path.dirname(folder)
                found = Path(here) if here is not None else (
                    self._found_from(module, above) if above != folder else None)
            self._above[key] = found
        return self._above[key]

    def forget_layout(self) -> None:
        """A file appeared or went away: which module is which file may have changed."""
        self.layout.forget()
        self._answers.clear()
        self._files.clear()
        self._above.clear()
        self._keras.clear()

    # ---- effects
    def effect(self, qname: str, importer: str | None, depth: int = 0) -> Effect | None:
        """The effect of calling the function ``qname`` resolved from a file's imports."""
        configured = self._configured(qname)
        if configured is not None:
            return configured
        if depth > MAX_DEPTH or "." not in qname:
            return None
        module, _, function = qname.rpartition(".")
        path = self.module_file(module, importer, as_script=depth == 0)
        if path is None and "." in module:
            # A method of a project class: `pkg.mod.Aug.apply`. `pkg.mod.Base.__init__` (from
            # `super().__init__()`) runs what `Base()` runs.
            module, _, owner = module.rpartition(".")
            function = owner if function == "__init__" else f"{owner}.{function}"
            path = self.module_file(module, importer, as_script=depth == 0)
        if path is None:
            return None
        return self.effect_in(path, function, depth)

    def module_effect(self, module: str, importer: str | None, depth: int = 0, *,
                      as_main: bool = False) -> Effect | None:
        """The effect of importing ``module`` (``a.b``, or ``.helper`` relative to ``importer``):
        what its top level does to the random state, when it is one of the project's modules."""
        if depth > MAX_DEPTH:
            return None
        path = self.module_file(module, importer, as_script=depth == 0)
        if path is None or (importer and str(path) == self.layout.real_path(importer)):
            return None
        return self.effect_in(path, MODULE_MAIN if as_main else MODULE_TOP, depth)

    def _configured(self, qname: str) -> Effect | None:
        name = qname.lstrip(".")
        seeds = name in self.seed_functions
        determinism = name in self.determinism_functions
        if not (seeds or determinism):
            return None
        from tfdetlint.analysis.effects import Effect

        domains = frozenset({"tf", "numpy", "python", "keras"}) if seeds else frozenset()
        return Effect(name.rsplit(".", 1)[-1], "", domains, determinism)

    def effect_in(self, path: Path, function: str, depth: int = 0) -> Effect | None:
        key = (path, function)
        if key in self._effects:
            effect, files = self._effects[key]
            self._note(files)
            return effect
        if key in self._stack:  # being summarised: a call cycle
            head = self._stack.index(key)
            self._cut[head + 1 :] = [True] * (len(self._cut) - head - 1)
            return None
        stored = self._stored(path, function)
        if stored is not None:
            self._effects[key] = stored
            self._note(stored[1])
            return stored[0]
        self._reading.append(set())
        self._stack.append(key)
        self._cut.append(False)
        try:
            effect = self._summarise(path, function, depth)
        finally:
            files = frozenset(self._reading.pop())
            self._stack.pop()
            cut = self._cut.pop()
        self._effects[key] = (effect, files)
        self._note(files)
        if self.store is not None and not cut and files <= self._digests.keys():
            self.store.save(path, function, effect, {name: self._digests[name] for name in sorted(files)})
        return effect

    def _stored(self, path: Path, function: str) -> tuple[Effect | None, frozenset[str]] | None:
        """A summary from an earlier process, when every file it read is unchanged."""
        found = self.store.load(path, function) if self.store is not None else None
        if found is None:
            return None
        effect, files = found
        if any(self._digest_now(name) != expected for name, expected in files.items()):
            return None
        return effect, frozenset(files)

    def _digest_now(self, name: str) -> str | None:
        if name not in self._digests:
            try:
                self._digests[name] = digest(read_regular(name))
            except (OSError, NotReadable):
                return None
        return self._digests[name]

    def _summarise(self, path: Path, function: str, depth: int) -> Effect | None:
        if self.summarise is None:
            return None
        model = self._model(path)
        if model is None:
            return None
        return self.summarise(model, function, str(path), self, depth)

    def _model(self, path: Path) -> Any:
        if path in self.models:
            self._note({str(path)})
            model = self.models[path] = self.models.pop(path)  # most recently used last
            return model
        model = None
        raw = self._read(path)
        # A module that mentions no seed setter, random API or determinism switch has no effect.
        if raw is not None and self.model_module is not None and (
            any(word in raw for word in _SEED_WORDS) or could_match(raw, self.catalogue, force_script=True)
        ):
            try:
                tree = ast.parse(raw, filename=str(path))
                model = self.model_module(tree, self.catalogue)
            except (SyntaxError, ValueError, MemoryError, RecursionError):
                model = None
            else:
                self._model_digests[path] = digest(raw)
                _built["models"] += 1
        self.models[path] = model
        while len(self.models) > MAX_MODELS:
            del self.models[next(iter(self.models))]
        return model

    def modelled(self, path: str, raw: bytes) -> Any:
        """The model built for a helper, when the checker meets the same file with the same bytes:
        a module both checked and called by others is parsed once per run."""
        key = Path(path).absolute()
        if key in self._model_digests and self._model_digests[key] == digest(raw):
            return self.models.get(key)
        return None

    def keras_hint(self, importer: str) -> tuple[str, str] | None:
        """Keras 2 when the project's declared dependencies ask for it (tf-keras, keras<3, tensorflow<2.16)."""
        return self._keras_from(self.layout.real_folder(importer)) if importer else None

    def _keras_from(self, folder: str) -> tuple[str, str] | None:
        """What ``folder``'s dependency files declare, else its parent's, up to the repository."""
        if folder not in self._keras:
            found = _declared_keras(Path(folder))
            parent = os.path.dirname(folder)
            if found is None and parent != folder and not os.path.exists(os.path.join(folder, ".git")):
                found = self._keras_from(parent)
            self._keras[folder] = found
        return self._keras[folder]

    def _read(self, path: Path) -> bytes | None:
        try:
            raw = read_regular(path)
        except (OSError, NotReadable):
            return None
        self._digests[str(path)] = digest(raw)
        self._note({str(path)})
        return raw


def _declared_keras(folder: Path) -> tuple[str, str] | None:
    names = [*_DEPENDENCY_FILES, *(p.name for p in sorted(folder.glob("requirements*.txt")))]
    for name in dict.fromkeys(names):
        try:
            raw = (folder / name).read_bytes()
        except OSError:
            continue
        match = _KERAS2_DEPENDENCY.search(raw)
        if match is not None:
            what = match.group(0).decode("utf-8", "replace").strip().strip("\"'")
            return "2", f"{name} declares `{what}` (Keras 2)"
    return None


def imported_modules(raw: bytes) -> list[str]:
    """The modules named by the import statements in ``raw``: ``a.b`` for ``import a.b``, and
    for ``from .a import b, c``: ``.a``, ``.a.b`` and ``.a.c`` (a name may be a submodule)."""
    modules: list[str] = []
    for match in _IMPORT.finditer(raw):
        base, names, plain = (group.decode("utf-8", "replace") if group else "" for group in match.groups())
        if plain:
            modules += [_IMPORT_AS.sub("", part).strip() for part in plain.split(",")]
            continue
        modules.append(base)
        for name in _IMPORT_AS.sub("", names.strip("()")).replace("\\", " ").split(","):
            name = name.strip()
            if name and name != "*" and name.isidentifier():
                modules.append(f"{base}{name}" if base.endswith(".") else f"{base}.{name}")
    return [m for m in modules if m]


def digest(raw: bytes) -> str:
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def _as_path(name: str | None) -> Path | None:
    return Path(name) if name is not None else None


def project_roots(paths: list[Path], config_root: Path | None = None) -> tuple[Path, ...]:
    """Where the project's top-level modules live: checked folders, package tops, the project root, src/."""
    roots: list[Path] = []

    def add(folder: Path) -> None:
        folder = folder.resolve()
        if folder.is_dir() and folder not in roots:
            roots.append(folder)

    for path in paths:
        folder = path if path.is_dir() else path.parent
        # A checked file's own folder is searched first for its imports anyway (``as_script``);
        # as a root for every module it matters only outside a package. Files of one package
        # tree then share their roots, and so one index of summaries (flake8 builds one per roots).
        if path.is_dir() or not (folder / "__init__.py").is_file():
            add(folder)
        top = folder.resolve()
        while (top / "__init__.py").is_file() and top.parent != top:
            top = top.parent
        add(top)
    for base in ([config_root] if config_root else []) + [Path.cwd()]:
        add(base)
        add(base / "src")
    return tuple(roots)
