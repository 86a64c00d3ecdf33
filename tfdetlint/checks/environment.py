"""TFD6xx: data order from the file system and from hashing, settings that do nothing, and
asynchronous distributed training (catalogue: rules/apis/environment.toml; facts: docs/facts-tfd6.md).

Precision first. A file listing or a set of strings is flagged only where its order becomes data:
it is passed to a dataset, a vocabulary or a shuffle/split, numbered by ``enumerate``, paired by
``zip``, or sliced; through ``list()``, comprehensions, ``for`` loops that ``append`` and plain
assignments in the same function. Counting it (``len``), testing it (``in``), wrapping it in
``sorted`` or calling ``.sort()`` on it is not flagged, and neither is what leaves the function.

From the facts this module reads only the resolved calls (``api``, ``node``, ``state``,
``in_script``); the local data flow is plain AST work on the module.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tfdetlint.analysis import FileFacts, ResolvedCall, report_pos
from tfdetlint.analysis.randomness import applies, is_unseeded, op_seed
from tfdetlint.arguments import Hidden, argument, is_none
from tfdetlint.catalogue import Catalogue, EnvironmentApis
from tfdetlint.checks import RawFinding, at_call, brief, fitting, named, shown

_MAX_HOPS = 4  # name-to-name steps followed from a listing to where it becomes data
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Module)
_STR_METHODS = frozenset({"lower", "upper", "strip", "lstrip", "rstrip", "replace", "format", "decode",
                          "join", "title", "casefold", "capitalize", "removeprefix", "removesuffix"})
_STR_LISTS = frozenset({"split", "rsplit", "splitlines"})
_EXEC_PREFIXES = ("os.exec", "os.spawn", "os.posix_spawn", "subprocess.", "multiprocessing.")


@dataclass(frozen=True)
class Use:
    """Where an arbitrary order becomes data."""

    what: str
    line: int


class Module:
    """Parent links and name lookups over one parsed module."""

    def __init__(self, tree: ast.Module, facts: FileFacts, env: EnvironmentApis) -> None:
        self.tree = tree
        self.env = env
        self.by_node = facts.by_node
        self._followed: set[tuple[int, str]] = set()  # (binding, name) already followed for one value
        # The candidates come from the analysis' walk; parent links (a walk of their own) only
        # once a rule has a candidate to follow.
        self.calls = facts.call_nodes
        self.assigns = facts.assigns
        self.set_displays = facts.set_displays
        self._parents: dict[int, ast.AST] | None = None

    def parent(self, node: ast.AST) -> ast.AST | None:
        if self._parents is None:
            self._parents = {}
            for parent in ast.walk(self.tree):
                for child in ast.iter_child_nodes(parent):
                    self._parents[id(child)] = parent
        return self._parents.get(id(node))

    def scope_of(self, node: ast.AST) -> ast.AST:
        current = self.parent(node)
        while current is not None and not isinstance(current, _SCOPES):
            current = self.parent(current)
        return current or self.tree

    def resolved(self, node: ast.AST) -> str | None:
        """The API the analysis resolved this call to, if any."""
        call = self.by_node.get(id(node))
        return call.api if call is not None else None

    def api(self, call: ast.Call) -> str | None:
        """The resolved API, or the builtin's name for an unresolved plain-name call."""
        found = self.resolved(call)
        if found is not None:
            return found
        if isinstance(call.func, ast.Name):
            return call.func.id
        return None

    def in_scope(self, scope: ast.AST) -> Iterator[ast.AST]:
        """Nodes of ``scope`` outside nested functions and classes (comprehensions included)."""
        stack = list(ast.iter_child_nodes(scope))
        while stack:
            node = stack.pop()
            yield node
            if not isinstance(node, _SCOPES):
                stack.extend(ast.iter_child_nodes(node))

    def loads_after(self, name: str, scope: ast.AST, after: ast.AST) -> list[ast.Name]:
        """Reads of ``name`` in ``scope`` after ``after`` ends, up to its next rebinding."""
        end = (after.end_lineno or after.lineno, after.end_col_offset or 0)  # type: ignore[attr-defined]
        loads: list[ast.Name] = []
        rebinds: list[ast.Name] = []
        for node in self.in_scope(scope):
            if isinstance(node, ast.Name) and node.id == name:
                pos = (node.lineno, node.col_offset)
                if pos <= end:
                    continue
                (loads if isinstance(node.ctx, ast.Load) else rebinds).append(node)
        if rebinds:
            first = min((n.lineno, n.col_offset) for n in rebinds)
            statement = self.statement_of(min(rebinds, key=lambda n: (n.lineno, n.col_offset)))
            limit = (statement.lineno, statement.col_offset) if statement is not None else first
            loads = [n for n in loads if (n.lineno, n.col_offset) < limit or self._within(n, statement)]
        return sorted(loads, key=lambda n: (n.lineno, n.col_offset))

    def _within(self, node: ast.AST, statement: ast.AST | None) -> bool:
        """A read on the right of the rebinding statement (``x = sorted(x)``) still sees the old value."""
        if not isinstance(statement, (ast.Assign, ast.AnnAssign, ast.AugAssign)) or statement.value is None:
            return False
        return any(n is node for n in ast.walk(statement.value))

    def statement_of(self, node: ast.AST) -> ast.stmt | None:
        current: ast.AST | None = node
        while current is not None and not isinstance(current, ast.stmt):
            current = self.parent(current)
        return current

    def in_loop(self, node: ast.AST) -> bool:
        """Inside a loop of its own function: slices there are batches, not a split."""
        current = self.parent(node)
        while current is not None and not isinstance(current, _SCOPES):
            if isinstance(current, (ast.For, ast.AsyncFor, ast.While, ast.comprehension)):
                return True
            current = self.parent(current)
        return False

    def is_sorted_in_place(self, name: str, scope: ast.AST) -> bool:
        for node in self.in_scope(scope):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "sort"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == name):
                return True
        return False

    # ---- where an ordered value goes
    def uses(self, node: ast.expr) -> list[Use]:
        """Where the arbitrary order of ``node``'s value becomes data."""
        self._followed.clear()
        return self._uses(node, 0)

    def _uses(self, node: ast.expr, hops: int) -> list[Use]:
        parent = self.parent(node)
        holder: ast.AST = node
        if isinstance(parent, ast.keyword):
            holder, parent = parent, self.parent(parent)
        if isinstance(parent, ast.Call) and holder is not parent.func:
            return self._into_call(parent, hops)
        if isinstance(parent, ast.comprehension) and node is parent.iter:
            comp = self.parent(parent)
            if isinstance(comp, (ast.ListComp, ast.GeneratorExp)):
                return self._uses(comp, hops)
            return []
        if (isinstance(parent, ast.Subscript) and node is parent.value and isinstance(parent.slice, ast.Slice)
                and not self.in_loop(parent)):
            return [Use("a slice of it is taken (a split by position)", parent.lineno)]
        if isinstance(parent, (ast.Assign, ast.AnnAssign)) and node is parent.value:
            targets = parent.targets if isinstance(parent, ast.Assign) else [parent.target]
            names = [t.id for t in targets if isinstance(t, ast.Name)]
            return self._through_name(names, parent, hops)
        if isinstance(parent, (ast.For, ast.AsyncFor)) and node is parent.iter:
            return self._through_loop(parent, hops)
        return []

    def _through_name(self, names: list[str], binding: ast.AST, hops: int) -> list[Use]:
        if hops >= _MAX_HOPS:
            return []
        scope = self.scope_of(binding)
        found: list[Use] = []
        for name in names:
            if (id(binding), name) in self._followed or self.is_sorted_in_place(name, scope):
                continue
            self._followed.add((id(binding), name))
            for read in self.loads_after(name, scope, binding):
                found.extend(self._uses(read, hops + 1))
        return found

    def _through_loop(self, loop: ast.For | ast.AsyncFor, hops: int) -> list[Use]:
        """``for x in ordered: lst.append(...)``: ``lst`` gets the order."""
        target = loop.target
        if isinstance(target, ast.Tuple) and len(target.elts) >= 2 and isinstance(target.elts[1], ast.Name):
            dirs = target.elts[1].id  # os.walk's dirs: dirs.sort() in the loop orders the walk
            if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "sort"
                   and isinstance(n.func.value, ast.Name) and n.func.value.id == dirs for n in ast.walk(loop)):
                return []
        collected = set()
        for node in ast.walk(loop):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("append", "extend") and isinstance(node.func.value, ast.Name)):
                collected.add(node.func.value.id)
        return self._through_name(sorted(collected), loop, hops)

    def _into_call(self, call: ast.Call, hops: int) -> list[Use]:
        name = self.api(call)
        env = self.env
        if name is None or name in env.order_free:
            return []
        if name in env.keep_order:
            return self._uses(call, hops)
        if name == "enumerate":
            return [Use("enumerate(...) numbers its items (ids in listing order)", call.lineno)] if self._ids(call) else []
        if name == "zip":
            return [Use("zip(...) pairs its items by position", call.lineno)]
        if name in env.dataset_sinks:
            return [Use(f"`{name}` makes a dataset in that order", call.lineno)]
        if name in env.vocabulary_sinks:
            return [Use(f"`{name}` numbers the vocabulary in that order", call.lineno)]
        if name in env.split_sinks:
            return [Use(f"`{name}` shuffles or splits it: a seeded shuffle of an arbitrary order is "
                        "still arbitrary on another machine", call.lineno)]
        return []

    def _ids(self, call: ast.Call) -> bool:
        """Whether enumerate's numbers are kept (label ids), not just printed."""
        parent = self.parent(call)
        if isinstance(parent, ast.comprehension):
            comp = self.parent(parent)
            return isinstance(comp, (ast.DictComp, ast.ListComp))
        if isinstance(parent, ast.Call):
            return self.api(parent) in ("dict", "list")
        if isinstance(parent, (ast.For, ast.AsyncFor)) and isinstance(parent.target, ast.Tuple):
            index = parent.target.elts[0] if parent.target.elts else None
            if not isinstance(index, ast.Name):
                return False
            for node in ast.walk(parent):
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and any(
                        isinstance(n, ast.Name) and n.id == index.id for n in ast.walk(node.value)):
                    return True
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr == "append" and any(
                            isinstance(n, ast.Name) and n.id == index.id for a in node.args for n in ast.walk(a))):
                    return True
        return False

    # ---- strings (TFD602)
    def str_like(self, expr: ast.AST) -> bool:
        if isinstance(expr, ast.Constant):
            return isinstance(expr.value, (str, bytes))
        if isinstance(expr, ast.JoinedStr):
            return True
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            return self.str_like(expr.left) or self.str_like(expr.right)
        if isinstance(expr, ast.Call):
            if isinstance(expr.func, ast.Attribute) and expr.func.attr in _STR_METHODS:
                return True
            name = self.api(expr)
            return name in ("str", "os.path.basename", "os.path.join", "os.path.dirname")
        if isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Call):
            return self.strings(expr.value)
        return False

    def strings(self, expr: ast.AST) -> bool:
        """Whether ``expr`` evidently iterates over strings."""
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            return bool(expr.elts) and all(self.str_like(e) for e in expr.elts)
        if isinstance(expr, (ast.ListComp, ast.SetComp, ast.GeneratorExp)):
            return self.str_like(expr.elt)
        if isinstance(expr, ast.Call):
            if isinstance(expr.func, ast.Attribute) and expr.func.attr in _STR_LISTS:
                return True
            name = self.api(expr)
            return name is not None and self.env.listings.get(name, False)
        return False

    def string_sets(self) -> Iterator[ast.expr]:
        """Set displays, set comprehensions and set()/frozenset() calls of evident strings."""
        for node in [*self.set_displays, *self.calls]:
            display = isinstance(node, ast.Set) and self.strings(node)
            comprehension = isinstance(node, ast.SetComp) and self.str_like(node.elt)
            call = (isinstance(node, ast.Call) and self.api(node) in ("set", "frozenset") and len(node.args) == 1
                    and self.strings(node.args[0]))
            if display or comprehension or call:
                assert isinstance(node, ast.expr)
                yield node


