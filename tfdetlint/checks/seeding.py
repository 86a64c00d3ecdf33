"""TFD1xx and TFD3xx: random draws and shuffles with no seed that controls them; seeds from entropy.

Both families share one logic, driven by the catalogue (rng.toml, shuffle.toml): a call is a
hazard when it takes no op seed and the global seed of its domain is not in effect when it
runs. Domain "none" (no global seed controls it) is flagged anywhere; the controllable domains
only in scripts, because a library module's randomness is its caller's to seed.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from tfdetlint.analysis import FileFacts, ResolvedCall, report_pos
from tfdetlint.analysis.model import terminal_name
from tfdetlint.analysis.randomness import applies, is_unseeded, op_seed
from tfdetlint.arguments import argument, is_none, source_text
from tfdetlint.catalogue import Catalogue, RandomApi
from tfdetlint.checks import RawFinding, at_call, brief, fitting, named, shorter, shown
from tfdetlint.checks.domains import SEED_CALLS, advice, covered, describe, helper_note


def _message(entry: RandomApi, call: ResolvedCall, facts: FileFacts) -> tuple[str, str]:
    """The message (what is unseeded, and which global seed is missing) and the help (the remedy)."""
    names = shorter(entry.name)
    if entry.domain == "none":
        return (fitting(*(f"`{name}()` is created without a seed, and no global seed controls it" for name in names)),
                "it differs in every run; pass an explicit seed")
    if entry.domain == "tf-generator":
        return (fitting(*(f"`{name}()` is not seeded by tf.random.set_seed" for name in names)),
                f"it differs in every run; call {SEED_CALLS['tf-generator']} first, "
                "or use tf.random.Generator.from_seed(SEED)")
    shuffles = entry.rule.startswith("TFD3")
    if entry.seed:
        what = f"shuffles with no `{entry.seed}`" if shuffles else f"has no `{entry.seed}`"
    else:
        what = "shuffles" if shuffles else "draws random values"
    cause = describe(entry.domain, call.state, facts, estimator_graph=call.estimator_graph)
    fix = advice(entry.domain, call.state, facts, entry.seed, estimator_graph=call.estimator_graph)
    if entry.seed is None and entry.safe_if:
        condition = entry.safe_if[0]
        fix = f"pass {condition.param}=False or " + fix.replace("pass a seed or ", "")
    note = helper_note([entry.domain], facts, call)
    return named(entry.name, f" {what} and {cause}"), f"{fix}; {note}" if note else fix


def _args(call: ast.Call, entry: RandomApi) -> tuple[tuple[str, str], ...]:
    pairs = [(k.arg, source_text(k.value)) for k in call.keywords if k.arg is not None]
    pairs += [(str(i), source_text(a)) for i, a in enumerate(call.args) if _is_literal(a)]
    return tuple(sorted(pairs))


def _is_literal(expr: ast.expr) -> bool:
    try:
        ast.literal_eval(expr)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def check(facts: FileFacts, catalogue: Catalogue) -> Iterator[RawFinding]:
    for call, effect in facts.helpers:
        if effect.entropy:
            where = f" in {effect.path.rsplit('/', 1)[-1]}" if effect.path else ""
            yield at_call(call.node, report_pos(call.node), "TFD106",
                          f"`{effect.name}()`{where} seeds from `{effect.entropy}()`, which differs in every run",
                          call.api, help="pass it a fixed seed (and log it)")
    from_clock: set[int] = set()  # calls already reported for a seed from the clock
    for call in facts.calls:
        node = call.node
        pos = report_pos(node)
        setter = catalogue.setters.get(call.api)
        if setter is not None:
            seed = argument(node, setter.seed_param, setter.seed_pos)
            source = facts.values.entropy_in(seed, call.site.scope) if isinstance(seed, ast.expr) else None
            if source is not None and isinstance(seed, ast.expr):
                from_clock.add(id(node))
                yield _entropy(node, seed, call.api, source)
            continue
        for entry in catalogue.random_apis.get(call.api, ()):
            seed = op_seed(entry, node)
            if isinstance(seed, ast.expr):
                source = facts.values.entropy_in(seed, call.site.scope)
                if source is not None:
                    from_clock.add(id(node))
                    yield _entropy(node, seed, call.api, source)
                    break
            if not entry.rule or entry.seeded or not applies(entry, node) or not is_unseeded(entry, seed):
                continue
            if entry.domain not in ("none", "tf-generator"):
                if not call.in_script(facts) or covered(entry.domain, call.state, facts):
                    continue
            elif entry.domain == "tf-generator" and covered(entry.domain, call.state, facts):
                continue
            message, remedy = _message(entry, call, facts)
            yield at_call(node, pos, entry.rule, message, entry.name, _args(node, entry), remedy)
            break
    for node, name, param in facts.seed_defaults:
        given = argument(node, param.name, param.position)
        if given is None or (isinstance(given, ast.expr) and is_none(given)):
            yield at_call(node, report_pos(node), "TFD105",
                          fitting(f"`{name}()` leaves `{param.name}` None: its `{shown(param.api)}` ({param.where}) "
                                  "is seeded from OS entropy",
                                  f"`{name}()` leaves `{param.name}` None: its `{brief(param.api)}` is seeded from OS "
                                  "entropy"),
                          param.api, help=f"pass {param.name}=SEED: {param.api} with seed None reads OS entropy")
    # A seed by name (`seed=` of any call, a namedtuple's `seeds` field) computed from the clock.
    for node, seed, source in facts.values.clock_seeds():
        if id(node) not in from_clock:
            from_clock.add(id(node))
            resolved = facts.by_node.get(id(node))
            yield _entropy(node, seed, resolved.api if resolved is not None else _written(node.func), source)


def _written(func: ast.expr) -> str:
    """A call's callee as written (``self._State`` -> ``_State``), for calls the catalogue does not name."""
    return func.attr if isinstance(func, ast.Attribute) else source_text(func)


def _entropy(node: ast.Call, seed: ast.expr, api: str, source: str) -> RawFinding:
    """Reported where the seed reads the clock: the source's call inside the seed argument, else the argument."""
    short = re.sub(r"^datetime\.datetime\.", "datetime.", source)
    leaf = source.rsplit(".", 1)[-1]
    reads = sorted((n.lineno, n.col_offset) for n in ast.walk(seed)
                   if isinstance(n, ast.Call) and terminal_name(n.func) == leaf)
    pos = reads[0] if reads else (seed.lineno, seed.col_offset)
    return at_call(node, pos, "TFD106",
                   named(api, f" comes from `{short}()`, which differs in every run", before="the seed given to "),
                   api, help="use a fixed seed (and log it)")
