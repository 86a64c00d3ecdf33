"""Read a file's bytes and turn them into the Python text the analysis parses.

Decoding follows PEP 263 (coding cookie, UTF-8 BOM). A notebook becomes one program: its code
cells in order, IPython magics neutralised line for line, with a map back to cell and line.
"""

from __future__ import annotations

import io
import json
import re
import tokenize
from dataclasses import dataclass

MAX_FILE_BYTES = 20 * 1024 * 1024


class SourceError(Exception):
    """The file cannot be analysed; the message says why, in one line, ``line`` where."""

    def __init__(self, message: str, line: int = 1) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class Cell:
    index: int  # 1-based index among code cells... of all cells, as Jupyter counts them
    first_line: int  # 1-based line in the joined text where this cell starts
    line_count: int


@dataclass(frozen=True)
class Source:
    path: str
    text: str
    encoding: str = "utf-8"
    cells: tuple[Cell, ...] | None = None  # set for notebooks
    skip_reason: str | None = None  # a file that is fine but has nothing to analyse

    @property
    def is_notebook(self) -> bool:
        return self.cells is not None

    def locate(self, line: int) -> tuple[int | None, int]:
        """Map a line of ``text`` to (cell index, line within the cell); plain files: (None, line)."""
        if self.cells is None:
            return None, line
        for cell in self.cells:
            if cell.first_line <= line < cell.first_line + cell.line_count:
                return cell.index, line - cell.first_line + 1
        return None, line


def decode_python(raw: bytes, path: str) -> tuple[str, str]:
    """Decode Python source bytes the way the interpreter would; return (text, encoding)."""
    if b"\x00" in raw:
        raise SourceError("binary file (contains NUL bytes), not Python source")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError as exc:
        # detect_encoding also refuses invalid UTF-8 in the first two lines as an "invalid or
        # missing encoding declaration": say which bytes are wrong when that is the cause.
        encoding = "utf-8"
        if raw.startswith(b"\xef\xbb\xbf") or _valid_utf8(raw):
            raise SourceError(f"bad encoding declaration: {exc.msg}") from exc
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        bad = raw[exc.start : exc.end].hex(" ")
        raise SourceError(f"cannot decode line {line} as {encoding}: invalid byte(s) {bad} ({exc.reason})",
                          line) from exc
    except LookupError as exc:
        raise SourceError(f"cannot decode as {encoding}: {exc}") from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    return text, encoding


def _valid_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def load_source(raw: bytes, path: str) -> Source:
    if len(raw) > MAX_FILE_BYTES:
        raise SourceError(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; skipped")
    if path.endswith(".ipynb"):
        return load_notebook(raw, path)
    text, encoding = decode_python(raw, path)
    return Source(path, text, encoding)


_CELL_MAGIC_PYTHON = {"time", "timeit", "capture", "prun", "debug"}
_ENV_MAGIC = re.compile(r"^(\s*)%(?:set_)?env\s+([A-Za-z_][A-Za-z0-9_]*)(?:\s*=\s*|\s+)(\S.*?)\s*$")
_SHELL_ASSIGN = re.compile(r"^(\s*[\w\s,\[\]().]+?=\s*)[!%].*$")


def neutralise_magics(cell_text: str) -> str:
    """Replace IPython-only syntax with Python of the same line count."""
    lines = cell_text.split("\n")
    first = lines[0].lstrip() if lines else ""
    if first.startswith("%%"):
        magic = first[2:].split(None, 1)[0] if len(first) > 2 else ""
        if magic not in _CELL_MAGIC_PYTHON:
            return "\n".join("" for _ in lines)  # %%bash, %%writefile ...: not Python
        lines[0] = ""
    out = []
    for line in lines:
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        env = _ENV_MAGIC.match(line)
        if env:
            # %env sets the variable in this process, exactly like os.environ does.
            # One line, binding only a private name, that the analysis resolves to os.environ.
            out.append(f"{env.group(1)}import os as _tfdetlint_os; "
                       f"_tfdetlint_os.environ[{env.group(2)!r}] = {env.group(3)!r}")
        elif stripped.startswith(("%", "!")) or (stripped.endswith("?") and not stripped.startswith("#")):
            out.append(indent + "pass")
        elif _SHELL_ASSIGN.match(line) and re.search(r"=\s*[!%]", line):
            out.append(_SHELL_ASSIGN.sub(lambda m: m.group(1) + "None", line))
        else:
            out.append(line)
    return "\n".join(out)


def load_notebook(raw: bytes, path: str) -> Source:
    try:
        nb = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SourceError(f"invalid notebook JSON: {exc}") from exc
    except RecursionError as exc:
        raise SourceError("invalid notebook JSON: nested too deeply to read") from exc
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise SourceError("invalid notebook: no list of cells")
    language = notebook_language(nb)
    if language and language != "python":
        return Source(path, "", cells=(), skip_reason=f"notebook kernel language is {language}, not Python")
    parts: list[str] = []
    cells: list[Cell] = []
    line = 1
    for index, cell in enumerate(nb["cells"], start=1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(part, str) for part in source):
            text = "".join(source)
        elif isinstance(source, str):
            text = source
        else:
            raise SourceError(f"invalid notebook: the source of cell {index} is not text "
                              "(a string or a list of strings)")
        text = neutralise_magics(text.replace("\r\n", "\n").replace("\r", "\n"))
        count = text.count("\n") + 1
        cells.append(Cell(index, line, count))
        parts.append(text)
        line += count
    return Source(path, "\n".join(parts) + "\n", "utf-8", tuple(cells))


def notebook_language(nb: dict[str, object]) -> str | None:
    meta = nb.get("metadata")
    if not isinstance(meta, dict):
        return None
    for key, field in (("kernelspec", "language"), ("language_info", "name")):
        section = meta.get(key)
        if isinstance(section, dict) and isinstance(section.get(field), str):
            return str(section[field]).lower()
    return None