def _env_writes(module: Module) -> Iterator[tuple[ast.AST, str, ast.expr]]:
    """(node, variable, value) for every write to os.environ with a literal key."""
    for assign in module.assigns:
        for target in assign.targets:
            if (isinstance(target, ast.Subscript) and _is_environ(target.value)
                    and isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, str)):
                yield assign, target.slice.value, assign.value
    for node in module.calls:
        api = module.resolved(node)
        if api in ("os.environ.setdefault", "os.putenv") and len(node.args) >= 2:
            key = node.args[0]
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                yield node, key.value, node.args[1]
        elif api == "os.environ.update":
            for keyword in node.keywords:
                if keyword.arg:
                    yield node, keyword.arg, keyword.value


def _is_environ(expr: ast.expr) -> bool:
    if isinstance(expr, ast.Attribute) and expr.attr == "environ":
        return (isinstance(expr.value, ast.Name) and expr.value.id == "os") or (
            isinstance(expr.value, ast.Call) and isinstance(expr.value.func, ast.Name)
            and expr.value.func.id == "__import__")  # notebooks' %env
    return isinstance(expr, ast.Name) and expr.id == "environ"


def _text(value: ast.expr) -> str | None:
    """A string literal's value (os.environ only takes strings; an int there raises TypeError)."""
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    return None


