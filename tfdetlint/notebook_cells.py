"""One notebook code cell as the Python that Jupyter runs, line for line and column for column.

IPython rewrites a cell before compiling it (``IPython.core.inputtransformer2``): it drops
leading blank lines, removes the indentation common to the whole cell, strips pasted prompts,
turns a ``%%magic`` cell into one call, and then, one at a time and earliest first, rewrites the
special syntax its tokenizer finds: ``x = %magic``, ``x = !cmd``, lines starting with ``%``, ``!``,
``!!``, ``?``, ``,``, ``;``, ``/`` (with ``\\`` continuation lines), and ``obj?`` / ``obj??`` help.
A cell of one line that is still not Python is tried as an automagic (``pip install x``).

This module makes the same decisions (with IPython's own finders when IPython is installed,
else with the equivalent code below) but writes a replacement that keeps every line where it
was: the cell's N lines become N lines of Python, and a column of the result maps back to the
column of the cell through per-line shifts. ``%time STMT`` / ``%timeit STMT`` keep STMT (it
runs), ``%env`` becomes ``os.environ``, ``%run file.py`` is recorded; the rest becomes ``pass``.
"""

from __future__ import annotations

import ast
import re
import textwrap
import tokenize
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

# Cell magics whose body runs as Python in the kernel (the body is itself transformed).
PYTHON_CELL_MAGICS = frozenset({"time", "timeit", "capture", "prun", "debug"})
# Line magics whose argument is a statement that runs in the user namespace.
STATEMENT_MAGICS = frozenset({"time", "timeit", "prun", "debug"})
# Names IPython knows as line magics or (POSIX) aliases: a one-line cell ``pip install x`` runs
# as ``%pip install x`` (automagic). Colab adds ``tensorflow_version``.
_MAGIC_WORDS = """
alias alias_magic autoawait autocall automagic autosave bookmark cat cd clear code_wrap colors
conda config connect_info cp debug dhist dirs doctest_mode ed edit env gui hist history
killbgscripts ldir less lf lk ll load load_ext loadpy logoff logon logstart logstate logstop ls
lsmagic lx macro magic mamba man matplotlib micromamba mkdir more mv notebook page pastebin pdb
pdef pdoc pfile pinfo pinfo2 pip popd pprint precision prun psearch psource pushd pwd pycat
pylab qtconsole quickref recall rehashx reload_ext rep rerun reset reset_selective rm rmdir run
save sc set_env store sx system tb tensorflow_version time timeit unalias unload_ext uv who
who_ls whos xdel xmode
"""
AUTOMAGICS = frozenset(_MAGIC_WORDS.split())
_ENV = re.compile(r"^(?:set_)?env\s+([A-Za-z_][A-Za-z0-9_]*)(?:\s*=\s*|\s+)(\S.*?)\s*$")
_TIMEIT_OPTIONS = re.compile(r"^(?:-[nrp]\s*\d+\s+|-[tcqo]\s+)*")
_HELP_END = re.compile(r"(%{0,2}(?!\d)[\w*]+(\.(?!\d)[\w*]+|\[-?[0-9]+\])*)(\?\??)$")
_ESCAPE_SINGLES = frozenset({"!", "?", "%", ",", ";", "/"})
_LINE_SPLIT = re.compile(r"^(\s*)([,;/%]|!!?|\?\??)?\s*(%{0,2}[\w\.\*]*)(.*?$|$)")
_MAYBE_SPECIAL = re.compile(r"[%!?]|^\s*[,;/]")
_FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
# ``%run helper.py`` becomes ``from .helper import f, g, __name__ as _tfdetlint_run`` (sources):
# the alias tells the analysis that the helper runs as ``__main__``, its top level and its
# ``if __name__ == "__main__":`` block both, at that point of the notebook.
RUN_ALIAS = "_tfdetlint_run"
_LOOP_LIMIT = 500


