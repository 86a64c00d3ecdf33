"""Pass 5: what an argument's value is known to be, beyond literals.

``deterministic=DEBUG``, ``shuffle=not eval_mode``, ``seed=FLAGS.seed``: values are followed
through module constants, default parameter values, ``flags.DEFINE_*`` and ``argparse``
defaults, ``self.x = ...`` in a class, and ``not``. What stays unknown says what it depends on,
so a rule can report it as a warning instead of passing silently. Seeds are also traced back to
the clock, OS entropy or per-process hashing (TFD106).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from tfdetlint.analysis.model import LAST
from tfdetlint.analysis.resolve import Resolver
from tfdetlint.analysis.symbols import SymbolTable
from tfdetlint.arguments import source_text
from tfdetlint.catalogue import Catalogue

_MAX_DEPTH = 12
_COMPARISONS: dict[type[ast.cmpop], Callable[[Any, Any], object]] = {
    ast.Is: operator.is_, ast.IsNot: operator.is_not, ast.Eq: operator.eq, ast.NotEq: operator.ne,
    ast.Gt: operator.gt, ast.GtE: operator.ge, ast.Lt: operator.lt, ast.LtE: operator.le,
}
_FLAG_MODULES = ("absl.flags.DEFINE_", "tensorflow.flags.DEFINE_", "tensorflow.app.flags.DEFINE_")


@dataclass(frozen=True)
class Known:
    value: object
    via: str = ""  # how it was found, e.g. "default of flag --debug"


@dataclass(frozen=True)
class Unknown:
    depends_on: str  # the expression the value depends on, as written


ValueFact = Known | Unknown


@dataclass(frozen=True)
class FlagDefinition:
    """A command-line flag: absl ``flags.DEFINE_integer("seed", 0, ...)`` or argparse
    ``parser.add_argument("--seed", ...)``, read as ``FLAGS.seed`` / ``args.seed``."""

    name: str  # the attribute the parsed value is read as
    default: ast.expr | None  # None: not given (argparse's default depends on the action)
    parser: Literal["absl", "argparse"]
    kind: str | None  # absl's DEFINE_ suffix ("integer", "bool", ...); None for argparse
    node: ast.Call


class ValueFacts:
    def __init__(self, resolver: Resolver, symbols: SymbolTable, catalogue: Catalogue) -> None:
        self.r = resolver
        self.w = symbols
        self.c = catalogue
        self._flags: dict[str, ast.expr] | None = None
        self._definitions: list[FlagDefinition] | None = None

    # ---- values
    def of(self, expr: ast.expr, scope: int, depth: int = 0) -> ValueFact:
        if depth > _MAX_DEPTH:
            return Unknown(source_text(expr))
        if isinstance(expr, ast.Constant):
            return Known(expr.value)
        if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
            inner = self.of(expr.operand, scope, depth + 1)
            return Known(not inner.value, inner.via) if isinstance(inner, Known) else Unknown(source_text(expr))
        if isinstance(expr, ast.Compare) and len(expr.ops) == 1:
            return self._compare(expr, scope, depth)
        if isinstance(expr, ast.Name):
            return self._name(expr, scope, depth)
        if isinstance(expr, ast.Attribute):
            return self._attribute(expr, scope, depth)
        return Unknown(source_text(expr))

    def _compare(self, expr: ast.Compare, scope: int, depth: int) -> ValueFact:
        left = self.of(expr.left, scope, depth + 1)
        right = self.of(expr.comparators[0], scope, depth + 1)
        compare = _COMPARISONS.get(type(expr.ops[0]))
        if not (isinstance(left, Known) and isinstance(right, Known)) or compare is None:
            return Unknown(source_text(expr))
        try:
            return Known(compare(left.value, right.value), left.via or right.via)
        except Exception:  # comparing unlike constants: leave it unknown
            return Unknown(source_text(expr))

    def _name(self, expr: ast.Name, scope: int, depth: int) -> ValueFact:
        binding = self.r.lookup(expr.id, scope, (expr.lineno, expr.col_offset))
        if binding is None:
            return Unknown(expr.id)
        if binding.kind == "value" and binding.value is not None and binding.value_scope is not None:
            if len(self.r.scopes[binding.value_scope].bindings.get(expr.id, ())) > 1 and binding.value_scope != scope:
                return Unknown(expr.id)  # reassigned elsewhere: which value holds depends on the run
            found = self.of(binding.value, binding.value_scope, depth + 1)
            return found if isinstance(found, Known) else Unknown(expr.id)
        if binding.kind == "param":
            owner = self._param_scope(expr.id, scope)
            default = self.w.param_defaults.get((owner, expr.id)) if owner is not None else None
            if default is not None and owner is not None:
                found = self.of(default, self.r.scopes[owner].parent or 0, depth + 1)
                if isinstance(found, Known):
                    return Known(found.value, f"default of parameter `{expr.id}`")
            elif owner is not None:
                # No default: every call passes it. Known when all of them pass the same known value.
                passed = self.r.arguments_passed(owner, expr.id, lambda arg, at: _known(self.of(arg, at, depth + 1)))
                if passed is not None:
                    return Known(passed[0], passed[1] or f"the value every call passes for `{expr.id}`")
            return Unknown(expr.id)
        return Unknown(expr.id)

    def runs_by_default(self, guards: tuple[ast.expr, ...], scope: int) -> bool:
        """Whether code inside these ``if`` tests runs in a default run: not when one of them is
        known to be false (``if FLAGS.seed:`` with the flag's default 0 or None)."""
        return self.skipping_guard(guards, scope) is None

    def skipping_guard(self, guards: tuple[ast.expr, ...], scope: int) -> tuple[ast.expr, Known] | None:
        """The first of these ``if`` tests known to be false in a default run, with how it is known."""
        for guard in guards:
            fact = self.of(guard, scope)
            if isinstance(fact, Known) and not _truthy(fact.value):
                return guard, fact
        return None

    def _param_scope(self, name: str, scope: int) -> int | None:
        current: int | None = scope
        while current is not None:
            found = self.r.scopes[current].bindings.get(name)
            if found and found[0].kind == "param":
                return current
            current = self.r.scopes[current].parent
        return None

    def _attribute(self, expr: ast.Attribute, scope: int, depth: int) -> ValueFact:
        text = source_text(expr)
        if isinstance(expr.value, ast.Name) and expr.value.id == "self":
            class_id = self.r.enclosing_class(scope)
            assigned = self.r.scopes[class_id].self_attrs.get(expr.attr, []) if class_id is not None else []
            if len(assigned) == 1:
                value, value_scope = assigned[0]
                found = self.of(value, value_scope, depth + 1)
                return found if isinstance(found, Known) else Unknown(text)
            return Unknown(text)
        if self._is_flags(expr.value, scope):
            default = self.flag_defaults().get(expr.attr)
            if default is not None:
                found = self.of(default, 0, depth + 1)
                if isinstance(found, Known):
                    return Known(found.value, f"default of flag --{expr.attr}")
        return Unknown(text)

    def _is_flags(self, expr: ast.expr, scope: int) -> bool:
        value = self.r.value_of(expr, scope)
        if value.qname is not None:
            return value.qname.endswith("flags.FLAGS")
        return isinstance(expr, ast.Name) and expr.id in ("FLAGS", "args", "opts", "config", "cfg", "hparams")

    def flag_defaults(self) -> dict[str, ast.expr]:
        """``flags.DEFINE_bool("debug", False, ...)`` and ``parser.add_argument("--debug", default=...)``."""
        if self._flags is None:
            self._flags = {d.name: d.default for d in self.flag_definitions() if d.default is not None}
        return self._flags

    def flag_definitions(self) -> list[FlagDefinition]:
        """Every command-line flag the module defines, in file order (the first of a name counts)."""
        if self._definitions is not None:
            return self._definitions
        found: dict[str, FlagDefinition] = {}
        for site in self.w.sites:
            definition = self._definition(site.node, site.scope)
            if definition is not None:
                found.setdefault(definition.name, definition)
        self._definitions = list(found.values())
        return self._definitions

    def _definition(self, node: ast.Call, scope: int) -> FlagDefinition | None:
        if not node.args or not isinstance(node.args[0], ast.Constant) or not isinstance(node.args[0].value, str):
            return None
        name = node.args[0].value
        keyword_default = next((k.value for k in node.keywords if k.arg == "default"), None)
        qname = self.r.value_of(node.func, scope).qname or ""
        if qname.startswith(_FLAG_MODULES) or qname.startswith("tensorflow.compat.v1.flags.DEFINE_"):
            default = node.args[1] if len(node.args) > 1 else keyword_default
            kind = qname.rsplit("DEFINE_", 1)[1]
            return FlagDefinition(name, default, "absl", "integer" if kind in ("integer", "int") else kind, node)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "add_argument" and name.startswith("--"):
            dest = next((k.value.value for k in node.keywords if k.arg == "dest" and isinstance(k.value, ast.Constant)
                         and isinstance(k.value.value, str)), name[2:].replace("-", "_"))
            return FlagDefinition(dest, keyword_default, "argparse", None, node)
        return None

    # ---- seeds from entropy
    def clock_seeds(self) -> list[tuple[ast.Call, ast.expr, str]]:
        """Arguments given where a value is a seed by its name (``seed=``, a namedtuple's
        ``seeds`` field) and computed from the clock or OS entropy: (call, argument, source)."""
        pattern = self.c.seed_destinations
        found: list[tuple[ast.Call, ast.expr, str]] = []
        if pattern is None:
            return found
        for site in self.w.sites:
            for name, expr in self._named_arguments(site.node, site.scope):
                if pattern.match(name):
                    source = self.entropy_in(expr, site.scope)
                    if source is not None:
                        found.append((site.node, expr, source))
        return found

    def _named_arguments(self, call: ast.Call, scope: int) -> list[tuple[str, ast.expr]]:
        named = [(k.arg, k.value) for k in call.keywords if k.arg is not None]
        if call.args:
            fields = self._tuple_fields(call.func, scope)
            for field, arg in zip(fields, call.args, strict=False):  # more arguments than fields: a TypeError
                if isinstance(arg, ast.Starred):
                    break  # the positions after *args are unknown
                named.append((field, arg))
        return named

    def _tuple_fields(self, func: ast.expr, scope: int) -> list[str]:
        """The field names of a namedtuple class (``State = namedtuple("State", ["seeds", "n"])``)."""
        made = self.r.made_by(func, scope)
        if made is None or self.r.value_of(made[0].func, made[1]).qname not in self.c.named_tuples:
            return []
        spec = made[0].args[1] if len(made[0].args) > 1 else next(
            (k.value for k in made[0].keywords if k.arg == "field_names"), None)
        if isinstance(spec, (ast.List, ast.Tuple)):
            return [e.value for e in spec.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
        if isinstance(spec, ast.Constant) and isinstance(spec.value, str):
            return spec.value.replace(",", " ").split()
        return []

    def entropy_in(self, expr: ast.expr, scope: int, depth: int = 0) -> str | None:
        """The clock, OS-entropy or per-process-hash call a seed expression comes from, if any."""
        if depth > _MAX_DEPTH:
            return None
        for node in ast.walk(expr):
            if isinstance(node, ast.Call):
                value = self.r.value_of(node.func, scope)
                if value.qname in self.c.entropy_sources:
                    return value.qname
                if isinstance(node.func, ast.Name) and node.func.id == "hash" and value.qname is None \
                        and self.r.lookup("hash", scope, LAST) is None and node.args and _may_be_text(node.args[0]):
                    return "hash"  # str/bytes hashes are randomised per process (PYTHONHASHSEED)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                binding = self.r.lookup(node.id, scope, (node.lineno, node.col_offset))
                if binding is not None and binding.kind == "value" and binding.value is not None \
                        and binding.value_scope is not None and binding.value is not expr:
                    found = self.entropy_in(binding.value, binding.value_scope, depth + 1)
                    if found is not None:
                        return found
        return None


def _known(fact: ValueFact) -> tuple[object, str] | None:
    """A known value as a comparable pair (value, how it was found)."""
    return (fact.value, fact.via) if isinstance(fact, Known) else None


def _truthy(value: object) -> bool:
    try:
        return bool(value)
    except Exception:  # an odd constant's __bool__: assume the branch may run
        return True


def _may_be_text(expr: ast.expr) -> bool:
    if isinstance(expr, ast.Constant):
        return isinstance(expr.value, (str, bytes))
    return isinstance(expr, (ast.Name, ast.Attribute, ast.JoinedStr, ast.Subscript, ast.Call))