def _finding(node: ast.AST, code: str, message: str, api: str, help: str) -> RawFinding:
    if isinstance(node, ast.Call):
        return at_call(node, report_pos(node), code, message, api, help=help)
    line, col = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
    return RawFinding(line, col, getattr(node, "end_lineno", None) or line,
                      getattr(node, "end_col_offset", None) or col, code, message, api, help=help)


def _where(uses: list[Use]) -> str:
    """Where the order becomes data, for the help: the first use, how, and how many more."""
    first = min(uses, key=lambda u: u.line)
    more = f" (and {len(uses) - 1} more)" if len(uses) > 1 else ""
    return f"line {first.line}: {first.what}{more}"


def _lines(uses: list[Use]) -> str:
    """Where the order becomes data, for the message: ``line 5`` or ``lines 5, 9``."""
    lines = sorted({u.line for u in uses})
    return f"line {lines[0]}" if len(lines) == 1 else f"lines {', '.join(map(str, lines[:3]))}" + (
        ", ..." if len(lines) > 3 else "")


# ---------------------------------------------------------------------------------------------


def check(facts: FileFacts, catalogue: Catalogue) -> Iterator[RawFinding]:
    env = catalogue.environment
    calls = [c for c in facts.calls if not c.in_test]
    yield from _op_determinism_without_seed(calls, facts, catalogue)
    module = Module(facts.tree, facts, env)
    yield from _distributed(calls, facts, module)
    yield from _file_order(calls, module)
    yield from _hash_order(module)
    yield from _settings(calls, facts, module, env)
    yield from _seed_in_loop(calls, facts, module, catalogue)


