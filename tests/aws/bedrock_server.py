"""A local stand-in for Bedrock Runtime and SageMaker Runtime, speaking their real wire formats.

moto does not implement Converse and botocore's Stubber rejects ConverseStream (FACTS.md), so
the tests point real boto3 clients at this server with ``endpoint_url``.  It binds 127.0.0.1
only.  Each request takes the next scripted reply (or the default one):

* :class:`Stream`: ConverseStream events (messageStart, contentBlockDelta..., messageStop,
  metadata) as ``application/vnd.amazon.eventstream`` frames, encoded here (prelude with total
  and header lengths, CRC32 of the prelude, string headers, JSON payload, CRC32 of the message),
  sent with chunked transfer encoding.  ``hold=True`` keeps the stream open until the client
  closes it, and records when that happened.
* :class:`Parts`: SageMaker ``PayloadPart`` events with raw bytes.
* :class:`Json` / :class:`Raw`: Converse / InvokeEndpoint whole replies.
* :class:`Error`: an AWS JSON error (``x-amzn-ErrorType``) with any status.
* :class:`Malformed`, :class:`StreamError`, :class:`Stall`: broken frames, in-stream
  exceptions, and a server that goes quiet.
"""

from __future__ import annotations

import collections
import json
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

EVENTSTREAM = "application/vnd.amazon.eventstream"


# -- the event stream encoding -------------------------------------------------------------------
def encode_headers(headers: dict[str, str]) -> bytes:
    out = b""
    for name, value in headers.items():
        raw_name, raw_value = name.encode(), value.encode()
        out += struct.pack(">B", len(raw_name)) + raw_name + b"\x07" + struct.pack(">H", len(raw_value)) + raw_value
    return out


def encode_frame(headers: dict[str, str], payload: bytes, corrupt: bool = False) -> bytes:
    """One event stream message; ``corrupt`` flips the message CRC."""
    raw_headers = encode_headers(headers)
    total = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(raw_headers))
    message = prelude + struct.pack(">I", zlib.crc32(prelude)) + raw_headers + payload
    crc = zlib.crc32(message) ^ (0xFFFFFFFF if corrupt else 0)
    return message + struct.pack(">I", crc)


def event_frame(event_type: str, payload: dict[str, Any], corrupt: bool = False) -> bytes:
    return encode_frame({":event-type": event_type, ":content-type": "application/json", ":message-type": "event"},
                        json.dumps(payload).encode(), corrupt)


def exception_frame(code: str, message: str) -> bytes:
    return encode_frame({":exception-type": code, ":content-type": "application/json", ":message-type": "exception"},
                        json.dumps({"message": message}).encode())


def payload_part_frame(data: bytes) -> bytes:
    return encode_frame({":event-type": "PayloadPart", ":content-type": "application/octet-stream",
                         ":message-type": "event"}, data)


