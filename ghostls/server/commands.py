"""Helpers for ``workspace/executeCommand`` handlers: one params object, clear errors."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams

from ghostls.documents import Document

log = logging.getLogger(__name__)

Handler = Callable[[Any, dict[str, Any]], Awaitable[Any]]


class CommandError(Exception):
    """Bad input to a command; the message goes back to the client as an InvalidParams error."""


def command(server: Any, name: str) -> Callable[[Handler], Handler]:
    """Register ``fn(ls, params: dict)`` as the command ``name``.

    Clients send ``arguments: [ {...} ]``; an absent argument is an empty object.
    """

    def decorate(fn: Handler) -> Handler:
        @server.command(name)
        async def handler(ls: Any, *args: Any) -> Any:
            params = args[0] if args else {}
            if params is None or params == []:  # Neovim encodes an empty Lua table as []
                params = {}
            if not isinstance(params, dict):
                raise JsonRpcInvalidParams(message=f"{name} takes one object argument, not {params!r}")
            try:
                return await fn(ls, params)
            except CommandError as exc:
                log.warning("%s: %s", name, exc)
                raise JsonRpcInvalidParams(message=f"{name}: {exc}") from exc

        return fn

    return decorate


def require_document(server: Any, params: dict[str, Any]) -> Document:
    uri = params.get("uri")
    if not isinstance(uri, str) or not uri:
        raise CommandError("'uri' (the document's URI) is required")
    doc = server.documents.get(uri)
    if doc is None:
        raise CommandError(f"{uri} is not open in the editor")
    return doc


def _position(value: Any, what: str) -> tuple[int, int]:
    if not isinstance(value, dict) or not isinstance(value.get("line"), int) or not isinstance(
            value.get("character"), int):
        raise CommandError(f"'{what}' must be a position {{line, character}}, not {value!r}")
    return value["line"], value["character"]


def require_position(doc: Document, params: dict[str, Any], key: str = "position") -> int:
    line, character = _position(params.get(key), key)
    if not doc.is_valid_position(line, character):
        raise CommandError(f"position {line}:{character} is outside {doc.uri}")
    return doc.offset_at(line, character)


def require_range(doc: Document, params: dict[str, Any], key: str = "range") -> tuple[int, int]:
    """Code-point offsets of ``params[key]``; the whole document when absent."""
    value = params.get(key)
    if value is None:
        return 0, len(doc.text)
    if not isinstance(value, dict):
        raise CommandError(f"'{key}' must be a range {{start, end}}, not {value!r}")
    start = _position(value.get("start"), f"{key}.start")
    end = _position(value.get("end"), f"{key}.end")
    for line, character in (start, end):
        if not doc.is_valid_position(line, character):
            raise CommandError(f"position {line}:{character} is outside {doc.uri}")
    a, b = doc.offset_at(*start), doc.offset_at(*end)
    return (a, b) if a <= b else (b, a)