def _file_order(calls: list[ResolvedCall], module: Module) -> Iterator[RawFinding]:
    for call in calls:
        sortable = module.env.listings.get(call.api)
        if sortable is None:
            continue
        uses = module.uses(call.node)
        if not uses:
            continue
        fix = ("wrap it in sorted(...)" if sortable else
               "sort what you collect from it (sorted(...) on the final list, or dirs.sort() and sorted(files) in the walk)")
        yield at_call(call.node, report_pos(call.node), "TFD601",
                      named(call.api, f" returns file-system order, which becomes data at {_lines(uses)}"),
                      call.api, help=f"{_where(uses)}; file-system order differs between machines and copies of "
                                     f"the data, and no platform promises one; {fix}")


def _hash_order(module: Module) -> Iterator[RawFinding]:
    for found in module.string_sets():
        uses = module.uses(found)
        if uses:
            yield _finding(found, "TFD602",
                           f"this set of strings iterates in hash order, which becomes data at {_lines(uses)}",
                           "builtins.set",
                           f"{_where(uses)}; string hashes are salted per process (PYTHONHASHSEED), so the order "
                           "differs in every run; iterate sorted(...) instead")
    for node in module.calls:
        if not (module.api(node) == "hash" and len(node.args) == 1
                and module.str_like(node.args[0])):
            continue
        use = _hash_use(node, module)
        if use:
            yield _finding(node, "TFD602",
                           f"`hash()` of a string is salted per process, so {use} differs in every run",
                           "builtins.hash",
                           "PYTHONHASHSEED salts string hashes; use a stable digest (zlib.crc32(s.encode()) or hashlib)")


