"""``tfdetlint server`` driven over stdio by a real LSP client (pytest-lsp): what an editor sees."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("pygls")
pytest.importorskip("pytest_lsp")

from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.server.editing import apply, edits_for
from tests.server.lsp_session import (
    SERVER_ENV,
    actions_at,
    client,
    codes,
    eventually,
    has,
    lacks,
    open_text,
    replace_text,
    wait_for,
)

pytestmark = pytest.mark.asyncio
__all__ = ["client"]  # the fixture, imported for pytest to find

SCRIPT = textwrap.dedent("""\
    import tensorflow as tf

    x = tf.random.normal([2, 2])
    ds = tf.data.Dataset.range(10).map(lambda v: v, num_parallel_calls=4, deterministic=False)
    model = tf.keras.Sequential([tf.keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(x, x)
""")


def cli_findings(path: Path, text: str, *extra: str) -> list[dict[str, object]]:
    """What ``tfdetlint check`` reports for this text under this name (the server must agree)."""
    run = subprocess.run([sys.executable, "-m", "tfdetlint", "check", "--output-format", "json", "--no-cache",
                          "--stdin-filename", str(path), *extra, "-"],
                         input=text.encode(), capture_output=True, env=SERVER_ENV, cwd=path.parent, check=False)
    assert run.returncode in (0, 1), run.stderr.decode()
    return list(json.loads(run.stdout))


def cli_fix(path: Path, text: str) -> str:
    run = subprocess.run([sys.executable, "-m", "tfdetlint", "check", "--fix", "--stdin-filename", str(path), "-"],
                         input=text.encode(), capture_output=True, env=SERVER_ENV, cwd=path.parent, check=False)
    return run.stdout.decode()


async def test_diagnostics_come_from_the_unsaved_buffer_as_the_cli_reports_them(client: LanguageClient,
                                                                                  tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    path.write_text("print('the file on disk is clean')\n")
    uri = open_text(client, path, SCRIPT)
    found = await wait_for(client, uri, has("TFD101"))
    expected = cli_findings(path, SCRIPT)
    assert codes(found) == sorted(str(f["code"]) for f in expected)
    by_code = {str(d.code): d for d in found}
    for finding in expected:
        diagnostic = by_code[str(finding["code"])]
        assert diagnostic.message == finding["message"]
        assert diagnostic.source == "tfdetlint"
        assert diagnostic.range.start == types.Position(line=int(finding["line"]) - 1,  # type: ignore[call-overload]
                                                        character=int(finding["column"]) - 1)  # type: ignore[call-overload]
        assert diagnostic.code_description is not None
        assert diagnostic.code_description.href.endswith(f"/rules/docs/{finding['code']}.md")
    # One missing seed, linked as the CLI links it (issue 16): the draw points at its root cause.
    root = by_code["TFD501"]
    assert random_op_root(by_code["TFD101"], uri) == (root.range.start.line, root.range.start.character)
    assert any(info.location.range.start.line == 2 for info in root.related_information or [])
    random_op = by_code["TFD101"]
    assert random_op.range == types.Range(start=types.Position(line=2, character=14),
                                          end=types.Position(line=2, character=28))  # normal([2, 2])
    assert random_op.severity == types.DiagnosticSeverity.Warning


async def test_quick_fix_applies_and_the_republished_diagnostics_are_gone(client: LanguageClient,
                                                                          tmp_path: Path) -> None:
    uri = open_text(client, tmp_path / "train.py", SCRIPT)
    await wait_for(client, uri, has("TFD101"))
    actions = await actions_at(client, uri, 2)
    fix = next(a for a in actions if a.title.startswith("Fix TFD101"))
    assert fix.kind == types.CodeActionKind.QuickFix
    assert fix.is_preferred is True and "(unsafe)" not in fix.title
    assert fix.diagnostics and str(fix.diagnostics[0].code) == "TFD101"
    fixed = apply(SCRIPT, edits_for(fix.edit, uri))
    assert "set_random_seed(42)" in fixed and fixed != SCRIPT
    replace_text(client, uri, fixed, 2)
    found = await wait_for(client, uri, lacks("TFD101"))
    assert "TFD501" not in codes(found)  # the same seed covers the program
    assert "TFD401" in codes(found)  # the other hazards are still there


async def test_unsafe_fix_is_labelled_and_not_preferred(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_text(client, tmp_path / "train.py", SCRIPT)
    await wait_for(client, uri, has("TFD401"))
    actions = await actions_at(client, uri, 3)
    fix = next(a for a in actions if a.title.startswith("Fix TFD401"))
    assert fix.title.endswith("(unsafe)") and not fix.is_preferred
    fixed = apply(SCRIPT, edits_for(fix.edit, uri))
    assert "deterministic=True" in fixed
    replace_text(client, uri, fixed, 2)
    await wait_for(client, uri, lacks("TFD401"))


async def test_fix_all_safe_is_what_fix_on_the_command_line_does(client: LanguageClient, tmp_path: Path) -> None:
    path = tmp_path / "train.py"
    uri = open_text(client, path, SCRIPT)
    await wait_for(client, uri, has("TFD101"))
    actions = await actions_at(client, uri, 0, only=[types.CodeActionKind.SourceFixAll])
    assert [a.kind for a in actions] == ["source.fixAll.tfdetlint"]
    # Asked for by the user (lightbulb menu), it is offered with the quick fixes; on the requests an
    # editor makes by itself at each cursor move it is not computed.
    invoked = await actions_at(client, uri, 2, trigger=types.CodeActionTriggerKind.Invoked)
    automatic = await actions_at(client, uri, 2, trigger=types.CodeActionTriggerKind.Automatic)
    assert "source.fixAll.tfdetlint" in [a.kind for a in invoked]
    assert [a.title for a in automatic] == [a.title for a in invoked if a.kind == "quickfix"]
    fixed = apply(SCRIPT, edits_for(actions[0].edit, uri))
    assert fixed == cli_fix(path, SCRIPT)
    assert "deterministic=False" in fixed  # unsafe fixes are not part of it
    replace_text(client, uri, fixed, 2)
    found = await wait_for(client, uri, lacks("TFD101"))
    assert not {"TFD101", "TFD501", "TFD305"} & set(codes(found))


async def test_noqa_action_silences_the_finding(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_text(client, tmp_path / "train.py", SCRIPT)
    await wait_for(client, uri, has("TFD401"))
    actions = await actions_at(client, uri, 3)
    noqa = next(a for a in actions if a.title == "Add `# noqa: TFD401`")
    fixed = apply(SCRIPT, edits_for(noqa.edit, uri))
    assert fixed.splitlines()[3].endswith("deterministic=False)  # noqa: TFD401")
    assert fixed.splitlines()[:3] == SCRIPT.splitlines()[:3]
    replace_text(client, uri, fixed, 2)
    found = await wait_for(client, uri, lacks("TFD401"))
    assert "TFD101" in codes(found)


async def test_configuration_is_read_as_the_cli_reads_it(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""\
        [tool.tfdetlint]
        ignore = ["TFD101"]
        per-file-ignores = { "legacy/*" = ["TFD4"] }
    """))
    (tmp_path / "legacy").mkdir()
    uri = open_text(client, tmp_path / "train.py", SCRIPT)
    legacy = open_text(client, tmp_path / "legacy" / "old.py", SCRIPT)
    found = await wait_for(client, uri, has("TFD401"))
    assert "TFD101" not in codes(found) and "TFD501" in codes(found)
    legacy_found = await wait_for(client, legacy, has("TFD501"))
    assert "TFD401" not in codes(legacy_found) and "TFD101" not in codes(legacy_found)
    assert codes(found) == sorted(str(f["code"]) for f in cli_findings(tmp_path / "train.py", SCRIPT))


