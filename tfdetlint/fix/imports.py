"""Which module-level names reach which modules, and how to reach one that nothing imports yet.

Inserted code must use the file's own spelling (``tf``, ``from tensorflow import keras``) and
must never rebind a name the file uses for something else.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node


@dataclass(frozen=True)
class Binding:
    """``local`` names ``qname``; ``code`` is an import statement binding exactly that name."""

    qname: str
    local: str
    code: str


def bindings_of(stmt: cst.CSTNode) -> list[Binding]:
    """The names an import line (or a try-block of imports) binds, in order."""
    return [Binding(_v2_is_tensorflow(b.qname), b.local, b.code) for b in _bindings(stmt)]


def _v2_is_tensorflow(qname: str) -> str:
    # tf.compat.v2 is the TF2 API itself (unlike compat.v1), so `tf.keras` etc. reach through it.
    for prefix in ("tensorflow.compat.v2", "tensorflow._api.v2"):
        if qname == prefix or qname.startswith(prefix + "."):
            return "tensorflow" + qname[len(prefix):]
    return qname


def _bindings(stmt: cst.CSTNode) -> list[Binding]:
    found: list[Binding] = []
    if isinstance(stmt, cst.Try):
        for inner in stmt.body.body:
            found += _bindings(inner)
        return found
    if not isinstance(stmt, cst.SimpleStatementLine):
        return found
    for small in stmt.body:
        if isinstance(small, cst.Import):
            found += _import_bindings(small)
        elif isinstance(small, cst.ImportFrom):
            found += _from_bindings(small)
    return found


def _import_bindings(node: cst.Import) -> list[Binding]:
    found = []
    for alias in node.names:
        name = get_full_name_for_node(alias.name)
        if name is None:
            continue
        asname = _asname(alias)
        if asname is not None:
            found.append(Binding(name, asname, f"import {name} as {asname}"))
        else:
            root = name.split(".", 1)[0]
            found.append(Binding(root, root, f"import {name}"))
    return found


def _from_bindings(node: cst.ImportFrom) -> list[Binding]:
    if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
        return []
    module = get_full_name_for_node(node.module)
    if module is None:
        return []
    found = []
    for alias in node.names:
        name = get_full_name_for_node(alias.name)
        if name is None:
            continue
        asname = _asname(alias)
        suffix = f" as {asname}" if asname is not None else ""
        found.append(Binding(f"{module}.{name}", asname or name, f"from {module} import {name}{suffix}"))
    return found


def _asname(alias: cst.ImportAlias) -> str | None:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return None


# What to import when the file binds nothing that reaches a module (first choice first).
_DEFAULTS: dict[str, tuple[tuple[str, str], ...]] = {
    "keras": (("keras", "import keras"),),
    "tensorflow": (("tf", "import tensorflow as tf"), ("tensorflow", "import tensorflow")),
    "numpy": (("np", "import numpy as np"), ("numpy", "import numpy")),
    "random": (("random", "import random"),),
}


@dataclass
class Names:
    """Resolves module paths to expressions at one point of the module (the insertion point)."""

    before: list[Binding]  # bound by top-level imports above the point, in order
    after: list[Binding]  # top-level imports below it: their own spelling is the best to copy
    taken: dict[str, set[str]]  # module-level name -> what the file binds it to anywhere
    added: list[str] = field(default_factory=list)  # import statements to insert

    def resolve(self, qname: str) -> str | None:
        """An expression for ``qname`` through the names bound before the point."""
        current: dict[str, str] = {}
        for binding in self.before:  # a later import of the same name rebinds it
            current[binding.local] = binding.qname
        best: tuple[int, str] | None = None
        for local, bound in current.items():
            reaches = qname == bound or qname.startswith(bound + ".")
            if reaches and (best is None or len(bound) > best[0]):
                best = (len(bound), local + qname[len(bound):])
        return None if best is None else best[1]

    def access(self, qnames: Sequence[str]) -> str | None:
        """An expression for the first reachable of ``qnames``, adding an import if needed."""
        for qname in qnames:
            found = self.resolve(qname)
            if found is not None:
                return found
        for qname in qnames:
            for binding in self.after:
                if (qname == binding.qname or qname.startswith(binding.qname + ".")) and self._free(binding):
                    return self._add(binding, qname)
        for qname in qnames:
            root = qname.split(".", 1)[0]
            for local, code in _DEFAULTS.get(root, ()):
                binding = Binding(root, local, code)
                if self._free(binding):
                    return self._add(binding, qname)
        return None

    def _free(self, binding: Binding) -> bool:
        """Whether binding ``local`` here cannot change what the name means anywhere else."""
        return self.taken.get(binding.local, set()) <= {binding.qname}

    def _add(self, binding: Binding, qname: str) -> str:
        self.before.append(binding)
        if binding.code not in self.added:
            self.added.append(binding.code)
        return binding.local + qname[len(binding.qname):]


def module_level_names(tree: ast.Module) -> dict[str, set[str]]:
    """Names bound at module level (not inside defs) and what they are bound to."""
    taken: dict[str, set[str]] = {}
    for node in _module_level_nodes(tree.body):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    taken.setdefault(alias.asname, set()).add(alias.name)
                else:
                    root = alias.name.split(".", 1)[0]
                    taken.setdefault(root, set()).add(root)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                target = f"{node.module}.{alias.name}" if node.module and not node.level else "<relative>"
                taken.setdefault(alias.asname or alias.name, set()).add(target)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            taken.setdefault(node.name, set()).add("<def>")
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            taken.setdefault(node.id, set()).add("<value>")
    return taken


def _module_level_nodes(body: Iterable[ast.AST]) -> Iterable[ast.AST]:
    stack = list(body)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue  # their bodies bind local names
        stack.extend(ast.iter_child_nodes(node))