def _hash_use(call: ast.Call, module: Module) -> str | None:
    parent = module.parent(call)
    while isinstance(parent, (ast.BinOp, ast.UnaryOp, ast.Call)) and not (
            isinstance(parent, ast.Call) and module.api(parent) not in ("abs", "int")):
        if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mod):
            return "the bucket it picks"
        parent = module.parent(parent)
    if isinstance(parent, ast.keyword) and parent.arg and "seed" in parent.arg:
        return "the seed it gives"
    if isinstance(parent, ast.Call) and module.api(parent) in module.env.loop_setters | {"random.seed", "numpy.random.seed"}:
        return "the seed it gives"
    return None


def _settings(calls: list[ResolvedCall], facts: FileFacts, module: Module, env: EnvironmentApis) -> Iterator[RawFinding]:
    settings = env.settings
    truthy = set(settings.get("true_values", []))
    runs_children = any(c.api.startswith(_EXEC_PREFIXES) for c in calls)
    determinism_set = facts.determinism_anywhere
    for node, variable, value in _env_writes(module):
        if variable == settings.get("hash_seed_env") and not runs_children:
            yield _finding(node, "TFD603",
                           "PYTHONHASHSEED set inside the running program changes nothing for it", "os.environ",
                           "Python reads the hash seed once at start-up, so set iteration order and hash() still "
                           "differ run to run; set it in the shell or launcher (PYTHONHASHSEED=0 python train.py)")
        elif (variable == settings.get("cudnn_env") and _text(value) in truthy and facts.is_script
              and not determinism_set):
            yield _finding(node, "TFD604",
                           "TF_CUDNN_DETERMINISTIC alone does not enable op determinism", "os.environ",
                           "it only fixes cuDNN's convolution and pooling algorithms (measured: "
                           "is_op_determinism_enabled() stays False), so other GPU kernels and tf.data order still "
                           "vary; call tf.config.experimental.enable_op_determinism()")
        elif variable == settings.get("determinism_env") and _text(value) in truthy and facts.is_script:
            earlier = _tf_op_before(node, calls, module, settings)
            if earlier is not None:
                yield _finding(node, "TFD605",
                               named(earlier.api, f" ran (line {earlier.node.lineno}), so it is ignored",
                                     before="TF_DETERMINISTIC_OPS is set after "),
                               "os.environ",
                               "TF reads it once, when the first op asks for it (measured: set after an op it is "
                               "ignored); set it before any TF op, or call "
                               "tf.config.experimental.enable_op_determinism()")
    for node in module.assigns:
        for target in node.targets:
            if isinstance(target, ast.Attribute) and target.attr == "use_locking":
                owner = _optimizer_of(target.value, module, settings.get("keras_optimizer_prefix", ""))
                if owner:
                    yield _finding(node, "TFD608",
                                   named(owner, " has no use_locking in Keras 3: this assignment does nothing"), owner,
                                   f"measured: `{owner}` rejects it as an argument and nothing reads the "
                                   "attribute; remove it")