@dataclass(frozen=True)
class CellPython:
    """``text`` has exactly the cell's lines. ``shifts[i]`` maps columns of line i+1 back to
    the cell: ``(from_column, add)`` pairs, 0-based, in order (empty: unchanged)."""

    text: str
    shifts: tuple[tuple[tuple[int, int], ...], ...]
    skipped: str | None = None  # a cell that is not Python (``%%bash``): why
    error: tuple[str, int, int] | None = None  # Jupyter rejects it: (message, line, column 1-based)
    runs: tuple[tuple[int, str], ...] = ()  # ``%run`` targets: (line, file)

    def column(self, line: int, column: int) -> int:
        """The 0-based column in the cell of 0-based ``column`` on 1-based ``line`` of ``text``."""
        if 1 <= line <= len(self.shifts):
            return column + _delta(self.shifts[line - 1], column)
        return column


@dataclass
class _Special:
    """One piece of IPython syntax: which kind, where it starts (0-based), the last line it
    covers, and whether IPython's rewrite of it succeeds (a failing one is passed over)."""

    kind: str  # MagicAssign | SystemAssign | EscapedCommand | HelpEnd
    line: int
    col: int
    end: int
    priority: int


@dataclass
class _Work:
    lines: list[str]
    shifts: list[list[tuple[int, int]]]
    runs: list[tuple[int, str]] = field(default_factory=list)

    def delete(self, line: int, start: int, stop: int) -> None:
        """Record that the text of ``line`` between columns ``start`` and ``stop`` was removed."""
        width = stop - start
        if width <= 0:
            return
        old = self.shifts[line]
        kept = [(s, d) for s, d in old if s < start]
        later = [(s - width, d + width) for s, d in old if s > stop]
        self.shifts[line] = [*kept, (start, _delta(old, stop) + width), *later]


def _delta(segments: list[tuple[int, int]] | tuple[tuple[int, int], ...], column: int) -> int:
    add = 0
    for start, delta in segments:
        if column >= start:
            add = delta
    return add