async def test_broken_buffers_give_tfd000_or_nothing_and_the_server_lives_on(client: LanguageClient,
                                                                              tmp_path: Path) -> None:
    syntax = open_text(client, tmp_path / "syntax.py", "import tensorflow as tf\nx = tf.random.normal(\n")
    found = await wait_for(client, syntax, lambda d: len(d) > 0)
    assert codes(found) == ["TFD000"] and "syntax error" in found[0].message
    assert found[0].severity == types.DiagnosticSeverity.Error
    junk = open_text(client, tmp_path / "junk.py", "\x00\x01\ufffe\udcff tf.random.normal \x00" * 50)
    junk_found = await wait_for(client, junk, lambda d: True)
    assert set(codes(junk_found)) <= {"TFD000"}
    bad_notebook = open_text(client, tmp_path / "bad.ipynb", '{"cells": [ tf.random')
    nb_found = await wait_for(client, bad_notebook, lambda d: True)
    assert set(codes(nb_found)) <= {"TFD000"}
    # Actions on broken buffers answer (nothing to fix) rather than fail.
    assert not [a for a in await actions_at(client, syntax, 1) if a.title.startswith("Fix")]
    # ... and the server still checks the next buffer.
    good = open_text(client, tmp_path / "train.py", SCRIPT)
    await wait_for(client, good, has("TFD101"))


