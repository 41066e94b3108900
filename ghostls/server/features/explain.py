"""``ghostls.explain`` and the selection's code actions (Explain, Add docstring, Refactor, Fix,
Optimize).

``ghostls.explain`` takes one object ``{uri, range, question?, streamId?, workDoneToken?,
maxNewTokens?}`` and returns ``{markdown, truncated, provider, model, promptTokens, context,
notes, timings, shownRange}``.  While the model writes, the server sends ``ghostls/stream``
notifications ``{streamId, text (the whole text so far), done}`` (and ``$/progress`` reports on
``workDoneToken`` when given); ``$/cancelRequest`` stops the generation.

Code actions cost nothing to list: the edit actions come without an edit, and
``codeAction/resolve`` runs the model and returns a ``WorkspaceEdit`` for the client to apply
(so nothing changes without the user's acceptance, and undo works).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from lsprotocol import types
from pygls.exceptions import JsonRpcContentModified, JsonRpcException, JsonRpcInvalidParams

from ghostls.documents import Document
from ghostls.explain import engine
from ghostls.explain.actions import ACTIONS, EXPLAIN_KIND, EXPLAIN_TITLE
from ghostls.explain.selection import Diagnostic, ExplainError, SelectionRequest, looks_binary
from ghostls.indexing.languages import spec_for
from ghostls.providers.base import GenerationCancelled, Provider, ProviderError
from ghostls.server.app import GhostServer
from ghostls.server.commands import CommandError, command, require_document, require_range
from ghostls.server.convert import range_offsets, to_range, uri_to_path

log = logging.getLogger(__name__)

STREAM_METHOD = "ghostls/stream"
INDEX_WAIT_S = 3.0
T = TypeVar("T")


class RequestFailed(JsonRpcException):
    CODE = -32803  # LSP RequestFailed: the request was valid but could not be served


# -- streaming to the client ----------------------------------------------------------------------

class StreamSink:
    """Sends the text so far as ``ghostls/stream`` (and ``$/progress`` on a client token); any thread."""

    def __init__(self, server: GhostServer, stream_id: str, token: Any = None, title: str = "Explaining") -> None:
        self.server, self.stream_id, self.token, self.title = server, stream_id, token, title
        self._begun = False

    def text(self, text: str) -> None:
        loop = self.server.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._send, text, False)

    def done(self, text: str) -> None:
        self._send(text, True)

    def _send(self, text: str, done: bool) -> None:
        self.server.protocol.notify(STREAM_METHOD, {"streamId": self.stream_id, "text": text, "done": done})
        if self.token is None:
            return
        progress = self.server.work_done_progress
        if not self._begun:
            self._begun = True
            progress.begin(self.token, types.WorkDoneProgressBegin(title=self.title, cancellable=False))
        if done:
            progress.end(self.token, types.WorkDoneProgressEnd(message="done"))
        else:
            progress.report(self.token, types.WorkDoneProgressReport(message=text))


# -- pure conversions -------------------------------------------------------------------------------

def to_selection(doc: Document, start: int, end: int, question: str = "",
                 diagnostics: tuple[Diagnostic, ...] = ()) -> SelectionRequest:
    return SelectionRequest(text=doc.text, start=start, end=end, path=uri_to_path(doc.uri), language=doc.language_id,
                            uri=doc.uri, version=doc.version, question=question, diagnostics=diagnostics)


def to_diagnostic(d: types.Diagnostic) -> Diagnostic:
    severity = {1: "error", 2: "warning", 3: "information", 4: "hint"}.get(int(d.severity or 1), "error")
    return Diagnostic(message=d.message, line=d.range.start.line, severity=severity, source=d.source or "",
                      code=str(d.code) if d.code is not None else "")


def explanation_json(doc: Document, result: engine.Explanation) -> dict[str, Any]:
    return {"markdown": result.markdown, "truncated": result.truncated, "provider": result.provider,
            "model": result.model, "promptTokens": result.prompt_tokens, "context": result.context,
            "notes": result.notes, "timings": result.timings,
            "shownRange": _range_json(to_range(doc, *result.shown))}


def _range_json(r: types.Range) -> dict[str, Any]:
    return {"start": {"line": r.start.line, "character": r.start.character},
            "end": {"line": r.end.line, "character": r.end.character}}


def offered_actions(doc: Document, start: int, end: int) -> list[str]:
    """"explain" and the edit actions for a non-empty selection; edits only where a grammar can check them."""
    if not doc.text[start:end].strip() or looks_binary(doc.text):
        return []
    edits = list(ACTIONS) if spec_for(doc.language_id, uri_to_path(doc.uri)) is not None else []
    return ["explain", *edits]


def to_code_actions(doc: Document, params: types.CodeActionParams, names: list[str]) -> list[types.CodeAction]:
    only = params.context.only or []
    wanted = lambda kind: not only or any(kind == k or kind.startswith(f"{k}.") for k in only)  # noqa: E731
    target = {"uri": doc.uri, "range": _range_json(params.range)}
    out: list[types.CodeAction] = []
    for name in names:
        if name == "explain":
            if wanted(EXPLAIN_KIND):
                out.append(types.CodeAction(title=EXPLAIN_TITLE, kind=EXPLAIN_KIND, command=types.Command(
                    title=EXPLAIN_TITLE, command="ghostls.explain", arguments=[target])))
            continue
        action = ACTIONS[name]
        if not wanted(action.kind):
            continue
        diagnostics = list(params.context.diagnostics) if name == "fix" else []
        out.append(types.CodeAction(title=action.title, kind=action.kind, diagnostics=diagnostics or None,
                                    data={**target, "action": name, "version": doc.version,
                                          "diagnostics": [_diagnostic_json(d) for d in diagnostics]}))
    return out


def _range_from_json(value: dict[str, Any]) -> types.Range:
    return types.Range(start=types.Position(**value["start"]), end=types.Position(**value["end"]))


def _diagnostic_json(d: types.Diagnostic) -> dict[str, Any]:
    return {"message": d.message, "line": d.range.start.line, "severity": int(d.severity or 1),
            "source": d.source or "", "code": "" if d.code is None else str(d.code)}


def to_workspace_edit(server: GhostServer, doc: Document, proposal: engine.EditProposal) -> types.WorkspaceEdit:
    edit = types.TextEdit(range=to_range(doc, proposal.start, proposal.end), new_text=proposal.new_text)
    caps = server.client_capabilities.workspace
    if caps and caps.workspace_edit and caps.workspace_edit.document_changes:
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=doc.uri, version=doc.version),
            edits=[edit])])
    return types.WorkspaceEdit(changes={doc.uri: [edit]})


# -- running the engine -----------------------------------------------------------------------------

async def _index(ls: GhostServer) -> Any:
    """The workspace index, after waiting briefly for a build in progress (a slow one is not waited for)."""
    index = getattr(ls, "index", None)
    service = getattr(ls, "index_service", None)
    build = getattr(service, "last_build", None)
    if index is None:
        return None

    def wait() -> None:
        try:
            if build is not None:
                build.result(INDEX_WAIT_S)
            index.wait_built(INDEX_WAIT_S)
        except Exception:  # still building: explain with what is there
            log.info("explain: the workspace index is still building; using what it has")

    await asyncio.to_thread(wait)
    return index


def _relative(ls: GhostServer) -> Callable[[str], str]:
    try:
        root = ls.workspace.root_path or ""
    except RuntimeError:
        root = ""

    def rel(path: str) -> str:
        if root and path.startswith(root.rstrip("/") + "/"):
            return os.path.relpath(path, root)
        return path

    return rel


async def _run(ls: GhostServer, work: Callable[[Provider, threading.Event], T]) -> T:
    """Run ``work(provider, cancel)`` in a worker thread; ``$/cancelRequest`` sets ``cancel``."""
    provider = await ls.provider()
    if provider is None:
        raise ExplainError(f"no model is available: {ls.providers.error or 'see the ghostls log'}", kind="provider")
    cancel = threading.Event()
    try:
        return await asyncio.to_thread(work, provider, cancel)
    except asyncio.CancelledError:
        cancel.set()
        raise
    except ProviderError as exc:
        raise ExplainError(exc.message, kind="provider") from exc
    except GenerationCancelled as exc:
        raise ExplainError("the generation was cancelled", kind="cancelled") from exc


def _explain_options(params: dict[str, Any]) -> tuple[str, str, Any, int]:
    question = params.get("question") or ""
    stream_id = params.get("streamId") or f"explain-{uuid.uuid4().hex[:12]}"
    limit = params.get("maxNewTokens", engine.EXPLAIN_MAX_NEW_TOKENS)
    if not isinstance(question, str) or not isinstance(stream_id, str):
        raise CommandError("'question' and 'streamId' must be strings")
    if not isinstance(limit, int) or not 1 <= limit <= 8192:
        raise CommandError(f"'maxNewTokens' must be an integer from 1 to 8192, not {limit!r}")
    return question, stream_id, params.get("workDoneToken"), limit


async def explain_selection(ls: GhostServer, doc: Document, start: int, end: int,
                            params: dict[str, Any]) -> dict[str, Any]:
    question, stream_id, token, limit = _explain_options(params)
    request = to_selection(doc, start, end, question)
    index = await _index(ls)
    sink = StreamSink(ls, stream_id, token)
    result = await _run(ls, lambda p, cancel: engine.explain(request, p, index, cancel, sink.text,
                                                             max_new_tokens=limit, rel=_relative(ls)))
    sink.done(result.markdown)
    return explanation_json(doc, result)


async def resolve_edit(ls: GhostServer, action: types.CodeAction) -> types.CodeAction:
    data = action.data if isinstance(action.data, dict) else {}
    doc = ls.documents.get(data.get("uri", ""))
    if doc is None or data.get("action") not in ACTIONS:
        raise JsonRpcInvalidParams(message="ghostls: this code action is not one of ghostls's, or its file is closed")
    if data.get("version") != doc.version:
        raise JsonRpcContentModified(message="ghostls: the file changed since the light bulb opened; try again")
    start, end = range_offsets(doc, _range_from_json(data["range"]))
    diagnostics = tuple(Diagnostic(d["message"], d["line"], {1: "error", 2: "warning"}.get(d["severity"], "hint"),
                                   d.get("source", ""), d.get("code", "")) for d in data.get("diagnostics", []))
    request = to_selection(doc, start, end, diagnostics=diagnostics)
    index = await _index(ls)
    proposal = await _run(ls, lambda p, cancel: engine.propose_edit(data["action"], request, p, index, cancel,
                                                                    rel=_relative(ls)))
    if doc.version != data.get("version"):
        raise JsonRpcContentModified(message="ghostls: the file changed while the model was writing; try again")
    action.edit = to_workspace_edit(ls, doc, proposal)
    return action


# -- registration ---------------------------------------------------------------------------------

def _client_resolves_edits(ls: GhostServer) -> bool:
    text_document = ls.client_capabilities.text_document
    code_action = text_document.code_action if text_document else None
    support = code_action.resolve_support if code_action else None
    return bool(support and "edit" in support.properties)


def _code_action_kinds() -> list[str]:
    return [EXPLAIN_KIND, *(a.kind for a in ACTIONS.values())]


def register(server: GhostServer) -> None:
    @command(server, "ghostls.explain")
    async def explain(ls: GhostServer, params: dict[str, Any]) -> dict[str, Any]:
        doc = require_document(ls, params)
        if params.get("range") is None:
            raise CommandError("nothing is selected: select the code to explain ('range' is missing)")
        start, end = require_range(doc, params)
        try:
            return await explain_selection(ls, doc, start, end, params)
        except ExplainError as exc:
            raise CommandError(exc.message) from exc

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=_code_action_kinds(), resolve_provider=True))
    def code_action(ls: GhostServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        doc = ls.documents.get(params.text_document.uri)
        if doc is None:
            return None
        start, end = range_offsets(doc, params.range)
        names = offered_actions(doc, start, end)
        if not _client_resolves_edits(ls):  # the edits would cost a model run per light bulb
            names = [n for n in names if n == "explain"]
        return to_code_actions(doc, params, names) or None

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def code_action_resolve(ls: GhostServer, action: types.CodeAction) -> types.CodeAction:
        try:
            return await resolve_edit(ls, action)
        except ExplainError as exc:
            if exc.kind in ("provider", "model", "too-large", "excluded"):
                ls.notifier.show_once("explain", exc.message, types.MessageType.Warning)
            raise (JsonRpcInvalidParams if exc.kind in ("empty", "binary", "unsupported", "input")
                   else RequestFailed)(message=f"ghostls: {exc.message}") from exc