def _tf_op_before(node: ast.AST, calls: list[ResolvedCall], module: Module, settings: Mapping[str, Any]) -> ResolvedCall | None:
    prefixes = tuple(settings.get("setup_prefixes", []))
    scope = module.scope_of(node)
    line = getattr(node, "lineno", 0)
    for call in calls:
        if call.node.lineno >= line or not call.api.startswith(("tensorflow.", "keras.")):
            continue
        if call.api.startswith(prefixes) or module.scope_of(call.node) is not scope:
            continue
        return call
    return None


def _optimizer_of(expr: ast.expr, module: Module, prefix: str) -> str | None:
    """The Keras optimizer API that ``expr`` (a plain name) was last assigned from, if any."""
    if not prefix or not isinstance(expr, ast.Name):
        return None
    value = _value_before(expr, module)
    api = module.resolved(value) if isinstance(value, ast.Call) else None
    return api if api and api.startswith(prefix) else None


def _seed_in_loop(calls: list[ResolvedCall], facts: FileFacts, module: Module, catalogue: Catalogue) -> Iterator[RawFinding]:
    env = module.env
    for call in calls:
        if call.api not in env.loop_setters or not call.site.in_loop:
            continue
        loop = module.parent(call.node)
        while loop is not None and not isinstance(loop, (ast.For, ast.AsyncFor, ast.While, *_SCOPES)):
            loop = module.parent(loop)
        if not isinstance(loop, (ast.For, ast.AsyncFor, ast.While)) or _in_tf_function(loop, module):
            continue  # in a tf.function the kernels keep their state across calls (measured)
        bound = {n.id for n in ast.walk(loop) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        seed = call.node.args[0] if call.node.args else next(
            (k.value for k in call.node.keywords if k.arg == "seed"), None)
        if seed is None or any(isinstance(n, ast.Name) and n.id in bound for n in ast.walk(seed)):
            continue  # a seed per iteration (per run, per fold) is deliberate
        inside = [api for n in ast.walk(loop) if isinstance(n, ast.Call) and (api := module.resolved(n)) is not None]
        step = next((api for api in inside if api in env.step_calls), None)
        # What repeats is what draws from TF's stateful random ops: tf.random.* in the loop, or
        # Keras 2 layers (Keras 3 layers keep their own SeedGenerator state across steps).
        draws = any(e.domain == "tf" for api in inside for e in catalogue.random_apis.get(api, ()))
        if step is None or not (draws or facts.keras_domain_follows == "tf"):
            continue
        yield at_call(call.node, report_pos(call.node), "TFD606",
                      fitting(f"`{shown(call.api)}` with the same seed in a training loop (it runs `{shown(step)}`)",
                              f"`{shown(call.api)}` with the same seed in a training loop (it runs `{brief(step)}`)",
                              f"`{brief(call.api)}` with the same seed in a training loop (it runs `{brief(step)}`)"),
                      call.api,
                      help="it resets the op-seed counter every step, so TF random ops in the step draw the same "
                           "\"random\" values every step (measured); set the seed once, before the loop")


def _in_tf_function(node: ast.AST, module: Module) -> bool:
    scope = module.scope_of(node)
    decorators = scope.decorator_list if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)) else []
    for decorator in decorators:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
        if name in ("function", "tf_function"):
            return True
    return False


def _op_determinism_without_seed(calls: list[ResolvedCall], facts: FileFacts, catalogue: Catalogue) -> Iterator[RawFinding]:
    enabling = [c for c in calls if c.api in catalogue.determinism_functions and c.in_script(facts)]
    if not enabling:
        return
    raising = []
    for call in calls:
        if not call.state.determinism or "tf" in call.state.seeds or not call.in_script(facts):
            continue
        for entry in catalogue.random_apis.get(call.api, ()):
            if entry.domain == "tf" and applies(entry, call.node) and is_unseeded(entry, op_seed(entry, call.node)):
                raising.append(call)
                break
    if not raising:
        return
    first = raising[0]
    enable = enabling[0]
    more = f" and {len(raising) - 1} more" if len(raising) > 1 else ""
    yield at_call(enable.node, report_pos(enable.node), "TFD607",
                  named(first.api, f" (line {first.node.lineno}){more} {'raise' if more else 'raises'} RuntimeError",
                        before="no TF global seed under op determinism: "),
                  enable.api,
                  help="under op determinism, unseeded TF random ops raise RuntimeError (measured); call "
                       "tf.random.set_seed(SEED) (or keras.utils.set_random_seed) before them")


