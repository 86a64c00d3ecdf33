"""What one check is about: a text document, or a notebook document and its cells.

A snapshot is taken on the event loop and handed to the checking thread, so the check sees one
consistent version of the buffer while the editor goes on sending changes.
"""

from __future__ import annotations

import io
import tokenize
from dataclasses import dataclass
from pathlib import Path

from tfdetlint.findings import Finding
from tfdetlint.server.notebooks import CellText, cell_texts, notebook_bytes


@dataclass(frozen=True)
class Snapshot:
    key: str  # the text document's URI, or the notebook document's
    path: Path  # the file name it is checked as (its configuration, script detection, reports)
    version: int | None
    raw: bytes  # what is checked: the buffer, or the cells written as a notebook
    cells: tuple[CellText, ...] | None = None  # a notebook document's cells
    buffer: str = ""  # a text document's text
    encoding: str = "utf-8"  # how ``raw`` encodes it

    @staticmethod
    def of_text(uri: str, path: Path, version: int | None, text: str) -> Snapshot:
        raw, encoding = buffer_bytes(text)
        return Snapshot(uri, path, version, raw, buffer=text, encoding=encoding)

    @staticmethod
    def of_notebook(uri: str, path: Path, version: int | None, cells: tuple[CellText, ...]) -> Snapshot:
        return Snapshot(uri, path, version, notebook_bytes(cells), cells)

    @property
    def is_notebook_json(self) -> bool:
        """A ``.ipynb`` opened as a text document: positions are those of the JSON text."""
        return self.cells is None and self.path.suffix == ".ipynb"

    def uris(self) -> list[str]:
        """Every document diagnostics are published to."""
        return [self.key] if self.cells is None else [cell.uri for cell in self.cells]

    def version_of(self, uri: str) -> int | None:
        """The version of ``uri`` this snapshot holds: edits built from it are sent for that
        version, so a client refuses them once the text has moved on."""
        if self.cells is None:
            return self.version
        return next((cell.version for cell in self.cells if cell.uri == uri), None)

    def text(self, uri: str) -> str:
        if self.cells is None:
            return self.buffer
        return next(cell.text for cell in self.cells if cell.uri == uri)

    def by_uri(self, findings: list[Finding]) -> dict[str, list[Finding]]:
        """Each finding under the document it is shown in (a notebook's: its cell's)."""
        grouped: dict[str, list[Finding]] = {uri: [] for uri in self.uris()}
        if self.cells is None:
            grouped[self.key] = list(findings)
            return grouped
        if not self.cells:
            return grouped
        first_code = next((cell.uri for cell in self.cells if cell.code), self.cells[0].uri)
        for finding in findings:
            index = (finding.cell or 0) - 1
            uri = self.cells[index].uri if 0 <= index < len(self.cells) else first_code
            grouped[uri].append(finding)
        return grouped

    def changed_texts(self, new_raw: bytes) -> dict[str, tuple[str, str]]:
        """For fixed bytes: each document that changes -> (its text now, its text after)."""
        if self.cells is None:
            try:
                new = new_raw.decode(self.encoding)
            except UnicodeDecodeError:
                return {}
            return {self.key: (self.buffer, new)} if new != self.buffer else {}
        texts = cell_texts(new_raw)
        if texts is None or len(texts) != len(self.cells):
            return {}
        return {cell.uri: (cell.text, new) for cell, new in zip(self.cells, texts, strict=True) if new != cell.text}


def buffer_bytes(text: str) -> tuple[bytes, str]:
    """The bytes a buffer stands for: an editor holds decoded text, and a file whose PEP 263
    cookie declares another encoding is saved (and so checked and fixed) in that encoding."""
    # surrogatepass: an editor may hold lone surrogates; decoding reports them as TFD000.
    raw = text.encode("utf-8", "surrogatepass")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    except SyntaxError:
        return raw, "utf-8"
    if encoding in ("utf-8", "utf-8-sig"):
        return raw, "utf-8"
    try:
        return text.encode(encoding), encoding
    except (UnicodeEncodeError, LookupError):
        return raw, "utf-8"  # what the file would not hold either: checked as it stands
