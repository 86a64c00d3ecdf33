"""Pass 6: is this module a training script, a library module, or a test module, and why.

Script-only rules (a global seed, op determinism) apply to scripts and notebooks; a library's
randomness and set-up are its caller's. Inside a script, module-level functions nothing live
refers to are API for importers and count as library code.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from tfdetlint.analysis.model import ResolvedCall, Scope, terminal_name
from tfdetlint.analysis.resolve import Resolver
from tfdetlint.catalogue import Catalogue


def is_test_path(path: str) -> bool:
    """pytest's and unittest's naming: ``test_*.py`` and ``*_test.py``."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.startswith("test_") or name.endswith(("_test.py", "_tests.py")) or name == "conftest.py"


def test_module_reason(resolver: Resolver, catalogue: Catalogue, path: str, notebook: bool) -> str | None:
    """Why this is a test module, or None when it is not one."""
    if notebook:
        return None
    if is_test_path(path):
        return "its name is test_*.py or *_test.py"
    for block in resolver.w.main_blocks:
        for stmt in block.body:
            if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
                    and _runs_tests(resolver, catalogue, stmt.value):
                return "its __main__ block runs a test runner"
    return None


def _runs_tests(resolver: Resolver, catalogue: Catalogue, call: ast.Call) -> bool:
    """``tf.test.main()``, ``absltest.main()``, ``unittest.main()``, a suite's own ``testing.test_main()``."""
    name = resolver.value_of(call.func, 0).qname or ""
    if name in catalogue.test_main_calls:
        return True
    leaf = terminal_name(call.func) or ""
    return leaf in ("main", "test_main") and "test" in (name or leaf)


def is_training_call(call: ResolvedCall, catalogue: Catalogue) -> bool:
    api = call.api
    if api in catalogue.training_methods or api in catalogue.training_functions:
        return True
    if api.rsplit(".", 1)[-1] in catalogue.training_duck_methods and api.startswith("keras.optimizers."):
        return True
    return api == catalogue.session_run and call.site.in_loop and not call.session_without_train_op


def builds_train_op(calls: list[ResolvedCall], catalogue: Catalogue) -> bool:
    """Whether the file builds something that trains: an optimizer step, gradients, an optimizer.

    A TF1 loop of ``sess.run`` is training only then; otherwise it evaluates, decodes or exports."""
    for call in calls:
        api = call.api
        if api.rsplit(".", 1)[-1] in catalogue.training_duck_methods and api.startswith("keras.optimizers."):
            return True
        if api in catalogue.train_op_builders or (api.startswith("tensorflow.train.") and api.endswith("Optimizer")):
            return True
    return False


def script_status(resolver: Resolver, catalogue: Catalogue, calls: list[ResolvedCall], *, test_reason: str | None,
                  notebook: bool, force_script: bool | None, main_trains: bool,
                  top_trains: bool = False) -> tuple[bool, str]:
    """``top_trains``: running the module's top level calls code of its own that trains (a
    ``train_step`` called in a module-level loop): the module is a program, not a library."""
    if force_script is not None:
        return force_script, "configured"
    if notebook:
        return True, "notebook"
    if test_reason is not None:
        return False, test_reason
    if resolver.w.main_blocks:
        return True, 'has an `if __name__ == "__main__":` block'
    if main_trains:
        return True, "an entry point (tf.app.run / app.run) runs code that trains"
    for call in calls:
        if call.site.module_level and is_training_call(call, catalogue):
            return True, "trains at module level"
    if top_trains:
        return True, "its top level runs code that trains"
    return False, "library module (no __main__ block, no module-level training)"


def referenced_names(tree: ast.AST) -> frozenset[str]:
    """Every identifier a piece of code reads: names, attributes, and strings (``__all__``, getattr)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.isidentifier():
            names.add(node.value)
    return frozenset(names)


def dead_functions(module: ast.Module, scopes: list[Scope], reached_from_top: set[int]) -> set[int]:
    """Module-level functions that nothing live in the module runs or names.

    Live: the module body, what the program-order pass ran from the top, decorated functions
    (a decorator may register them), and every function a live one names, to a fixed point.
    """
    top: dict[str, Scope] = {}
    for scope in scopes:
        if scope.kind == "function" and scope.parent == 0 and isinstance(scope.node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            top[scope.name] = scope
    if not top:
        return set()
    live: set[str] = set()
    pending: list[ast.AST] = []
    for stmt in module.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and top.get(stmt.name) is not None:
            scope = top[stmt.name]
            if stmt.decorator_list or scope.id in reached_from_top:
                live.add(stmt.name)
                pending.append(stmt)
        else:
            pending.append(stmt)
    while pending:
        for name in referenced_names(pending.pop()):
            if name in top and name not in live:
                live.add(name)
                node = top[name].node
                assert node is not None
                pending.append(node)
    return {scope.id for name, scope in top.items() if name not in live}


def scope_chain(scopes: list[Scope], scope_id: int) -> Iterator[int]:
    current: int | None = scope_id
    while current is not None:
        yield current
        current = scopes[current].parent
