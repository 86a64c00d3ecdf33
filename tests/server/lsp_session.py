"""A real LSP client (pytest-lsp) talking to ``tfdetlint server`` over stdio, and the few
helpers the tests share: wait for diagnostics, apply a workspace edit to a text, change a buffer.

Import this only after ``pytest.importorskip("pytest_lsp")``.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest_lsp
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import register_lsp_features

import tfdetlint

REPO = Path(tfdetlint.__file__).resolve().parents[1]
# The server is this checkout's tfdetlint, whatever is installed.
SERVER_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
WAIT_S = 30.0  # generous: the machine running the tests may be busy


class EditorClient(LanguageClient):
    """pytest-lsp's client, plus what editors answer that it does not: dynamic registration."""

    registrations: list[types.Registration]


def _make_client() -> EditorClient:
    client = EditorClient(converter_factory=default_converter)
    client.registrations = []
    register_lsp_features(client)

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def register(ls: EditorClient, params: types.RegistrationParams) -> None:
        ls.registrations += params.registrations

    return client


def _config() -> ClientServerConfig:
    return ClientServerConfig(server_command=[sys.executable, "-m", "tfdetlint", "server"], server_env=SERVER_ENV,
                              client_factory=_make_client)


@pytest_lsp.fixture(config=_config())
async def client(lsp_client: LanguageClient, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A session whose workspace is ``tmp_path``, with VS Code's capabilities."""
    capabilities = client_capabilities("visual-studio-code")
    await lsp_client.initialize_session(types.InitializeParams(
        capabilities=capabilities, root_uri=tmp_path.as_uri(),
        workspace_folders=[types.WorkspaceFolder(uri=tmp_path.as_uri(), name="ws")],
        initialization_options={"debounce": 0.05}))
    yield
    await lsp_client.shutdown_session()


async def wait_for(client: LanguageClient, uri: str,
                   until: Callable[[Sequence[types.Diagnostic]], bool]) -> list[types.Diagnostic]:
    """The diagnostics published for ``uri`` once ``until`` holds for them (fails after WAIT_S)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while loop.time() < deadline:
        found = client.diagnostics.get(uri)
        if found is not None and until(found):
            return list(found)
        await asyncio.sleep(0.02)
    raise AssertionError(f"no diagnostics for {uri} as wanted; last: {client.diagnostics.get(uri)}")


async def eventually(what: Callable[[], bool], description: str) -> None:
    """Wait until ``what()`` holds (messages from the server arrive in their own time)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while not what():
        if loop.time() > deadline:
            raise AssertionError(f"never happened: {description}")
        await asyncio.sleep(0.02)


def codes(diagnostics: Sequence[types.Diagnostic]) -> list[str]:
    return sorted(str(d.code) for d in diagnostics)


def has(code: str) -> Callable[[Sequence[types.Diagnostic]], bool]:
    return lambda found: code in codes(found)


def lacks(code: str) -> Callable[[Sequence[types.Diagnostic]], bool]:
    return lambda found: code not in codes(found)


def open_text(client: LanguageClient, path: Path, text: str, version: int = 1) -> str:
    uri = path.as_uri()
    language = "json" if path.suffix == ".ipynb" else "python"
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id=language, version=version, text=text)))
    return uri


def replace_text(client: LanguageClient, uri: str, text: str, version: int) -> None:
    """A full-text change (what a client sends after applying an edit)."""
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


async def actions_at(client: LanguageClient, uri: str, line: int, only: list[str] | None = None,
                     trigger: types.CodeActionTriggerKind | None = None) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=types.Position(line=line, character=0), end=types.Position(line=line, character=0)),
        context=types.CodeActionContext(diagnostics=[], only=only, trigger_kind=trigger)))
    return [a for a in result or [] if isinstance(a, types.CodeAction)]
