"""The language server: LSP messages in, checks scheduled, diagnostics and code actions out.

Threads: pygls runs the handlers on an asyncio loop; checks, fixes and every change to the
warm project state run on one worker thread, in the order they were asked for, so the
``ProjectIndex`` is never used by two threads at once and a buffer's text reaches the index
before any check that may read it. A result for a buffer that changed meanwhile is dropped (a
newer check is already scheduled).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path, uri_scheme

from tfdetlint import __version__
from tfdetlint.config import ConfigError
from tfdetlint.findings import Finding
from tfdetlint.server.actions import FIX_ALL_KIND, EditContext, FixCache, Request, code_actions
from tfdetlint.server.buffers import Checked, check_buffer
from tfdetlint.server.diagnostics import to_diagnostic
from tfdetlint.server.documents import Snapshot
from tfdetlint.server.edits import Positions
from tfdetlint.server.notebooks import CellText
from tfdetlint.server.projects import CONFIG_NAMES, Projects, real

log = logging.getLogger(__name__)
_T = TypeVar("_T")

# Typing pauses are short: checking after each keystroke would queue work the next one discards.
DEBOUNCE_S = 0.25
CHECKED_SUFFIXES = (".py", ".pyi", ".ipynb")
WATCHED = ("**/*.py", "**/pyproject.toml", "**/tfdetlint.toml", "**/.tfdetlint.toml")


@dataclass
class Result:
    snapshot: Snapshot
    checked: Checked
    dependencies: frozenset[str]  # real paths of the project modules the findings came from
    fixes: FixCache = field(default_factory=FixCache)  # filled on the worker thread only


class TfdetlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__(
            "tfdetlint", __version__,
            text_document_sync_kind=types.TextDocumentSyncKind.Incremental,
            notebook_document_sync=types.NotebookDocumentSyncOptions(
                notebook_selector=[types.NotebookDocumentFilterWithCells(
                    notebook="jupyter-notebook", cells=[types.NotebookCellLanguage(language="python")])],
                save=True),
        )
        self.debounce = DEBOUNCE_S
        self.results: dict[str, Result] = {}  # document (or notebook) URI -> its last check
        self._projects: Projects | None = None
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tfdetlint-check")
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._tasks: set[asyncio.Future[Any]] = set()
        self._shown_errors: set[str] = set()

    # ---- state

    @property
    def projects(self) -> Projects:
        if self._projects is None:
            root = self.workspace.root_path
            self._projects = Projects(Path(root) if root else None)
        return self._projects

    async def on_worker(self, function: Callable[..., _T], *args: Any) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._worker, function, *args)

    def in_background(self, function: Callable[..., Any], *args: Any) -> None:
        """Queue work on the worker thread without waiting (still in order with the checks)."""
        future = asyncio.ensure_future(self.on_worker(function, *args))
        self._tasks.add(future)
        future.add_done_callback(self._tasks.discard)

    def snapshot(self, key: str) -> Snapshot | None:
        """The document (or notebook) as it is now; None once it is closed or not ours."""
        notebook = self.workspace.get_notebook_document(notebook_uri=key)
        if notebook is not None:
            cells = tuple(self._cell(cell) for cell in notebook.cells)
            return Snapshot.of_notebook(key, notebook_path(key), notebook.version, cells)
        document = self.workspace.text_documents.get(unquote(key))
        if document is None or not is_checked(key, document.language_id):
            return None
        return Snapshot.of_text(key, document_path(key, self.projects.root), document.version, document.source)

    def _cell(self, cell: types.NotebookCell) -> CellText:
        document = self.workspace.get_text_document(cell.document)
        code = cell.kind == types.NotebookCellKind.Code and (document.language_id or "python") == "python"
        return CellText(cell.document, code, document.source, document.version)

    # ---- scheduling

    def schedule(self, key: str, delay: float) -> None:
        """Check ``key`` after ``delay`` seconds unless it changes again before that."""
        old = self._timers.pop(key, None)
        if old is not None:
            old.cancel()
        loop = asyncio.get_running_loop()
        self._timers[key] = loop.call_later(delay, self._start_check, key)

    def _start_check(self, key: str) -> None:
        self._timers.pop(key, None)
        task = asyncio.ensure_future(self.check(key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def forget(self, key: str) -> None:
        """A closed document: no pending check, no result kept for code actions."""
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()
        self.results.pop(key, None)

    def configuration_changed(self) -> None:
        """Settings are read again and every open document is checked with them."""
        self.in_background(self.projects.configuration_changed)
        self._shown_errors.clear()
        self.schedule_all(0.0)

    def buffer_changed(self, snapshot: Snapshot, delay: float) -> None:
        """A text document opened or edited: check it after ``delay``, and those importing it."""
        if snapshot.path.suffix == ".py":
            # The unsaved text is what other buffers' helpers are read from from now on.
            self.in_background(self.projects.set_buffer, snapshot.path, snapshot.raw)
            self.schedule_dependents(snapshot.path, self.debounce)
        self.schedule(snapshot.key, delay)

    def schedule_dependents(self, path: Path, delay: float) -> None:
        """Buffers whose findings came from ``path`` (a helper they import) are checked again."""
        changed = real(path)
        for key, result in list(self.results.items()):
            if changed in result.dependencies:
                self.schedule(key, delay)

    def schedule_all(self, delay: float) -> None:
        """Every open document, including one whose last check found its configuration broken."""
        for key in self.open_keys():
            self.schedule(key, delay)

    def open_keys(self) -> list[str]:
        """The open text documents (not notebook cells) and notebooks."""
        texts = [uri for uri, document in self.workspace.text_documents.items()
                 if is_checked(uri, document.language_id) and self.workspace.get_notebook_document(cell_uri=uri) is None]
        return texts + list(self.workspace.notebook_documents)

    async def check(self, key: str) -> Result | None:
        snapshot = self.snapshot(key)
        if snapshot is None:
            return None
        try:
            checked = await self.on_worker(check_buffer, snapshot.raw, snapshot.path, self.projects)
        except ConfigError as exc:
            self.show_error(f"tfdetlint: {exc}")
            checked = None
        except Exception:  # a bug must cost this buffer its diagnostics, not the session
            log.exception("checking %s failed", key)
            checked = None
        current = self.snapshot(key)
        if current is None or current.version != snapshot.version:
            return None  # changed (or closed) meanwhile: the newer version is checked instead
        if checked is None:
            self.publish(snapshot, [])
            self.results.pop(key, None)
            return None
        result = Result(snapshot, checked, frozenset(real(p) for p in checked.dependencies))
        self.results[key] = result
        self.publish(snapshot, checked.findings)
        return result

    async def current_result(self, key: str) -> Result | None:
        """The check of the document as it is now (checked first if it changed since)."""
        result = self.results.get(key)
        current = self.snapshot(key)
        if current is None:
            return None
        if result is not None and result.snapshot.version == current.version:
            return result
        return await self.check(key)

    # ---- output

    def publish(self, snapshot: Snapshot, findings: list[Finding]) -> None:
        codec = self.workspace.position_codec
        for uri, found in snapshot.by_uri(findings).items():
            positions = Positions(snapshot.text(uri), codec)
            diagnostics = [to_diagnostic(f, positions, snapshot.is_notebook_json, uri) for f in found]
            self.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=snapshot.version_of(uri)))

    def clear(self, uris: list[str]) -> None:
        for uri in uris:
            self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    def show_error(self, message: str) -> None:
        """Once per distinct message: a broken configuration would otherwise pop up on every key."""
        if message in self._shown_errors:
            return
        self._shown_errors.add(message)
        self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))

    def edit_context(self) -> EditContext:
        capabilities = self.client_capabilities.workspace
        edit = capabilities.workspace_edit if capabilities is not None else None
        return EditContext(self.workspace.position_codec, bool(edit and edit.document_changes))


def actions_for(projects: Projects, result: Result, request: Request, context: EditContext) -> list[types.CodeAction]:
    """On the worker thread: the fixes re-check with the warm project index, which only that
    thread touches."""
    snapshot, checked = result.snapshot, result.checked
    if checked.excluded:
        return []
    project = projects.index_for(snapshot.path, checked.settings)
    return code_actions(snapshot, checked, request, project, context, result.fixes)


def is_checked(uri: str, language_id: str | None) -> bool:
    path = unquote(uri.split("?", 1)[0])
    return path.endswith(CHECKED_SUFFIXES) or language_id == "python"


def document_path(uri: str, root: Path | None) -> Path:
    """The file a buffer is checked as: its own, or for an unsaved one (``untitled:``) a name
    in the workspace folder, so the workspace's configuration applies."""
    if uri_scheme(uri) == "file":
        path = to_fs_path(uri)
        if path:
            return Path(path)
    name = Path(unquote(uri.split(":", 1)[-1])).name or "untitled"
    if not name.endswith(CHECKED_SUFFIXES):
        name += ".py"
    return (root or Path.cwd()) / name


