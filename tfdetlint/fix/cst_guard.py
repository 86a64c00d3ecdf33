"""Parse code for rewriting with libcst without letting libcst's native parser take the run down.

libcst's parser (native code) crashes the whole process with SIGSEGV on some long but legal
code, and takes time that grows with the cube of the nesting on other code. Measured with
libcst 1.x on CPython 3.11 (main thread, 8 MB stack):

- crash (signal 11): ``1 + 1 + ...`` with 8,000 terms (7,875 parse), ``a and a and ...`` with
  10,000 terms, 20,000 ``elif`` branches, 50,000 nested brackets;
- slow: 1,000-level chains take 2-40 s (2 busy cores) (``a[0][0]...`` 41 s, ``f()()...`` 9 s, ``a.b.b...`` 6 s,
  ``-(-(...))`` 2.5 s) and 4,000-level attribute chains 90 s; 250 levels stay under 1 s.

Both grow with the length of one logical line (a chain nests one level per term) or, for
``elif``, with the number of branches. Code where neither exceeds ``PROBE_TOKENS`` /
``PROBE_ELIFS`` is parsed here directly (every real file we fixed is far below). Anything
longer is first parsed in a forked child process with a time limit: if the child crashes or
runs out of time, the file is not rewritten (``CannotRewrite``) and the run goes on with the
next file; if it succeeds, the code is parsed here.
"""

from __future__ import annotations

import contextlib
import difflib
import faulthandler
import io
import multiprocessing
import re
import sys
import tokenize

import libcst as cst

PROBE_TOKENS = 200  # tokens in one logical line above which the parse is tried in a child first
PROBE_ELIFS = 500  # `elif` keywords in one unit, likewise
PROBE_TIMEOUT_S = 60.0  # wall clock: generous, a busy machine slows the child down too


class CannotRewrite(Exception):
    """libcst cannot parse this code safely; the message says why (starts with "cannot rewrite")."""


def needs_probe(text: str) -> bool:
    """Whether ``text`` has a logical line or an ``elif`` chain long enough to endanger libcst."""
    tokens = 0
    elifs = 0
    try:
        for token in tokenize.generate_tokens(io.StringIO(text).readline):
            if token.type in (tokenize.NEWLINE, tokenize.ENDMARKER):
                tokens = 0
                continue
            tokens += 1
            if tokens > PROBE_TOKENS:
                return True
            if token.type == tokenize.NAME and token.string == "elif":
                elifs += 1
                if elifs > PROBE_ELIFS:
                    return True
    except (tokenize.TokenError, SyntaxError):
        return True  # not what the checker parsed; let the child find out
    return False


def _child(text: str) -> None:
    faulthandler.disable()  # a crash is what is being tested for, not worth a traceback
    with contextlib.suppress(BaseException):  # only a crash or a hang matters here
        cst.parse_module(text)


def probe(text: str, timeout: float | None = None) -> str | None:
    """Parse ``text`` in a child process; why it failed (crash, time limit), or None if it did not.
    ``timeout`` defaults to ``PROBE_TIMEOUT_S`` as it is when called (settable)."""
    timeout = PROBE_TIMEOUT_S if timeout is None else timeout
    # fork: the child has libcst loaded already; elsewhere a fresh interpreter
    context = multiprocessing.get_context("fork") if sys.platform.startswith("linux") else multiprocessing.get_context("spawn")
    child = context.Process(target=_child, args=(text,), daemon=True)
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
        return f"libcst did not finish parsing it within {timeout:g} s"
    if child.exitcode:
        code = child.exitcode
        how = f"signal {-code}" if code < 0 else f"exit status {code}"
        return f"libcst's parser crashed on it ({how})"
    return None


def parse_for_rewrite(text: str) -> cst.Module:
    """``libcst.parse_module(text)``, or ``CannotRewrite`` where that would crash or hang.

    Also raises what ``parse_module`` raises (``ParserSyntaxError``, ``RecursionError``).
    """
    if needs_probe(text):
        failure = probe(text)
        if failure is not None:
            raise CannotRewrite(f"cannot rewrite: {failure} (a very long expression or `elif` chain); "
                                "file left unchanged")
    return cst.parse_module(text)


def keep_layout(original: str, new: str) -> str:
    """Undo what libcst's round trip loses of ``original`` in ``new`` (its printed code).

    libcst drops a form feed that starts a code line (``\\fx = 1``) and the final line break
    of a file whose lines end in a bare ``\\r``. Lines that differ from the original only by
    form feeds get the original back; a lost final line break is put back.
    """
    if original.endswith(("\r", "\n")) and new and not new.endswith(("\r", "\n")):
        new += "\r\n" if original.endswith("\r\n") else original[-1]
    if "\f" in original:
        new = _restore_form_feeds(original, new)
    return new


_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _restore_form_feeds(original: str, new: str) -> str:
    old_lines = _LINES.findall(original)  # not str.splitlines: it breaks lines at form feeds too
    new_lines = _LINES.findall(new)
    strip = [line.replace("\f", "") for line in old_lines]
    out: list[str] = []
    matcher = difflib.SequenceMatcher(None, strip, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        out += old_lines[i1:i2] if tag == "equal" else new_lines[j1:j2]
    return "".join(out)