def _compose(inner: tuple[tuple[int, int], ...], outer: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Segments of ``outer(inner(c))`` (both are ``c + delta`` piecewise)."""
    points = {0} | {s for s, _ in inner} | {max(0, s - _delta(inner, s)) for s, _ in outer}
    points |= {max(0, s - d) for s, _ in outer for _, d in inner}
    out: list[tuple[int, int]] = []
    for point in sorted(points):
        total = _delta(inner, point) + _delta(outer, point + _delta(inner, point))
        if (out and out[-1][1] != total) or (not out and total):
            out.append((point, total))
    return tuple(out)


Finder = Callable[[list[str]], "_Special | None"]


# ------------------------------------------------------------------------------ public entry
def cell_to_python(text: str, finder: Finder | None = None) -> CellPython:
    """The Python of one cell (``\\n`` line ends), as Jupyter would run it."""
    finder = finder or default_finder()
    lines = text.split("\n")
    work = _Work(list(lines), [[] for _ in lines])
    _cleanup(work, getattr(finder, "cleanup", builtin_cleanup))
    first = next((i for i, line in enumerate(work.lines) if line.strip()), None)
    if first is not None and work.lines[first].startswith("%%") and not re.match(r"%%\w+\?", work.lines[first]):
        return _cell_magic(work, first, finder)
    _token_transforms(work, finder)
    return _finish(work, first)


def default_finder() -> Finder:
    """IPython's own finders when IPython is installed, else the equivalent code here."""
    try:
        return ipython_finder()
    except ImportError:
        return fallback_find


# ------------------------------------------------------------------------------ cleanup
_IPROMPT = re.compile(r"^(((\[nav\]|\[ins\])?\ )?In\ \[\d+\]:\ |\s*\.{3,}:\ ?)")


def builtin_cleanup(lines: list[str]) -> list[str]:
    """IPython's clean-up of the lines from the first non-blank one on: the indentation common
    to them all goes, then pasted prompts."""
    return _strip_prompts(textwrap.dedent("\n".join(lines)).split("\n"))


def _cleanup(work: _Work, clean: Callable[[list[str]], list[str]]) -> None:
    """Leading blank lines stay blank; indentation common to the cell and pasted prompts go,
    and each line's columns shift by what was removed in front of it."""
    lines = work.lines
    first = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    for i in range(first):
        lines[i] = ""
    rest = lines[first:]
    if not rest:
        return
    stripped = clean(rest)
    if len(stripped) != len(rest) or any(new.strip() and not old.endswith(new) for old, new in zip(rest, stripped, strict=False)):
        stripped = builtin_cleanup(rest)  # a clean-up that is not prefix removal: keep ours
    for offset, (old, new) in enumerate(zip(rest, stripped, strict=True)):
        i = first + offset
        if not new.strip():
            lines[i] = new if not old.strip() else ""
            continue
        if old.endswith(new) and len(old) > len(new):
            work.delete(i, 0, len(old) - len(new))
        lines[i] = new


def _strip_prompts(lines: list[str]) -> list[str]:
    """``>>> `` / ``... `` (doctest) and ``In [1]: `` / ``...: `` prompts, as IPython strips them."""
    if any(re.match(r"^\s*>>>", line) for line in lines):
        out = [re.sub(r"^\s*(>>>|\.\.\.)[ \t]?", "", line, count=1) for line in lines]
        lines = textwrap.dedent("\n".join(out)).split("\n")
    if lines and (_IPROMPT.match(lines[0]) or (len(lines) > 1 and _IPROMPT.match(lines[1]))):
        lines = [_IPROMPT.sub("", line, count=1) for line in lines]
    return lines


# ------------------------------------------------------------------------------ cell magics
def _cell_magic(work: _Work, first: int, finder: Finder) -> CellPython:
    header = work.lines[first]
    name = header[2:].rstrip().partition(" ")[0]
    count = len(work.lines)
    if name not in PYTHON_CELL_MAGICS:
        return CellPython("\n".join("" for _ in range(count)), tuple(() for _ in range(count)),
                          skipped=f"a %%{name} cell is not Python")
    head = first + 1
    if head == count:  # a cell magic with no body runs nothing
        return CellPython("\n" * (count - 1), tuple(() for _ in range(count)))
    body = cell_to_python("\n".join(work.lines[head:]), finder)
    shifts = tuple(tuple(s) for s in work.shifts[:head])
    # The body's columns were counted after this cell's own clean-up: compose the two.
    composed = []
    for offset, inner in enumerate(body.shifts):
        outer = work.shifts[head + offset]
        composed.append(_compose(inner, outer))
    error = None
    if body.error is not None:
        message, line, column = body.error
        outer_shift = work.shifts[head + line - 1] if head + line - 1 < count else []
        error = (message, line + head, column + _delta(outer_shift, column - 1))
    runs = tuple((line + head, target) for line, target in body.runs)
    return CellPython("\n" * head + body.text, shifts + tuple(composed), body.skipped, error, runs)


# ------------------------------------------------------------------------------ token transforms
def _token_transforms(work: _Work, finder: Finder) -> None:
    # IPython's syntax needs a %, ! or ? token, or a logical line starting with , ; or /: a cell
    # without any of them is left as it is, without tokenizing it (most cells).
    if not any(_MAYBE_SPECIAL.search(line) for line in work.lines):
        return
    for _ in range(_LOOP_LIMIT):
        special = finder(work.lines)
        if special is None:
            return
        _rewrite(work, special)


def _continued_end(lines: list[str], start: int) -> int:
    end = start
    while end < len(lines) and lines[end].endswith("\\") and end + 1 < len(lines):
        end += 1
    return end


def _assembled(lines: list[str], line: int, col: int, end: int) -> str:
    parts = [lines[line][col:], *lines[line + 1:end + 1]]
    return " ".join([p.rstrip()[:-1] for p in parts[:-1]] + [parts[-1].rstrip()])


def _blank(work: _Work, start: int, end: int) -> None:
    for i in range(start, end + 1):
        work.lines[i] = ""
        work.shifts[i] = []


def _rewrite(work: _Work, special: _Special, escape_typed: bool = True) -> None:
    """Replace ``special`` by Python on the same lines. ``escape_typed`` False: an automagic,
    whose ``%`` is implied rather than written."""
    lines, line, col = work.lines, special.line, special.col
    prefix = lines[line][:col]
    if special.kind == "HelpEnd":
        lines[line] = prefix + "pass"
        _blank(work, line + 1, special.end)
        return
    end = special.end
    content = ("" if escape_typed else "%") + _assembled(lines, line, col, end)
    if special.kind == "SystemAssign":
        lines[line] = prefix + "None"
        _blank(work, line + 1, end)
        return
    if special.kind == "MagicAssign":
        kept = _statement_of(content, "eval")
        if kept is not None and end == line:
            lines[line] = prefix + lines[line][col + kept:]
            work.delete(line, col, col + kept)
            return
        lines[line] = prefix + "None"
        _blank(work, line + 1, end)
        return
    # EscapedCommand
    escape = content[:2] if content[:2] in ("!!", "??") else content[:1]
    body = content[len(escape):]
    if escape == "%":
        if _magic_line(work, line, col, end, content, 0 if escape_typed else 1):
            return
    elif escape in (",", ";", "/"):
        lines[line] = prefix + _autocall(escape, body)
        _blank(work, line + 1, end)
        return
    lines[line] = prefix + "pass"
    _blank(work, line + 1, end)


def _magic_line(work: _Work, line: int, col: int, end: int, content: str, implied: int) -> bool:
    """``%time STMT``, ``%env``, ``%run``: rewritten here (True); other magics become ``pass``.
    ``content`` starts with ``%``; ``implied`` is 1 when that ``%`` is not in the cell."""
    lines = work.lines
    prefix = lines[line][:col]
    name, _, args = content[1:].partition(" ")
    if name in STATEMENT_MAGICS:
        first_line = ("%" if implied else "") + lines[line][col:]
        kept = _statement_start(first_line) if _statement_of(content, "exec") is not None else None
        if kept is not None:
            # STMT keeps its own continuation lines: Python joins them the way IPython did.
            lines[line] = prefix + first_line[kept:]
            work.delete(line, col, col + kept - implied)
            return True
        return False
    env = _ENV.match(content[1:])
    if env is not None:
        # %env sets the variable in this process, exactly like os.environ does; one line, binding
        # only a private name, that the analysis resolves to os.environ.
        lines[line] = (f"{prefix}import os as _tfdetlint_os; "
                       f"_tfdetlint_os.environ[{env.group(1)!r}] = {env.group(2)!r}")
        _blank(work, line + 1, end)
        return True
    if name == "run":
        target = _run_target(args)
        if target is not None:
            work.runs.append((line + 1, target))
    return False


def _run_target(args: str) -> str | None:
    words = [w for w in args.split() if not w.startswith("-")]
    if words and words[0].endswith(".py"):
        return words[0].strip("\"'")
    return None


def _statement_start(magic: str) -> int | None:
    """Where STMT starts in ``%time STMT`` (or ``%timeit -n1 STMT``); None: not such a magic."""
    match = re.match(r"%(\w+)", magic)
    if match is None or match.group(1) not in STATEMENT_MAGICS:
        return None
    start = match.end() + len(magic[match.end():]) - len(magic[match.end():].lstrip())
    if match.group(1) == "timeit":
        options = _TIMEIT_OPTIONS.match(magic[start:])
        start += options.end() if options else 0
    return start if magic[start:].strip() else None


def _statement_of(magic: str, mode: str) -> int | None:
    """``_statement_start`` when STMT is Python; ``mode`` "eval" wants an expression
    (``x = %time f()``)."""
    start = _statement_start(magic)
    if start is None:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(magic[start:], "<magic>", mode, _FLAGS | ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError):
        return None
    return start


def _autocall(escape: str, body: str) -> str:
    name, _, args = body.partition(" ")
    if escape == ",":
        return '{}("{}")'.format(name, '", "'.join(args.split()))
    if escape == ";":
        return f'{name}("{args}")'
    return "{}({})".format(name, ", ".join(args.split()))


# ------------------------------------------------------------------------------ finish
def _finish(work: _Work, first: int | None) -> CellPython:
    text = "\n".join(work.lines)
    error = _compile_error(text)
    if error is not None and first is not None:
        automagic = _automagic(work, first)
        if automagic:
            text = "\n".join(work.lines)
            error = _compile_error(text)
    if error is not None:
        message, line, offset = error
        column = _column(work, line, offset - 1) + 1 if offset > 0 else 1
        error = (message, line, column)
    return CellPython(text, tuple(tuple(s) for s in work.shifts), None, error, tuple(work.runs))


def _column(work: _Work, line: int, column: int) -> int:
    if 1 <= line <= len(work.shifts):
        return column + _delta(work.shifts[line - 1], column)
    return column


def _compile_error(text: str) -> tuple[str, int, int] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text + "\n", "<cell>", "exec", _FLAGS, dont_inherit=True)
    except SyntaxError as exc:
        return exc.msg, exc.lineno or 1, exc.offset or 0
    except (ValueError, MemoryError, RecursionError) as exc:
        return str(exc) or type(exc).__name__, 1, 0
    return None