async def test_notebook_cells_get_their_own_diagnostics_and_fixes(client: LanguageClient, tmp_path: Path) -> None:
    notebook_uri = (tmp_path / "explore.ipynb").as_uri()
    texts = ["import tensorflow as tf", "# Data", "x = tf.random.normal([3])\ny = tf.random.uniform([3])",
             "print((1,)"]
    kinds = [types.NotebookCellKind.Code, types.NotebookCellKind.Markup, types.NotebookCellKind.Code,
             types.NotebookCellKind.Code]
    cell_uris = [f"vscode-notebook-cell:{tmp_path / 'explore.ipynb'}#cell{i}" for i in range(4)]
    client.notebook_document_did_open(types.DidOpenNotebookDocumentParams(
        notebook_document=types.NotebookDocument(
            uri=notebook_uri, notebook_type="jupyter-notebook", version=1,
            cells=[types.NotebookCell(kind=k, document=u) for k, u in zip(kinds, cell_uris, strict=True)]),
        cell_text_documents=[
            types.TextDocumentItem(uri=u, language_id="python" if k == types.NotebookCellKind.Code else "markdown",
                                   version=1, text=t)
            for u, k, t in zip(cell_uris, kinds, texts, strict=True)]))
    found = await wait_for(client, cell_uris[2], has("TFD101"))
    lines = {(str(d.code), d.range.start.line) for d in found}
    assert ("TFD101", 0) in lines and ("TFD101", 1) in lines  # lines counted inside the cell
    assert not client.diagnostics.get(cell_uris[0])
    broken = await wait_for(client, cell_uris[3], lambda d: True)
    assert codes(broken) == ["TFD000"]  # Jupyter would reject the cell; the others are still checked
    actions = await actions_at(client, cell_uris[2], 0)
    fix = next(a for a in actions if a.title.startswith("Fix TFD101"))
    assert fix.edit is not None
    changed = {**(fix.edit.changes or {})}
    for change in fix.edit.document_changes or []:
        assert isinstance(change, types.TextDocumentEdit)
        changed[change.text_document.uri] = list(change.edits)  # type: ignore[arg-type]
    assert set(changed) <= set(cell_uris) and changed
    new_texts = [apply(t, edits_for(fix.edit, u)) for t, u in zip(texts, cell_uris, strict=True)]
    assert any("set_random_seed(42)" in t for t in new_texts)
    # The client sends the changed cells; the re-published cell diagnostics are gone.
    client.notebook_document_did_change(types.DidChangeNotebookDocumentParams(
        notebook_document=types.VersionedNotebookDocumentIdentifier(uri=notebook_uri, version=2),
        change=types.NotebookDocumentChangeEvent(cells=types.NotebookDocumentCellChanges(text_content=[
            types.NotebookDocumentCellContentChanges(
                document=types.VersionedTextDocumentIdentifier(uri=u, version=2),
                changes=[types.TextDocumentContentChangeWholeDocument(text=new)])
            for u, old, new in zip(cell_uris, texts, new_texts, strict=True) if new != old]))))
    await wait_for(client, cell_uris[2], lacks("TFD101"))


