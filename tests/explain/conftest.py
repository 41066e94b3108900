"""Fixtures for the explain tests: a small workspace whose function uses a helper from another
file, the local Bedrock stand-in (tests/aws/bedrock_server.py) with dummy credentials, and a
real LSP client that records ``ghostls/stream`` notifications."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.aws.bedrock_server import AwsTestServer
from tests.aws.conftest import _AWS_VARS, aws_env, aws_settings_json
from tests.support.lsp import lsp_session, open_document

GEOMETRY = '''"""Plane geometry helpers."""


def polygon_area(points):
    """Area of a simple polygon by the shoelace formula."""
    total = 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1]):
        total += x1 * y2 - x2 * y1
    return abs(total) / 2
'''

REPORT = '''from pkg.geometry import polygon_area


class Report:
    def describe(self, shape):
        area = polygon_area(shape.points)
        return f"{shape.name}: {area:.2f}"

    def total(self, shapes):
        return sum(polygon_area(s.points) for s in shapes)
'''

# (line, character) ranges in REPORT
DESCRIBE = ((4, 0), (6, 42))  # the whole `describe` method


def make_workspace(root: Path) -> Path:
    (root / "pkg").mkdir(parents=True, exist_ok=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "geometry.py").write_text(GEOMETRY)
    (root / "pkg" / "report.py").write_text(REPORT)
    return root / "pkg" / "report.py"


def lsp_range(span: tuple[tuple[int, int], tuple[int, int]]) -> dict[str, Any]:
    (sl, sc), (el, ec) = span
    return {"start": {"line": sl, "character": sc}, "end": {"line": el, "character": ec}}


@dataclass
class Streams:
    """``ghostls/stream`` notifications as they arrive, and an event per stream id."""

    events: list[dict[str, Any]] = field(default_factory=list)
    first: dict[str, asyncio.Event] = field(default_factory=dict)

    def add(self, params: Any) -> None:
        value = params if isinstance(params, dict) else {k: getattr(params, k) for k in ("streamId", "text", "done")}
        self.events.append(value)
        self.waiter(value["streamId"]).set()

    def waiter(self, stream_id: str) -> asyncio.Event:
        return self.first.setdefault(stream_id, asyncio.Event())

    def of(self, stream_id: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["streamId"] == stream_id]


@contextlib.asynccontextmanager
async def explain_session(settings: dict[str, Any], root: Path) -> AsyncIterator[tuple[Any, Streams]]:
    streams = Streams()
    async with lsp_session(settings, root=root, configuration=settings) as client:
        @client.feature("ghostls/stream")
        def on_stream(params: Any) -> None:
            streams.add(params)

        yield client, streams


def open_report(client: Any, path: Path) -> str:
    return open_document(client, path, path.read_text())


@pytest.fixture
def dummy_aws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _AWS_VARS + ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in aws_env(tmp_path).items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def aws_server(dummy_aws: None) -> Iterator[AwsTestServer]:
    with AwsTestServer() as server:
        yield server


def bedrock_settings(server: AwsTestServer, tmp_path: Path, **extra: Any) -> dict[str, Any]:
    return {**aws_settings_json(server), "index": {"cacheDir": str(tmp_path / "index-cache")}, **extra}