def _automagic(work: _Work, first: int) -> bool:
    """A cell of one line (as IPython counts them) whose first word is a magic runs as ``%word``."""
    content = work.lines[first:]
    if len(content) > 1 and content[-1] == "":
        content = content[:-1]  # "pip install x\n" is one line to IPython, "...x\n\n" two
    if len(content) != 1:
        return False
    match = _LINE_SPLIT.match(content[0])
    if match is None or match.group(2) or match.group(3) not in AUTOMAGICS:
        return False
    if match.group(4)[:1] in ("=", ","):
        return False
    _rewrite(work, _Special("EscapedCommand", first, len(match.group(1)), first, 10), escape_typed=False)
    return True


# ------------------------------------------------------------------------------ finders
def as_source(lines: list[str]) -> list[str]:
    """The lines as IPython holds them: each ends in a newline; a text that ended in one has no
    empty last line."""
    return [line + "\n" for line in (lines[:-1] if lines and lines[-1] == "" else lines)]


def _tokens_by_line(lines: list[str]) -> list[list[tokenize.TokenInfo]]:
    """IPython's ``make_tokens_by_line``: tokens grouped by logical line; errors end the list."""
    source = as_source(lines)
    groups: list[list[tokenize.TokenInfo]] = [[]]
    depth = 0
    catch = ("unterminated string literal", "invalid non-printable character",
             "after line continuation character", "invalid decimal literal", "invalid binary literal",
             "invalid octal literal", "invalid hexadecimal literal", "in binary literal",
             "in octal literal", "expected EOF")
    tokens: list[tokenize.TokenInfo] = []
    try:
        for token in _generate(iter(source).__next__):
            tokens.append(token)
            groups[-1].append(token)
            if token.type == tokenize.NEWLINE or (token.type == tokenize.NL and depth <= 0):
                groups.append([])
            elif token.type == tokenize.OP and token.string in "([{":
                depth += 1
            elif token.type == tokenize.OP and token.string in ")]}" and depth > 0:
                depth -= 1
    except tokenize.TokenError as exc:
        if any(text in str(exc.args[0]) for text in catch):
            start = (tokens[-1].start[0], tokens[-1].end[0]) if tokens else (1, 0)
            groups[-1].append(tokenize.TokenInfo(tokenize.ERRORTOKEN, "", start, start, ""))
    except SyntaxError:  # IndentationError: IPython stops there too (the cell is rejected)
        return []
    if not groups[-1]:
        groups.pop()
    return groups


