"""Latency the Bedrock provider path adds, and how fast $/cancelRequest closes the stream.

Against the local wire-protocol server of the test suite (tests/aws/bedrock_server.py) with a
fixed time to first byte (50 ms by default), it measures, in one run:

* baseline: a raw HTTP POST (http.client) to converse-stream, time to the first body byte;
* provider: BedrockProvider render + SigV4 + ConverseStream + event decoding, time to the
  first text chunk (in-process, real boto3);
* lsp: a whole textDocument/inlineCompletion round trip through ``ghostls serve`` (stdio);
* cancel: time from sending ``$/cancelRequest`` to the server seeing the HTTP stream closed
  (through the LSP server), and from ``cancel.set()`` to closed (provider alone).

Run: ``.venv/bin/python bench/bedrock_latency.py [--n 50] [--ttfb-ms 50]``.  Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lsprotocol import types  # noqa: E402

from ghostls.harness import HeadlessSession  # noqa: E402
from ghostls.providers.aws import BedrockProvider  # noqa: E402
from ghostls.providers.base import GenerationParams, PromptParts  # noqa: E402
from ghostls.settings import parse_settings  # noqa: E402
from tests.aws.bedrock_server import AwsTestServer, Stream  # noqa: E402

MODEL_ID = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
SOURCE = "def add(a, b):\n    return \n"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def line(name: str, values: list[float], baseline: list[float] | None = None) -> str:
    p50, p95 = pct(values, 0.5) * 1000, pct(values, 0.95) * 1000
    text = f"{name:<34} p50 {p50:7.1f} ms  p95 {p95:7.1f} ms"
    if baseline:
        b50, b95 = pct(baseline, 0.5) * 1000, pct(baseline, 0.95) * 1000
        text += f"  added p50 {p50 - b50:+6.1f} ms  p95 {p95 - b95:+6.1f} ms  ratio p50 {p50 / b50:.2f}x"
    return text


def isolate_aws_env(tmp: Path) -> None:
    empty = tmp / "aws-empty"
    empty.write_text("")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION", "AWS_REGION"):
        os.environ.pop(name, None)
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_EC2_METADATA_DISABLED="true",
                      AWS_CONFIG_FILE=str(empty), AWS_SHARED_CREDENTIALS_FILE=str(empty))


def raw_ttfb(server: AwsTestServer) -> float:
    url = urlparse(server.url)
    body = json.dumps({"messages": [{"role": "user", "content": [{"text": SOURCE}]}]}).encode()
    started = time.perf_counter()
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request("POST", f"/model/{MODEL_ID}/converse-stream", body, {"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read(1)
    elapsed = time.perf_counter() - started
    response.read()
    conn.close()
    return elapsed


def provider_first_text(provider: BedrockProvider) -> float:
    parts = PromptParts(prefix="def add(a, b):\n    return ", suffix="\n", path="/bench/calc.py", language="python")
    started = time.perf_counter()
    stream = provider.stream(provider.render(parts, 2000), GenerationParams(max_new_tokens=32), threading.Event())
    next(stream)
    elapsed = time.perf_counter() - started
    stream.close()
    return elapsed


def provider_cancel(provider: BedrockProvider, server: AwsTestServer) -> float:
    server.reset_events()
    server.push(Stream(["a"], hold=True))
    cancel = threading.Event()
    stream = provider.stream(provider.render(PromptParts(prefix="x = "), 2000), GenerationParams(), cancel)
    worker = threading.Thread(target=lambda: _drain(stream))
    worker.start()
    server.stream_opened.wait(10)
    started = time.perf_counter()
    cancel.set()
    server.stream_closed.wait(10)
    worker.join(10)
    return (server.closed_at or time.perf_counter()) - started


def _drain(stream) -> None:  # type: ignore[no-untyped-def]
    try:
        for _ in stream:
            pass
    except Exception:
        pass


async def lsp_rounds(server: AwsTestServer, n: int, root: Path) -> tuple[list[float], list[float]]:
    settings = {"provider": "bedrock", "aws": {"region": "us-east-1", "endpointUrl": server.url, "modelId": MODEL_ID}}
    totals, cancels = [], []

    def fresh_document(name: str) -> str:  # a new prompt each time: the server caches repeated ones
        path = root / f"{name}.py"
        path.write_text(SOURCE)
        return session.open(path)

    async with HeadlessSession(settings, root=root, on_message=lambda text: None) as session:
        await session.inline(fresh_document("warmup"), 1, 11)  # client creation, first connection
        for i in range(n):
            uri = fresh_document(f"calc_{i}")
            before = len(server.requests)
            started = time.perf_counter()
            await session.inline(uri, 1, 11)
            totals.append(time.perf_counter() - started)
            assert len(server.requests) == before + 1, "the request did not reach the model"
        for i in range(max(5, n // 2)):
            uri = fresh_document(f"cancel_{i}")
            server.reset_events()
            server.push(Stream(["a"], ttfb_s=0.0, hold=True))
            msg_id = f"bench-cancel-{i}"
            params = types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri), position=types.Position(line=1, character=11),
                context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked))
            future = session.client.protocol.send_request(types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id)
            await asyncio.to_thread(server.stream_opened.wait, 10)
            started = time.perf_counter()
            session.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
            await asyncio.to_thread(server.stream_closed.wait, 10)
            cancels.append((server.closed_at or time.perf_counter()) - started)
            try:
                await asyncio.wait_for(asyncio.wrap_future(future), 10)
            except Exception:
                pass
    return totals, cancels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=50, help="requests per measurement")
    parser.add_argument("--ttfb-ms", type=float, default=50.0, help="the server's fixed time to first byte")
    args = parser.parse_args()
    ttfb_s = args.ttfb_ms / 1000
    with tempfile.TemporaryDirectory() as tmp, AwsTestServer(default=Stream(["a + b"], ttfb_s=ttfb_s)) as srv:
        isolate_aws_env(Path(tmp))
        settings, problems = parse_settings({"provider": "bedrock", "aws": {
            "region": "us-east-1", "endpointUrl": srv.url, "modelId": MODEL_ID}})
        assert not problems, problems
        provider = BedrockProvider(settings)
        provider.load()
        raw_ttfb(srv), provider_first_text(provider)  # warm up both paths
        baseline = [raw_ttfb(srv) for _ in range(args.n)]
        through_provider = [provider_first_text(provider) for _ in range(args.n)]
        direct_cancel = [provider_cancel(provider, srv) for _ in range(max(5, args.n // 2))]
        lsp_total, lsp_cancel = asyncio.run(lsp_rounds(srv, args.n, Path(tmp)))
        print(f"Bedrock provider path, local server with fixed TTFB {args.ttfb_ms:.0f} ms, n={args.n}")
        print(line("baseline: raw HTTP, first byte", baseline))
        print(line("provider: first text chunk", through_provider, baseline))
        print(line("LSP inlineCompletion round trip", lsp_total, baseline))
        print(line("cancel.set() -> stream closed", direct_cancel))
        print(line("$/cancelRequest -> stream closed", lsp_cancel))
        print(f"(statistics: provider mean {statistics.mean(through_provider) * 1000:.1f} ms, "
              f"baseline mean {statistics.mean(baseline) * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