def converse_stream_frames(chunks: list[str], stop_reason: str = "end_turn") -> tuple[list[bytes], list[bytes]]:
    """(frames before and including the text deltas, frames that end the message)."""
    head = [event_frame("messageStart", {"role": "assistant"})]
    head += [event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": c}}) for c in chunks]
    tail = [event_frame("contentBlockStop", {"contentBlockIndex": 0}),
            event_frame("messageStop", {"stopReason": stop_reason}),
            event_frame("metadata", {"usage": {"inputTokens": 10, "outputTokens": len(chunks), "totalTokens": 10 +
                                               len(chunks)}, "metrics": {"latencyMs": 1}})]
    return head, tail


# -- scripted replies ----------------------------------------------------------------------------
@dataclass
class Stream:
    chunks: list[str]
    ttfb_s: float = 0.0
    hold: bool = False  # keep the stream open after the chunks until the client closes it
    stop_reason: str = "end_turn"


@dataclass
class Parts:
    parts: list[bytes]
    ttfb_s: float = 0.0
    hold: bool = False


@dataclass
class Json:
    body: Any
    status: int = 200


@dataclass
class Raw:
    body: bytes
    content_type: str = "application/json"


@dataclass
class Error:
    status: int
    code: str
    message: str = "scripted error"


@dataclass
class Malformed:
    """Good frames for ``chunks``, then one whose CRC is wrong."""
    chunks: list[str] = field(default_factory=list)


@dataclass
class StreamError:
    """Good frames for ``chunks``, then an exception event."""
    code: str
    message: str = "scripted stream error"
    chunks: list[str] = field(default_factory=list)


@dataclass
class Stall:
    """Headers (when ``after_headers``) and maybe some chunks, then silence for ``seconds``."""
    seconds: float
    after_headers: bool = True
    chunks: list[str] = field(default_factory=list)


@dataclass
class Captured:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class AwsTestServer:
    """``with AwsTestServer() as srv: srv.push(Stream([...])); client(endpoint_url=srv.url)``."""

    def __init__(self, default: Any = None) -> None:
        self.default = default if default is not None else Stream(["pass"])
        self.script: collections.deque[Any] = collections.deque()
        self.requests: list[Captured] = []
        self.lock = threading.Lock()
        self.stream_opened = threading.Event()  # a held stream has sent its chunks
        self.stream_closed = threading.Event()  # ... and the client has closed it
        self.closed_at: float | None = None
        self.release = threading.Event()  # ends stalls early (teardown)
        self.request_seen = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None

    # -- control --------------------------------------------------------------------------------
    def push(self, *replies: Any) -> None:
        with self.lock:
            self.script.extend(replies)

    def reset_events(self) -> None:
        self.stream_opened.clear()
        self.stream_closed.clear()
        self.request_seen.clear()
        self.closed_at = None

    def next_reply(self) -> Any:
        with self.lock:
            return self.script.popleft() if self.script else self.default

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> AwsTestServer:
        handler = type("Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        threading.Thread(target=self._httpd.serve_forever, args=(0.02,), name="aws-test-server", daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release.set()
        assert self._httpd is not None
        self._httpd.shutdown()
        self._httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fake: AwsTestServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fake = self.fake
        with fake.lock:
            fake.requests.append(Captured("POST", self.path, dict(self.headers.items()), body, time.perf_counter()))
        fake.request_seen.set()
        reply = fake.next_reply()
        try:
            getattr(self, "_reply_" + type(reply).__name__.lower())(reply)
        except (BrokenPipeError, ConnectionResetError):
            fake.closed_at = fake.closed_at or time.perf_counter()
            fake.stream_closed.set()
        self.close_connection = True

    # -- helpers ------------------------------------------------------------------------------------
    def _start_stream(self, ttfb_s: float = 0.0) -> None:
        if ttfb_s:
            time.sleep(ttfb_s)  # the simulated model's time to first byte
        self.send_response(200)
        self.send_header("Content-Type", EVENTSTREAM)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("x-amzn-RequestId", "test-request")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _end_stream(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _hold_until_client_closes(self) -> None:
        fake = self.fake
        fake.stream_opened.set()
        self.connection.settimeout(30)
        try:
            while self.connection.recv(1024):
                pass
        except (TimeoutError, OSError):
            pass
        fake.closed_at = time.perf_counter()
        fake.stream_closed.set()

    # -- replies ------------------------------------------------------------------------------------
    def _reply_stream(self, reply: Stream) -> None:
        head, tail = converse_stream_frames(reply.chunks, reply.stop_reason)
        self._start_stream(reply.ttfb_s)
        for frame in head:
            self._chunk(frame)
        if reply.hold:
            self._hold_until_client_closes()
            return
        for frame in tail:
            self._chunk(frame)
        self._end_stream()

    def _reply_parts(self, reply: Parts) -> None:
        self._start_stream(reply.ttfb_s)
        for part in reply.parts:
            self._chunk(payload_part_frame(part))
        if reply.hold:
            self._hold_until_client_closes()
            return
        self._end_stream()

    def _send_body(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _reply_json(self, reply: Json) -> None:
        self._send_body(reply.status, json.dumps(reply.body).encode(), "application/json")

    def _reply_raw(self, reply: Raw) -> None:
        self._send_body(200, reply.body, reply.content_type)

    def _reply_error(self, reply: Error) -> None:
        self._send_body(reply.status, json.dumps({"message": reply.message}).encode(), "application/json",
                        {"x-amzn-ErrorType": f"{reply.code}:http://internal.amazon.com/coral/com.amazon.bedrock/"})

    def _reply_malformed(self, reply: Malformed) -> None:
        head, _ = converse_stream_frames(reply.chunks)
        self._start_stream()
        for frame in head:
            self._chunk(frame)
        self._chunk(event_frame("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "x"}}, corrupt=True))
        self._end_stream()

    def _reply_streamerror(self, reply: StreamError) -> None:
        head, _ = converse_stream_frames(reply.chunks)
        self._start_stream()
        for frame in head:
            self._chunk(frame)
        self._chunk(exception_frame(reply.code, reply.message))
        self._end_stream()

    def _reply_stall(self, reply: Stall) -> None:
        if reply.after_headers:
            head, _ = converse_stream_frames(reply.chunks)
            self._start_stream()
            for frame in head if reply.chunks else head[:1]:
                self._chunk(frame)
        self.fake.release.wait(reply.seconds)