async def test_notebook_opened_as_json_text_points_into_the_json(client: LanguageClient, tmp_path: Path) -> None:
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
                     "source": ["import tensorflow as tf\n", "x = tf.random.normal([3])\n"]}],
          "metadata": {"language_info": {"name": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    text = json.dumps(nb, indent=1) + "\n"
    uri = open_text(client, tmp_path / "nb.ipynb", text)
    found = await wait_for(client, uri, has("TFD101"))
    random_op = next(d for d in found if d.code == "TFD101")
    json_line = text.splitlines()[random_op.range.start.line]
    assert "tf.random.normal" in json_line
    assert json_line[random_op.range.start.character:].startswith("normal([3])")  # the called name
    actions = await actions_at(client, uri, random_op.range.start.line)
    fix = next(a for a in actions if a.title.startswith("Fix TFD101"))
    assert not [a for a in actions if "noqa" in a.title]  # JSON takes no comments
    fixed = json.loads(apply(text, edits_for(fix.edit, uri)))
    assert "set_random_seed(42)" in "".join(fixed["cells"][0]["source"])
    assert fixed["metadata"] == nb["metadata"]


async def test_a_helper_module_change_reaches_the_buffers_that_import_it(client: LanguageClient,
                                                                         tmp_path: Path) -> None:
    helper = tmp_path / "seeding.py"
    helper.write_text("import tensorflow as tf\n\n\ndef seed_everything():\n    tf.random.set_seed(0)\n")
    script = ("import tensorflow as tf\nfrom seeding import seed_everything\n\nseed_everything()\n"
              "x = tf.random.normal([2])\n\nif __name__ == '__main__':\n    print(x)\n")
    uri = open_text(client, tmp_path / "train.py", script)
    first = await wait_for(client, uri, lambda d: True)
    assert "TFD101" not in codes(first)  # the helper seeds TensorFlow
    # The helper is edited (not saved): the warm summary of it is stale and the script re-checked.
    helper_uri = open_text(client, helper, helper.read_text())
    replace_text(client, helper_uri, "import tensorflow as tf\n\n\ndef seed_everything():\n    pass\n", 2)
    await wait_for(client, uri, has("TFD101"))
    # Closing the helper without saving: the file on disk (which seeds) counts again.
    client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=helper_uri)))
    await wait_for(client, uri, lacks("TFD101"))


async def test_closing_a_buffer_clears_its_diagnostics(client: LanguageClient, tmp_path: Path) -> None:
    uri = open_text(client, tmp_path / "train.py", SCRIPT)
    await wait_for(client, uri, has("TFD101"))
    client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri)))
    await wait_for(client, uri, lambda d: len(d) == 0)


def watched(client: LanguageClient, path: Path, change: types.FileChangeType = types.FileChangeType.Changed) -> None:
    client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(
        changes=[types.FileEvent(uri=path.as_uri(), type=change)]))


async def test_files_changed_on_disk_are_watched_and_re_read(client: LanguageClient, tmp_path: Path) -> None:
    await eventually(lambda: any(r.method == types.WORKSPACE_DID_CHANGE_WATCHED_FILES
                                 for r in client.registrations),  # type: ignore[attr-defined]
                     "the server asks the editor to watch project files")
    helper = tmp_path / "seeding.py"
    helper.write_text("import tensorflow as tf\n\n\ndef seed_everything():\n    tf.random.set_seed(0)\n")
    script = ("import tensorflow as tf\nfrom seeding import seed_everything\n\nseed_everything()\n"
              "x = tf.random.normal([2])\n\nif __name__ == '__main__':\n    print(x)\n")
    uri = open_text(client, tmp_path / "train.py", script)
    assert "TFD101" not in codes(await wait_for(client, uri, lambda d: True))
    helper.write_text("def seed_everything():\n    pass\n")  # e.g. a git checkout
    watched(client, helper)
    await wait_for(client, uri, has("TFD101"))


async def test_a_broken_configuration_is_shown_once_and_its_repair_rechecks(client: LanguageClient,
                                                                            tmp_path: Path) -> None:
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.tfdetlint]\nselect = ["TDF"]\n')  # a selector that matches no rule
    uri = open_text(client, tmp_path / "train.py", SCRIPT)
    replace_text(client, uri, SCRIPT + "\n", 2)
    await wait_for(client, uri, lambda d: len(d) == 0)
    await eventually(lambda: bool(client.messages), "the configuration error is shown")
    errors = [m for m in client.messages if m.type == types.MessageType.Error]
    assert len(errors) == 1 and "TDF" in errors[0].message
    config.write_text('[tool.tfdetlint]\nselect = ["TFD1"]\n')
    watched(client, config)
    found = await wait_for(client, uri, has("TFD101"))
    assert set(codes(found)) == {"TFD101"}


def random_op_root(diagnostic: types.Diagnostic, uri: str) -> tuple[int, int] | None:
    """Where the diagnostic's related information says its root cause is, in this document."""
    for info in diagnostic.related_information or []:
        if info.location.uri == uri and info.message.startswith("root cause"):
            return info.location.range.start.line, info.location.range.start.character
    return None
