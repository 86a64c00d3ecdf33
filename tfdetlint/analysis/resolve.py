"""Pass 2: what a name, an attribute or a call is, through imports, assignments and returns.

Resolution is lazy and memoised: only what the rules ask about is resolved. A value is a
qualified library name (``tensorflow.random.normal``), an instance of a catalogue type (a
``Dataset``, a Keras model), local code (a function, lambda or class of this file, or an
instance of one), or unknown.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from typing import TypeVar

from tfdetlint.analysis.model import (
    LAST,
    UNKNOWN,
    Binding,
    CallSite,
    Pos,
    ResolvedCall,
    Scope,
    Val,
    terminal_name,
)
from tfdetlint.analysis.symbols import SymbolTable
from tfdetlint.arguments import argument
from tfdetlint.catalogue import Catalogue, Shape

T = TypeVar("T")

_PARTIALS = frozenset({"functools.partial"})
_MAX_CLASS_DEPTH = 10


class Resolver:
    def __init__(self, symbols: SymbolTable, catalogue: Catalogue) -> None:
        self.w = symbols
        self.c = catalogue
        self.scopes = symbols.scopes
        self._memo: dict[tuple[int, int], Val] = {}
        self._busy: set[tuple[int, int]] = set()
        self._resolved: dict[int, ResolvedCall | None] = {}
        self._returns_busy: set[int] = set()
        self._callers: dict[int, list[CallSite]] | None = None
        self._param_busy: set[tuple[int, str]] = set()

    # ---- names
    def lookup(self, name: str, scope_id: int, pos: Pos) -> Binding | None:
        scope: Scope | None = self.scopes[scope_id]
        innermost = True
        while scope is not None:
            if scope.kind == "class" and not innermost:
                scope = self.scopes[scope.parent] if scope.parent is not None else None
                continue
            found = scope.bindings.get(name)
            if found:
                if found[-1].kind == "global":
                    return self.lookup(name, 0, pos)
                if not innermost:
                    return found[-1]  # enclosing scopes: their code has run by the time we are called
                before = [b for b in found if b.pos <= pos]
                return before[-1] if before else found[0]
            innermost = False
            scope = self.scopes[scope.parent] if scope.parent is not None else None
        return None

    def enclosing_class(self, scope_id: int) -> int | None:
        """The class whose method (or a function nested in one) this scope is."""
        current: int | None = scope_id
        while current is not None:
            scope = self.scopes[current]
            parent = scope.parent
            if scope.kind == "function" and parent is not None and self.scopes[parent].kind == "class":
                return parent
            current = parent
        return None

    # ---- values
    def value_of(self, expr: ast.expr, scope: int) -> Val:
        key = (id(expr), scope)
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        if key in self._busy:
            return UNKNOWN
        self._busy.add(key)
        try:
            value = self._value_of(expr, scope)
        finally:
            self._busy.discard(key)
        self._memo[key] = value
        return value

    def _value_of(self, expr: ast.expr, scope: int) -> Val:
        if isinstance(expr, ast.Name):
            return self._name_value(expr, scope)
        if isinstance(expr, ast.Attribute):
            return self._attribute_value(expr, scope)
        if isinstance(expr, ast.Call):
            return self._call_value(expr, scope)
        if isinstance(expr, ast.Await):
            return self.value_of(expr.value, scope)
        if isinstance(expr, ast.Lambda):
            found = self.w.lambda_scopes.get(id(expr))
            return Val(local=found) if found is not None else UNKNOWN
        if isinstance(expr, ast.Constant):
            return Val(external=True)
        if isinstance(expr, ast.Subscript):
            return self._subscript_value(expr, scope)
        return UNKNOWN

    def _subscript_value(self, expr: ast.Subscript, scope: int) -> Val:
        """``d["train"]`` of a dict of Datasets is a Dataset; ``pair[0]`` is that element of a tuple."""
        base = self.value_of(expr.value, scope)
        index = expr.slice
        if base.items and isinstance(index, ast.Constant) and type(index.value) is int \
                and -len(base.items) <= index.value < len(base.items):
            return base.items[index.value]
        if base.element is None:
            return UNKNOWN
        if isinstance(index, ast.Slice):
            return base if base.unpacks else UNKNOWN  # a slice of a list is a list of the same
        return base.element

    def unpacked(self, value: Val, path: tuple[int, ...]) -> Val:
        """The element at ``path`` when ``value`` is unpacked (``(train, test), info = value``)."""
        for index in path:
            if value.items:
                value = value.items[index] if index < len(value.items) else UNKNOWN
            elif value.element is not None and value.unpacks:
                value = value.element
            else:
                return UNKNOWN
        return value

    def _attribute_value(self, expr: ast.Attribute, scope: int) -> Val:
        if isinstance(expr.value, ast.Name):
            if expr.value.id == "self":
                found = self._self_attribute(expr.attr, scope)
                if found is not None:
                    return found
            # `tf.model = keras.Sequential()` makes `tf.model` a variable.
            binding = self.lookup(f"{expr.value.id}.{expr.attr}", scope, (expr.lineno, expr.col_offset))
            if binding is not None and binding.value is not None and binding.value_scope is not None:
                return self.value_of(binding.value, binding.value_scope)
        base = self.value_of(expr.value, scope)
        if base.qname is not None:
            return Val(qname=self.c.canonical(f"{base.qname}.{expr.attr}"))
        if base.type is not None:
            return Val(qname=f"{base.type}.{expr.attr}", type=None, hint=base.type)
        if base.instance_of is not None:
            method = self.method_of(base.instance_of, expr.attr)
            if method is not None:
                return Val(local=method)
            # A method the class inherits from a library base (tfrs.Model.fit): duck-typed by name.
            return Val(hint=expr.attr) if self.class_base_names(base.instance_of) else Val(external=True)
        if base.external or base.local is not None:
            return Val(external=True)
        return Val(hint=expr.attr)

    def _self_attribute(self, attr: str, scope: int) -> Val | None:
        """``self.NAME`` inside a class: a method, or what ``self.NAME = value`` assigned."""
        class_id = self.enclosing_class(scope)
        if class_id is None:
            return None
        method = self.method_of(class_id, attr)
        if method is not None:
            return Val(local=method)
        for value, value_scope in self.scopes[class_id].self_attrs.get(attr, ()):
            found = self.value_of(value, value_scope)
            if found != UNKNOWN:
                return found
        return None

    def method_of(self, class_id: int, name: str, depth: int = 0) -> int | None:
        """A method of a local class, following local base classes."""
        scope = self.scopes[class_id]
        found = next((m for m in scope.methods if self.scopes[m].name == name), None)
        if found is not None or depth > _MAX_CLASS_DEPTH:
            return found
        for base in scope.bases:
            value = self.value_of(base, scope.parent or 0)
            if value.local is not None and self.scopes[value.local].kind == "class":
                found = self.method_of(value.local, name, depth + 1)
                if found is not None:
                    return found
        return None

    def _name_value(self, expr: ast.Name, scope: int) -> Val:
        binding = self.lookup(expr.id, scope, (expr.lineno, expr.col_offset))
        if binding is None:
            return Val(hint=expr.id)
        if binding.kind == "import" and binding.qname is not None:
            return Val(qname=self.c.canonical(binding.qname))
        if binding.kind in ("def", "class"):
            return Val(local=binding.scope, hint=expr.id)
        if binding.kind == "value" and binding.value is not None and binding.value_scope is not None:
            value = self.value_of(binding.value, binding.value_scope)
            return value if value != UNKNOWN else Val(hint=expr.id)
        if binding.kind == "unpacked" and binding.value is not None and binding.value_scope is not None:
            value = self.unpacked(self.value_of(binding.value, binding.value_scope), binding.path)
            return value if value != UNKNOWN else Val(hint=expr.id)
        if binding.kind == "param" and binding.value_scope is not None:
            if binding.value is not None:
                annotation = self.value_of(binding.value, binding.value_scope)
                if annotation.qname in self.c.types:
                    return Val(type=annotation.qname)
            passed = self._argument_type(binding.value_scope, expr.id)
            if passed is not None:
                return Val(type=passed, hint=expr.id)
            code = self._argument_function(binding.value_scope, expr.id)
            if code is not None:
                return code
        return Val(hint=expr.id)

    def _argument_type(self, function: int, name: str) -> str | None:
        """The catalogue type every call of a local function passes for a parameter
        (``def configure(ds): ds.shuffle(1000)`` called as ``configure(train_ds)``)."""
        found = self.arguments_passed(function, name, lambda arg, scope: self.value_of(arg, scope).type)
        return found if isinstance(found, str) else None

    def _argument_function(self, function: int, name: str) -> Val | None:
        """The function every call of a local function passes for a parameter, by name
        (``run_main(flags, train_fn=train.train)``): calling the parameter calls it."""
        def code(value: Val) -> Val | None:
            if value.qname is not None:
                return Val(qname=value.qname)
            local = value.local
            return Val(local=local) if local is not None and self.scopes[local].kind == "function" else None
        found = self.arguments_passed(function, name, lambda arg, scope: code(self.value_of(arg, scope)))
        return found if isinstance(found, Val) else None

    def arguments_passed(self, function: int, name: str, fact: Callable[[ast.expr, int], T | None]) -> T | None:
        """What every call of a local function passes for a parameter, when they all agree:
        ``fact`` of each argument expression (and the scope it is in)."""
        key = (function, name)
        node = self.scopes[function].node
        if key in self._param_busy or not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        positional = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
        self._param_busy.add(key)
        try:
            found: list[T | None] = []
            for site in self._callers_of(function):
                arg = next((k.value for k in site.node.keywords if k.arg == name), None)
                if arg is None and name in positional and positional.index(name) < len(site.node.args):
                    arg = site.node.args[positional.index(name)]
                    if any(isinstance(a, ast.Starred) for a in site.node.args[: positional.index(name) + 1]):
                        arg = None
                found.append(fact(arg, site.scope) if arg is not None else None)
        finally:
            self._param_busy.discard(key)
        return found[0] if found and all(f == found[0] for f in found) else None

    def _callers_of(self, function: int) -> list[CallSite]:
        if self._callers is None:
            self._callers = {}
            for site in self.w.sites:
                func = site.node.func
                if isinstance(func, ast.Name):
                    binding = self.lookup(func.id, site.scope, (func.lineno, func.col_offset))
                    if binding is not None and binding.kind == "def" and binding.scope is not None:
                        self._callers.setdefault(binding.scope, []).append(site)
        return self._callers.get(function, [])

    def _call_value(self, call: ast.Call, scope: int) -> Val:
        dynamic = self._dunder_import(call, scope)
        if dynamic is not None:
            return dynamic
        if isinstance(call.func, ast.Name) and call.func.id == "super" and self.lookup("super", scope, LAST) is None:
            return self._super_value(call, scope)
        func = self.value_of(call.func, scope)
        if func.qname in _PARTIALS and call.args:
            return self.value_of(call.args[0], scope)  # partial(f, ...) calls f
        if func.local is not None:
            local = self.scopes[func.local]
            if local.kind == "class":
                model = self._local_class_type(local.id)
                return Val(type=model) if model else Val(instance_of=local.id)
            return self._return_value(local.id)
        if func.qname is None:
            if isinstance(call.func, ast.Attribute) and not func.external:
                receiver = self.value_of(call.func.value, scope)
                duck = self.duck_api(receiver, call.func.attr)
                if duck is not None and duck.startswith("tensorflow.data.Dataset."):
                    return Val(type="tensorflow.data.Dataset")
            return UNKNOWN if not func.external else Val(external=True)
        shape = self.c.shapes.get(func.qname)
        if shape is not None:
            return self._shaped(shape, call, scope)
        type_name = self.c.type_of_constructor(func.qname)
        if type_name:
            return Val(type=type_name)
        owner, _, method = func.qname.rpartition(".")
        info = self.c.types.get(owner)
        if info is not None and func.hint == owner:
            if method in info.methods:
                return Val(type=owner)
            for other in self.c.types.values():
                if other.accessor == method:
                    return Val(type=other.name)
            return Val(external=True)
        return Val(external=True, returned_by=None if self.c.knows(func.qname) else func.qname)

    def _super_value(self, call: ast.Call, scope: int) -> Val:
        """``super().__init__(...)`` in a method: the first base class, as an instance of it (a
        local class) or by its qualified name (``pkg.base.Net``, whose ``__init__`` then runs)."""
        class_id = self.enclosing_class(scope)
        if class_id is None or not self.scopes[class_id].bases:
            return UNKNOWN
        if call.args and not (isinstance(call.args[0], ast.Name) and call.args[0].id == self.scopes[class_id].name):
            return UNKNOWN  # super(Other, self): a base further up the order
        base = self.value_of(self.scopes[class_id].bases[0], self.scopes[class_id].parent or 0)
        if base.local is not None and self.scopes[base.local].kind == "class":
            return Val(instance_of=base.local)
        return Val(qname=base.qname) if base.qname is not None else UNKNOWN

    def _shaped(self, shape: Shape, call: ast.Call, scope: int) -> Val:
        """The value of a call that returns one, a dict or a list of a type, by its arguments."""
        one = Val(type=shape.type)
        kinds = {"one": one, "dict": Val(element=one), "list": Val(element=one, unpacks=True)}
        if shape.argument is None:
            value = kinds.get(shape.always, UNKNOWN)
        else:
            chosen = argument(call, shape.argument, shape.position)
            literal = self._literal(chosen, scope) if isinstance(chosen, ast.expr) else None
            if chosen is None or (isinstance(literal, ast.Constant) and literal.value is None):
                value = kinds.get(shape.absent, UNKNOWN)
            elif isinstance(literal, (ast.List, ast.Tuple, ast.ListComp)):
                value = kinds.get(shape.sequence, UNKNOWN)
            elif isinstance(literal, ast.Constant):
                value = kinds.get(shape.values.get(str(literal.value), "one"), UNKNOWN)
            else:
                # A variable: any of the shapes, so both its methods and its subscripts resolve
                # (calling `.shuffle` on a dict, or subscripting a Dataset, would fail anyway).
                value = Val(type=shape.type, element=one, unpacks=True)
        if shape.paired_by is not None:
            flag = argument(call, shape.paired_by, None)
            if isinstance(flag, ast.expr) and self._truthy_literal(flag, scope):
                return Val(items=(value, Val(external=True)))
        return value

    def _literal(self, expr: ast.expr, scope: int) -> ast.expr:
        """A name bound once to a literal stands for it (``SPLITS = ["train", "test"]``)."""
        if isinstance(expr, ast.Name):
            binding = self.lookup(expr.id, scope, (expr.lineno, expr.col_offset))
            if binding is not None and binding.kind == "value" and binding.value is not None \
                    and isinstance(binding.value, (ast.Constant, ast.List, ast.Tuple, ast.ListComp)):
                return binding.value
        return expr

    def _truthy_literal(self, expr: ast.expr, scope: int) -> bool:
        literal = self._literal(expr, scope)
        return isinstance(literal, ast.Constant) and literal.value is True

    def _dunder_import(self, call: ast.Call, scope: int) -> Val | None:
        """``__import__("os")`` is the module ``os`` (notebooks' ``%env`` becomes this; see sources)."""
        func = call.func
        if not (isinstance(func, ast.Name) and func.id == "__import__" and call.args):
            return None
        if self.lookup("__import__", scope, (func.lineno, func.col_offset)) is not None:
            return None
        name = call.args[0]
        if not (isinstance(name, ast.Constant) and isinstance(name.value, str) and name.value):
            return None
        # Without a fromlist __import__ returns the top-level package.
        return Val(qname=self.c.canonical(name.value.split(".", 1)[0]))

    def returned(self, scope_id: int) -> Val:
        """What calling the local function ``scope_id`` returns (see ``_return_value``)."""
        return self._return_value(scope_id)

    def callee_name(self, value: Val) -> str | None:
        """The uncatalogued function a value is, by name, for the project index to find:
        ``util.jitter``, or ``util.make_fn()`` for what calling ``util.make_fn`` returned."""
        if value.qname is not None:
            return None if self.c.knows(value.qname) else value.qname
        return f"{value.returned_by}()" if value.returned_by is not None else None

    def _return_value(self, scope_id: int) -> Val:
        """What a local function returns: a catalogue type, local code (a builder's closure), or
        one named function (``return functools.partial(util.preprocess, size=8)``)."""
        if scope_id in self._returns_busy:
            return UNKNOWN
        self._returns_busy.add(scope_id)
        named: set[tuple[str | None, str | None]] = set()
        try:
            for expr in self.scopes[scope_id].returns:
                value = self.value_of(expr, scope_id)
                if value.type is not None or value.element is not None or value.items:
                    return Val(type=value.type, element=value.element, unpacks=value.unpacks, items=value.items)
                if value.local is not None or value.instance_of is not None:
                    return Val(local=value.local, instance_of=value.instance_of)
                if not (isinstance(expr, ast.Constant) and expr.value is None):
                    named.add((value.qname, value.returned_by))
        finally:
            self._returns_busy.discard(scope_id)
        # A name only when every return gives it: a builder choosing between functions is not one.
        qname, returned_by = named.pop() if len(named) == 1 else (None, None)
        if qname is not None:
            return Val(qname=qname)
        return Val(external=True, returned_by=returned_by) if returned_by is not None else UNKNOWN

    def _local_class_type(self, class_id: int, depth: int = 0) -> str | None:
        if depth > _MAX_CLASS_DEPTH:
            return None
        for base in self.scopes[class_id].bases:
            value = self.value_of(base, self.scopes[class_id].parent or 0)
            if value.local is not None and self.scopes[value.local].kind == "class":
                found = self._local_class_type(value.local, depth + 1)
                if found:
                    return found
            elif value.qname is not None:
                for info in self.c.types.values():
                    if value.qname in info.bases:
                        return info.name
        return None

    def class_base_names(self, class_id: int, depth: int = 0) -> set[str]:
        """Qualified names of a local class's bases, following local base classes."""
        names: set[str] = set()
        if depth > _MAX_CLASS_DEPTH:
            return names
        for base in self.scopes[class_id].bases:
            value = self.value_of(base, self.scopes[class_id].parent or 0)
            if value.qname is not None:
                names.add(value.qname)
            elif value.local is not None and self.scopes[value.local].kind == "class":
                names |= self.class_base_names(value.local, depth + 1)
        return names

    # ---- calls
    def resolve_call(self, site: CallSite) -> ResolvedCall | None:
        key = id(site)
        if key in self._resolved:
            return self._resolved[key]
        result = self._resolve_call(site)
        self._resolved[key] = result
        return result

    def _resolve_call(self, site: CallSite) -> ResolvedCall | None:
        func = site.node.func
        name = terminal_name(func)
        if name is None:
            return None
        value = self.value_of(func, site.scope)
        if value.qname is not None:
            receiver = None
            if value.hint is not None and value.hint in self.c.types:
                receiver = Val(type=value.hint)
            return ResolvedCall(site, value.qname, receiver)
        if value.returned_by is not None:
            # calling what another module's builder returned: `f()` of that module (project.py),
            # unless a catalogued constructor made it (a Keras loss object)
            return self._instance_call(site) or ResolvedCall(site, f"{value.returned_by}()", None)
        if isinstance(func, ast.Attribute):
            receiver = self.value_of(func.value, site.scope)
            if receiver.instance_of is not None and value.hint == func.attr:
                # an instance of a local subclass of a library class, calling an inherited method
                receiver = Val(hint=func.value.id if isinstance(func.value, ast.Name) else None)
            duck = self.duck_api(receiver, func.attr) or self._duck_by_keywords(receiver, func.attr, site.node)
            if duck is not None:
                return ResolvedCall(site, duck, receiver)
        return self._instance_call(site)

    def _instance_call(self, site: CallSite) -> ResolvedCall | None:
        """A call of an object a catalogued constructor made (``ce = CategoricalCrossentropy(...)``;
        ``ce(y, p)``): ``X.__call__``, with the constructor's call to read its arguments from."""
        made = self.made_by(site.node.func, site.scope)
        if made is None:
            return None
        maker = self.value_of(made[0].func, made[1]).qname
        if maker is None or maker not in self.c.instance_calls:
            return None
        return ResolvedCall(site, f"{maker}.__call__", None, made_by=made[0])

    def made_by(self, expr: ast.expr, scope: int, depth: int = 0) -> tuple[ast.Call, int] | None:
        """The call whose result this is, and its scope: itself, what a name was last assigned,
        or the one ``self.x = ...`` of its class."""
        if depth > _MAX_CLASS_DEPTH:
            return None
        if isinstance(expr, ast.Call):
            return expr, scope
        if isinstance(expr, ast.Name):
            binding = self.lookup(expr.id, scope, (expr.lineno, expr.col_offset))
            if binding is not None and binding.kind == "value" and binding.value is not None \
                    and binding.value_scope is not None:
                return self.made_by(binding.value, binding.value_scope, depth + 1)
        elif isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id == "self":
            class_id = self.enclosing_class(scope)
            if class_id is None:
                return None
            assigned = self.scopes[class_id].self_attrs.get(expr.attr, [])
            if len(assigned) == 1:
                return self.made_by(assigned[0][0], assigned[0][1], depth + 1)
            # a class attribute (``_State = namedtuple(...)`` in the class body)
            in_body = self.scopes[class_id].bindings.get(expr.attr, [])
            if not assigned and len(in_body) == 1 and in_body[0].kind == "value" and in_body[0].value is not None:
                return self.made_by(in_body[0].value, in_body[0].value_scope or class_id, depth + 1)
        return None

    def _duck_by_keywords(self, receiver: Val, method: str, node: ast.Call) -> str | None:
        """A Dataset method on an untyped receiver, told by keywords only tf.data takes."""
        if receiver.external or receiver.type is not None or receiver.qname is not None:
            return None
        if receiver.local is not None or receiver.instance_of is not None:
            return None  # an object of a class defined here has its own methods
        dataset = self.c.types.get("tensorflow.data.Dataset")
        if dataset is None or method not in dataset.methods:
            return None
        if any(k.arg in dataset.unique_keywords for k in node.keywords):
            return f"{dataset.name}.{method}"
        return None

    def duck_api(self, receiver: Val, method: str) -> str | None:
        """A method on a value of unknown type that can only be one library's."""
        if method in self.c.training_duck_methods and receiver.type is None:
            if self.w.imports & {"tensorflow", "keras", "tf_keras"}:
                return f"keras.optimizers.Optimizer.{method}"
            return None
        if receiver.external or receiver.type is not None or receiver.qname is not None:
            return None
        if receiver.local is not None or receiver.instance_of is not None:
            return None
        dataset = self.c.types.get("tensorflow.data.Dataset")
        if dataset is not None and method in dataset.unique_methods:
            return f"{dataset.name}.{method}"
        model = self.c.types.get("keras.Model")
        hint = receiver.hint or ""
        if (
            model is not None
            and model.duck_name is not None
            and model.duck_name.search(hint)
            and f"keras.Model.{method}" in self.c.training_methods | set(self.c.random_apis)
            and self.w.imports & {"tensorflow", "keras", "tf_keras"}
        ):
            return f"keras.Model.{method}"
        return None

    def constructor_of(self, expr: ast.expr, scope: int, depth: int = 0) -> str | None:
        """The library class or function whose call made this value (``tool = Tool()``; ``Tool()``)."""
        if depth > _MAX_CLASS_DEPTH:
            return None
        if isinstance(expr, ast.Call):
            return self.value_of(expr.func, scope).qname
        if isinstance(expr, ast.Name):
            binding = self.lookup(expr.id, scope, (expr.lineno, expr.col_offset))
            if binding is not None and binding.kind == "value" and binding.value is not None \
                    and binding.value_scope is not None:
                return self.constructor_of(binding.value, binding.value_scope, depth + 1)
        return None