def _distributed(calls: list[ResolvedCall], facts: FileFacts, module: Module) -> Iterator[RawFinding]:
    dist = module.env.distributed
    asynchronous = set(dist.get("async", []))
    services = set(dist.get("data_service", []))
    sync = any(c.api == dist.get("sync_optimizer") for c in calls)
    by_node = {id(c.node): c for c in calls}
    for call in calls:
        if call.api in asynchronous:
            yield at_call(call.node, report_pos(call.node), "TFD609",
                          named(call.api, " trains asynchronously: updates land in timing order"),
                          call.api,
                          help="workers apply updates in whatever order they finish, so results differ run to run "
                               "and op determinism does not cover it (its docstring says not to use "
                               "ParameterServerStrategy); use a synchronous strategy (MirroredStrategy, "
                               "MultiWorkerMirroredStrategy) for reproducible runs")
        elif call.api == dist.get("replica_setter") and not sync:
            yield at_call(call.node, report_pos(call.node), "TFD609",
                          "`tf.train.replica_device_setter` without SyncReplicasOptimizer trains asynchronously",
                          call.api,
                          help="asynchronous between-graph training: updates land in timing order and results "
                               "differ run to run; wrap the optimizer in tf.train.SyncReplicasOptimizer or use a "
                               "synchronous strategy")
        elif call.api in services:
            yield at_call(call.node, report_pos(call.node), "TFD610",
                          named(call.api, " hands out elements in the order workers produce them"),
                          call.api,
                          help="the order differs run to run (measured with distributed_epoch; the docs call "
                               "dynamic sharding non-deterministic), so training does not reproduce; read the "
                               "dataset locally for a reproducible run")
        elif call.api == dist.get("shard") and call.in_script(facts):
            shuffle = _unseeded_shuffle_before(call, by_node, dist.get("shuffle", ""), module)
            if shuffle is not None:
                yield at_call(call.node, report_pos(call.node), "TFD611",
                              f"`shard` after `shuffle` (line {shuffle.node.lineno}) with no seed and no TF global seed",
                              call.api,
                              help="every worker shuffles in its own order, so the shards overlap and miss elements "
                                   "(measured); pass shuffle(seed=...) or shard before shuffling")


def _unseeded_shuffle_before(shard: ResolvedCall, by_node: dict[int, ResolvedCall], shuffle_api: str,
                             module: Module) -> ResolvedCall | None:
    """A seedless Dataset.shuffle up the method chain of ``shard`` (``ds.shuffle(n).shard(k, i)``),
    following plain assignments in the same function (``ds = ds.shuffle(n)``)."""
    expr: ast.expr | None = shard.node.func.value if isinstance(shard.node.func, ast.Attribute) else None
    for _ in range(12):
        if isinstance(expr, ast.Name):
            expr = _value_before(expr, module)
        if not isinstance(expr, ast.Call):
            return None
        found = by_node.get(id(expr))
        if found is not None and found.api == shuffle_api:
            seed = argument(expr, "seed", 1)
            unseeded = seed is None or (not isinstance(seed, Hidden) and is_none(seed))
            return found if unseeded and "tf" not in found.state.seeds else None
        expr = expr.func.value if isinstance(expr.func, ast.Attribute) else None
    return None


def _value_before(name: ast.Name, module: Module) -> ast.expr | None:
    """The value last assigned to ``name`` before this read, in the same function (straight-line)."""
    scope = module.scope_of(name)
    best: ast.Assign | None = None
    for node in module.in_scope(scope):
        if (isinstance(node, ast.Assign) and (node.end_lineno or node.lineno) < name.lineno
                and any(isinstance(t, ast.Name) and t.id == name.id for t in node.targets)
                and (best is None or node.lineno > best.lineno)):
            best = node
    return best.value if best is not None else None