def _generate(readline: Callable[[], str]) -> Iterator[tokenize.TokenInfo]:
    yield from tokenize.generate_tokens(readline)


def _find_assign(line: list[tokenize.TokenInfo]) -> int | None:
    depth = 0
    for i, token in enumerate(line):
        if token.string == "=" and depth == 0:
            return i
        if token.string in ("(", "[", "{"):
            depth += 1
        elif token.string in (")", "]", "}") and depth > 0:
            depth -= 1
    return None


def _find_magic_assign(groups: list[list[tokenize.TokenInfo]]) -> tuple[int, int] | None:
    for line in groups:
        i = _find_assign(line)
        if i is not None and len(line) >= i + 2 and line[i + 1].string == "%" and line[i + 2].type == tokenize.NAME:
            return line[i + 1].start
    return None


def _find_system_assign(groups: list[list[tokenize.TokenInfo]]) -> tuple[int, int] | None:
    import sys

    for line in groups:
        i = _find_assign(line)
        if i is None or line[i].line.strip().startswith("=") or len(line) < i + 2:
            continue
        if sys.version_info >= (3, 12):
            if line[i + 1].type == tokenize.OP and line[i + 1].string == "!":
                return line[i + 1].start
            continue
        j = i + 1
        while j < len(line) and line[j].type == tokenize.ERRORTOKEN:
            if line[j].string == "!":
                return line[j].start
            if not line[j].string.isspace():
                break
            j += 1
    return None