def notebook_path(uri: str) -> Path:
    path = to_fs_path(uri) if uri_scheme(uri) == "file" else None
    found = Path(path) if path else Path.cwd() / (Path(unquote(uri.split(":", 1)[-1])).name or "notebook")
    return found if found.suffix == ".ipynb" else found.with_name(found.name + ".ipynb")


def create_server() -> TfdetlintServer:
    server = TfdetlintServer()

    @server.feature(types.INITIALIZED)
    async def initialized(ls: TfdetlintServer, params: types.InitializedParams) -> None:
        workspace = ls.client_capabilities.workspace
        watched = workspace.did_change_watched_files if workspace is not None else None
        if watched is not None and watched.dynamic_registration:
            watchers = [types.FileSystemWatcher(glob_pattern=glob) for glob in WATCHED]
            try:
                await ls.client_register_capability_async(types.RegistrationParams(registrations=[types.Registration(
                    id="tfdetlint-watched-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers))]))
            except Exception as exc:  # without it, files changed outside the editor are seen on save only
                log.warning("the client refused to watch files: %s", exc)

    @server.feature(types.INITIALIZE)
    def initialize(ls: TfdetlintServer, params: types.InitializeParams) -> None:
        # {"debounce": seconds}: how long typing must pause before a check (tests use less).
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get("debounce"), (int, float)):
            ls.debounce = max(0.0, float(options["debounce"]))

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    async def did_open(ls: TfdetlintServer, params: types.DidOpenTextDocumentParams) -> None:
        snapshot = ls.snapshot(params.text_document.uri)
        if snapshot is not None:
            ls.buffer_changed(snapshot, 0.0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    async def did_change(ls: TfdetlintServer, params: types.DidChangeTextDocumentParams) -> None:
        snapshot = ls.snapshot(params.text_document.uri)
        if snapshot is not None:
            ls.buffer_changed(snapshot, ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    async def did_save(ls: TfdetlintServer, params: types.DidSaveTextDocumentParams) -> None:
        path = document_path(params.text_document.uri, ls.projects.root)
        if path.name in CONFIG_NAMES:
            ls.configuration_changed()
            return
        if path.suffix == ".py":
            ls.in_background(ls.projects.file_changed, path)
            ls.schedule_dependents(path, 0.0)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    async def did_close(ls: TfdetlintServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.forget(uri)
        path = document_path(uri, ls.projects.root)
        if path.suffix == ".py":
            ls.in_background(ls.projects.set_buffer, path, None)  # the file on disk counts again
            ls.schedule_dependents(path, 0.0)
        ls.clear([uri])

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_OPEN)
    async def notebook_open(ls: TfdetlintServer, params: types.DidOpenNotebookDocumentParams) -> None:
        ls.schedule(params.notebook_document.uri, 0.0)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CHANGE)
    async def notebook_change(ls: TfdetlintServer, params: types.DidChangeNotebookDocumentParams) -> None:
        cells = params.change.cells
        if cells is not None and cells.structure is not None:
            ls.clear([cell.uri for cell in cells.structure.did_close or []])
        ls.schedule(params.notebook_document.uri, ls.debounce)

    @server.feature(types.NOTEBOOK_DOCUMENT_DID_CLOSE)
    async def notebook_close(ls: TfdetlintServer, params: types.DidCloseNotebookDocumentParams) -> None:
        ls.forget(params.notebook_document.uri)
        ls.clear([cell.uri for cell in params.cell_text_documents])

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def watched_files(ls: TfdetlintServer, params: types.DidChangeWatchedFilesParams) -> None:
        layout = False
        for change in params.changes:
            path = document_path(change.uri, ls.projects.root)
            if path.name in CONFIG_NAMES:
                ls.configuration_changed()
                continue
            if change.type != types.FileChangeType.Changed:
                layout = True  # a module appeared or went away: imports may resolve differently
            ls.in_background(ls.projects.file_changed, path)
            ls.schedule_dependents(path, ls.debounce)
        if layout:
            ls.in_background(ls.projects.layout_changed)
            ls.schedule_all(ls.debounce)

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                    types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL_KIND]))
    async def code_action(ls: TfdetlintServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        uri = params.text_document.uri
        notebook = ls.workspace.get_notebook_document(cell_uri=uri)
        key = notebook.uri if notebook is not None else uri
        result = await ls.current_result(key)
        if result is None:
            return None
        only = [str(kind) for kind in params.context.only] if params.context.only else None
        automatic = params.context.trigger_kind == types.CodeActionTriggerKind.Automatic
        request = Request(uri, params.range, only, fix_all=not automatic)
        return await ls.on_worker(actions_for, ls.projects, result, request, ls.edit_context())

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: TfdetlintServer, params: None) -> None:
        for timer in ls._timers.values():
            timer.cancel()
        ls._timers.clear()
        ls._worker.shutdown(wait=False, cancel_futures=True)

    return server


__all__ = ["TfdetlintServer", "create_server"]
