"""``fix.region``: libcst sees only the top-level statements a fix needs, and the fixed file is
byte for byte what fixing the whole file with libcst gives (encodings, BOM, line endings kept)."""

from __future__ import annotations

import ast
import re

import pytest
from samples import ALL

from tfdetlint.engine import Options, check_bytes
from tfdetlint.fix import fixer, region
from tfdetlint.fix.locate import Unit

# Ordinary code no fix touches; one function passes seed 42 itself, so a per-call seed the fix
# adds must not reuse it (seeds in use are read from the whole file, not libcst's region).
FILLER = (
    "\n\n@staticmethod\ndef filler_{i}(x, scale={i}):\n"
    "    # a comment inside\n"
    "    values = [v * scale for v in x]; total = sum(values)\n"
    "    return total, np.random.default_rng(42 + {i} - {i})\n"
    "\n\ndef seeded_{i}():\n    return np.random.default_rng(42)\n"
)


def _padded(source: str, at_end: bool) -> str:
    filler = "".join(FILLER.format(i=i) for i in range(40))  # about 400 lines
    if at_end:
        return source + filler
    lines = source.splitlines(keepends=True)
    # before the first top-level statement that is not an import or the docstring
    for index, line in enumerate(lines):
        if line[:1].isalpha() and not line.startswith(("import ", "from ")):
            return "".join(lines[:index]) + filler.lstrip("\n") + "\n\n" + "".join(lines[index:])
    return source + filler


def _variants() -> list[tuple[str, bytes]]:
    cases = []
    for name, source in ALL.items():
        for at_end in (True, False):
            text = _padded(source, at_end)
            cases.append((f"{name}-{'end' if at_end else 'middle'}-lf", text.encode()))
            crlf = text.replace("\n", "\r\n").encode()
            cases.append((f"{name}-{'end' if at_end else 'middle'}-bom-crlf", b"\xef\xbb\xbf" + crlf))
    # bare CR line endings and a form feed starting a line (libcst drops both unless restored)
    odd = _padded(ALL["keras_fit"], True).replace("\n\n\ndef seeded_3", "\n\n\n\fdef seeded_3")
    cases.append(("keras_fit-end-cr-formfeed", odd.replace("\n", "\r").encode()))
    return cases


def _fix(raw: bytes, use_region: bool, monkeypatch: pytest.MonkeyPatch) -> fixer.FileFix:
    findings = check_bytes(raw, "t.py", Options(force_script=True))
    with monkeypatch.context() as patch:
        if not use_region:
            patch.setattr(region, "mask", lambda *args: None)
        return fixer.fix_bytes(raw, "t.py", findings, 42, True)


@pytest.mark.parametrize(("name", "raw"), _variants(), ids=[n for n, _ in _variants()])
def test_region_fix_equals_whole_file_fix(name: str, raw: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[Unit] = []
    real = fixer._parse

    def spy(unit: Unit) -> object:
        parsed.append(unit)
        return real(unit)

    monkeypatch.setattr(fixer, "_parse", spy)
    whole = _fix(raw, False, monkeypatch)
    assert len(parsed) == 1 and not parsed[0].lines  # the whole file, as before
    parsed.clear()
    masked = _fix(raw, True, monkeypatch)
    assert masked.new == whole.new
    assert [f.code for f in masked.outcome.applied] == [f.code for f in whole.outcome.applied]
    if whole.new is None:
        return
    assert len(parsed) == 1 and parsed[0].lines  # libcst saw a region
    assert len(parsed[0].text) < len(raw) / 2
    new = masked.new
    assert new.startswith(b"\xef\xbb\xbf") == raw.startswith(b"\xef\xbb\xbf")
    assert set(re.findall(rb"\r\n|\r|\n", new)) == set(re.findall(rb"\r\n|\r|\n", raw))  # line endings kept
    assert new.count(b"\f") == raw.count(b"\f")
    ast.parse(new.decode("utf-8-sig"))
    again = _fix(new, True, monkeypatch)
    assert again.new is None  # idempotent


def test_a_lost_marker_falls_back_to_the_whole_file() -> None:
    text = "import os\n\n\nx = 1\n" + "".join(f"def f{i}():\n    return {i}\n" for i in range(300)) + "y = 2\n"
    masked = region.mask(text, ast.parse(text), {4})
    assert masked is not None and len(masked.chunks) == 1
    assert region.unmask(masked.text, masked) == text
    marker = next(iter(masked.chunks))
    assert region.unmask(masked.text.replace(marker + "\n", ""), masked) is None
    assert region.unmask(masked.text + marker + "\n", masked) is None
    assert region.mask("import os\nx = 1\n", ast.parse("import os\nx = 1\n"), {2}) is None  # nothing to save