def _find_escaped(groups: list[list[tokenize.TokenInfo]]) -> tuple[int, int] | None:
    for line in groups:
        i = 0
        while i < len(line) and line[i].type in (tokenize.INDENT, tokenize.DEDENT):
            i += 1
        if i < len(line) and line[i].string in _ESCAPE_SINGLES:
            return line[i].start
    return None


def _find_help(groups: list[list[tokenize.TokenInfo]]) -> tuple[tuple[int, int], tuple[int, int]] | None:
    for line in groups:
        if len(line) > 2 and line[-2].string == "?":
            i = 0
            while line[i].type in (tokenize.INDENT, tokenize.DEDENT):
                i += 1
            return line[i].start, line[-2].start
    return None


def _help_ok(lines: list[str], special: _Special) -> bool:
    piece = "".join(line + "\n" for line in lines[special.line:special.end + 1])
    return _HELP_END.search(piece[special.col:]) is not None


def _escaped_ok(lines: list[str], special: _Special) -> bool:
    content = _assembled(lines, special.line, special.col, special.end)
    if content[:1] == "/" and content[:2] not in ("!!", "??"):
        return content[1:].partition(" ")[0] != ""
    return True


def _choose(lines: list[str], candidates: list[_Special]) -> _Special | None:
    for special in sorted(candidates, key=lambda s: (s.line, s.col, s.priority)):
        if special.kind == "HelpEnd" and not _help_ok(lines, special):
            continue
        if special.kind == "EscapedCommand" and not _escaped_ok(lines, special):
            continue
        return special
    return None


def fallback_find(lines: list[str]) -> _Special | None:
    """The earliest IPython syntax in ``lines`` (0-based positions), as IPython 8/9 finds it."""
    groups = _tokens_by_line(lines)
    candidates: list[_Special] = []
    for kind, found in (("MagicAssign", _find_magic_assign(groups)), ("SystemAssign", _find_system_assign(groups)),
                        ("EscapedCommand", _find_escaped(groups))):
        if found is not None:
            line = found[0] - 1
            candidates.append(_Special(kind, line, found[1], _continued_end(lines, line), 10))
    helped = _find_help(groups)
    if helped is not None:
        (sl, sc), (ql, _) = helped
        candidates.append(_Special("HelpEnd", sl - 1, sc, ql - 1, 5))
    return _choose(lines, candidates)


class IPythonFinder:
    """The search done by IPython's own transformer classes, and its own clean-up."""

    def __init__(self) -> None:
        from IPython.core import inputtransformer2

        self.it2: Any = inputtransformer2
        self.manager: Any = inputtransformer2.TransformerManager()  # type: ignore[no-untyped-call]

    def cleanup(self, lines: list[str]) -> list[str]:
        source = as_source(lines)
        for transform in self.manager.cleanup_transforms:
            source = transform(source)
        out = [line[:-1] if line.endswith("\n") else line for line in source]
        return [*out, ""] if lines and lines[-1] == "" else out

    def __call__(self, lines: list[str]) -> _Special | None:
        source = as_source(lines)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                groups = self.it2.make_tokens_by_line(source)
        except SyntaxError:  # an IndentationError: IPython rejects the cell, unchanged
            return None
        candidates: list[Any] = [c for cls in self.manager.token_transformers if (c := cls.find(groups))]
        for candidate in sorted(candidates, key=self.it2.TokenTransformBase.sortby):
            try:
                candidate.transform(list(source))
            except SyntaxError:
                continue
            kind = type(candidate).__name__
            line = int(candidate.start_line)
            end = int(candidate.q_line) if kind == "HelpEnd" else _continued_end(lines, line)
            return _Special(kind, line, int(candidate.start_col), end, int(candidate.priority))
        return None


def ipython_finder() -> Finder:
    """IPython's own finders and clean-up (raises ImportError without IPython)."""
    return IPythonFinder()
