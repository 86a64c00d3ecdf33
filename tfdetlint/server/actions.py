"""Code actions: each finding's fix as a quick fix, "fix all safe", and ``# noqa: CODE``.

Every edit comes from the same code as the CLI's: ``fix_bytes`` for one finding (what
``--fix`` does for it, ``--unsafe-fixes`` included when its fix is unsafe), ``fix_file`` for all
safe fixes (``--fix``), and ``--add-noqa``'s line rewrite. The resulting text is diffed against
the buffer and sent as line edits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lsprotocol import types

from tfdetlint.findings import Finding
from tfdetlint.project import ProjectIndex
from tfdetlint.server.buffers import Checked, fix_all_safe, fix_one, noqa_line
from tfdetlint.server.diagnostics import to_diagnostic
from tfdetlint.server.documents import Snapshot
from tfdetlint.server.edits import Positions, text_edits

if TYPE_CHECKING:  # pygls itself is imported by the server module
    from pygls.workspace.position_codec import PositionCodec

FIX_ALL_KIND = f"{types.CodeActionKind.SourceFixAll.value}.tfdetlint"
QUICK_FIX = types.CodeActionKind.QuickFix.value


@dataclass(frozen=True)
class EditContext:
    """How to build edits for this client: its position encoding, and whether it takes
    versioned document changes."""

    codec: PositionCodec
    document_changes: bool


@dataclass
class FixCache:
    """Fixed bytes of one version of a document: editors ask for the actions on every cursor
    move, and a fix re-parses the file (fix-all re-checks it too)."""

    fixed: dict[tuple[object, ...], bytes | None] = field(default_factory=dict)

    def get(self, key: tuple[object, ...], compute: Callable[[], bytes | None]) -> bytes | None:
        if key not in self.fixed:
            self.fixed[key] = compute()
        return self.fixed[key]


def wanted(kind: str, only: Sequence[str] | None) -> bool:
    """LSP kinds are hierarchical: asking for ``source.fixAll`` includes ``source.fixAll.tfdetlint``."""
    return not only or any(kind == o or kind.startswith(o + ".") for o in only)


@dataclass(frozen=True)
class Request:
    """What was asked: actions for ``where`` in document ``uri``, of the kinds in ``only``;
    ``fix_all``: whether the whole-file fix is wanted (not on the editor's automatic requests,
    made on every cursor move, unless it asks for that kind by name)."""

    uri: str
    where: types.Range
    only: Sequence[str] | None = None
    fix_all: bool = True


def code_actions(snapshot: Snapshot, checked: Checked, request: Request, project: ProjectIndex | None,
                 context: EditContext, cache: FixCache) -> list[types.CodeAction]:
    positions = Positions(snapshot.text(request.uri), context.codec)
    in_file = snapshot.is_notebook_json
    diagnosed = [(f, to_diagnostic(f, positions, in_file)) for f in snapshot.by_uri(checked.findings).get(request.uri, [])]
    here = [(f, d) for f, d in diagnosed if _touches(d.range, request.where)]
    actions: list[types.CodeAction | None] = []
    if wanted(QUICK_FIX, request.only):
        actions += [_fix_action(snapshot, checked, f, d, context, cache) for f, d in here]
        # A notebook's JSON takes no comments, and an unreadable file no directives.
        actions += [_noqa_action(snapshot, request.uri, f, d, context) for f, d in here
                    if f.code != "TFD000" and not in_file]
    if wanted(FIX_ALL_KIND, request.only) and (request.fix_all or request.only):
        actions.append(fix_all_action(snapshot, checked, project, context, cache))
    return _unique([a for a in actions if a is not None])


def fix_all_action(snapshot: Snapshot, checked: Checked, project: ProjectIndex | None,
                   context: EditContext, cache: FixCache) -> types.CodeAction | None:
    new = cache.get(("all",), lambda: fix_all_safe(snapshot.raw, snapshot.path, checked.findings, checked.settings,
                                                   project))
    edit = workspace_edit(snapshot, snapshot.changed_texts(new), context) if new is not None else None
    if edit is None:
        return None
    return types.CodeAction(title="tfdetlint: fix all safe fixes", kind=FIX_ALL_KIND, edit=edit)


def _fix_action(snapshot: Snapshot, checked: Checked, finding: Finding, diagnostic: types.Diagnostic,
                context: EditContext, cache: FixCache) -> types.CodeAction | None:
    if finding.fix is None or finding.fixable not in ("safe", "unsafe"):
        return None
    new = cache.get(("one", *finding.sort_key()), lambda: fix_one(snapshot.raw, snapshot.path, finding, checked.settings))
    edit = workspace_edit(snapshot, snapshot.changed_texts(new), context) if new is not None else None
    if edit is None:
        return None
    unsafe = finding.fixable == "unsafe"
    title = f"Fix {finding.code}: {finding.fix.description}" + (" (unsafe)" if unsafe else "")
    return types.CodeAction(title=title, kind=QUICK_FIX, diagnostics=[diagnostic], edit=edit,
                            is_preferred=not unsafe)


def _noqa_action(snapshot: Snapshot, uri: str, finding: Finding, diagnostic: types.Diagnostic,
                 context: EditContext) -> types.CodeAction | None:
    text = snapshot.text(uri)
    new_line = noqa_line(text, finding.line, finding.code)
    if new_line is None:
        return None
    positions = Positions(text, context.codec)
    edit = types.TextEdit(range=positions.whole_line(finding.line - 1), new_text=new_line)
    return types.CodeAction(title=f"Add `# noqa: {finding.code}`", kind=QUICK_FIX, diagnostics=[diagnostic],
                            edit=_edit(snapshot, {uri: [edit]}, context))


def workspace_edit(snapshot: Snapshot, changes: dict[str, tuple[str, str]],
                   context: EditContext) -> types.WorkspaceEdit | None:
    edits = {uri: text_edits(old, new, Positions(old, context.codec)) for uri, (old, new) in changes.items()}
    edits = {uri: e for uri, e in edits.items() if e}
    return _edit(snapshot, edits, context) if edits else None


def _edit(snapshot: Snapshot, edits: dict[str, list[types.TextEdit]], context: EditContext) -> types.WorkspaceEdit:
    if not context.document_changes:
        return types.WorkspaceEdit(changes=edits)
    # Versioned: a client applies the edit only to the text it was computed for.
    return types.WorkspaceEdit(document_changes=[
        types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=snapshot.version_of(uri)),
            edits=list(text_edits),
        )
        for uri, text_edits in edits.items()
    ])


def _touches(a: types.Range, b: types.Range) -> bool:
    """Editors ask for the actions at the cursor (an empty range) or on a selection: a finding
    counts when the lines overlap, as a squiggle is picked by its line."""
    return not (a.end.line < b.start.line or b.end.line < a.start.line)


def _unique(actions: list[types.CodeAction]) -> list[types.CodeAction]:
    seen: set[str] = set()
    kept = []
    for action in actions:
        if action.title not in seen:
            seen.add(action.title)
            kept.append(action)
    return kept
