"""Latency of ``ghostls.explain`` through ``ghostls serve``, against the local Bedrock stand-in.

The stand-in (tests/aws/bedrock_server.py) answers after a fixed time to first byte (50 ms by
default) with a few text chunks.  The workspace is this repository itself (its ``ghostls``
package is indexed), and the selection is a real method that uses names from other files.
In one run it measures:

* baseline: a raw HTTP POST to converse-stream, time to the first body byte;
* first text: from sending ``ghostls.explain`` to the first ``ghostls/stream`` notification
  (gathering scopes and definitions, packing the prompt, SigV4, the model's TTFB, decoding);
* answer: the whole request;
* context: the server's own time to gather the context (``timings.contextSeconds``).

Run: ``.venv/bin/python bench/explain_latency.py [--n 30] [--ttfb-ms 50]``.  Not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bedrock_latency import MODEL_ID, isolate_aws_env, line, raw_ttfb  # noqa: E402

from ghostls.harness import HeadlessSession  # noqa: E402
from tests.aws.bedrock_server import AwsTestServer, Stream  # noqa: E402

TARGET = ROOT / "ghostls" / "context" / "sources.py"
ANCHOR = "    def __call__(self, query: ContextQuery) -> list[Snippet]:\n        index = self.index()"


def selection(text: str) -> dict:
    start = text.index(ANCHOR)
    end = text.index("\n\n\nclass TtlCache", start)
    (l1, c1), (l2, c2) = (_pos(text, start), _pos(text, end))
    return {"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}}


def _pos(text: str, offset: int) -> tuple[int, int]:
    before = text[:offset]
    return before.count("\n"), len(before) - (before.rfind("\n") + 1)


async def run(n: int, ttfb_ms: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, AwsTestServer() as server:
        isolate_aws_env(Path(tmp))
        server.default = Stream(["This method ", "ranks names ", "near the cursor."], ttfb_s=ttfb_ms / 1000)
        baseline = [raw_ttfb(server) for _ in range(n)]
        settings = {"provider": "bedrock", "contextSize": 8192, "index": {"cacheDir": os.path.join(tmp, "index")},
                    "aws": {"region": "us-east-1", "endpointUrl": server.url, "modelId": MODEL_ID}}
        first, whole, context = [], [], []
        text = TARGET.read_text()
        async with HeadlessSession(settings, root=ROOT / "ghostls", on_message=lambda m: None) as session:
            uri = session.open(TARGET, text)
            params = {"uri": uri, "range": selection(text)}
            for i in range(n + 2):  # the first two warm up (index build, provider load)
                got: list[float] = []
                session.stream_listeners[f"b{i}"] = lambda t, d, got=got: got.append(time.perf_counter())
                started = time.perf_counter()
                result = await session.command("ghostls.explain", {**params, "streamId": f"b{i}"})
                ended = time.perf_counter()
                if i >= 2:
                    first.append(got[0] - started)
                    whole.append(ended - started)
                    context.append(getattr(result, "timings", None) or result["timings"])
        data = result if isinstance(result, dict) else json.loads(json.dumps(result, default=vars))
        context_s = [c["contextSeconds"] if isinstance(c, dict) else c.contextSeconds for c in context]
    print(f"ghostls.explain over a {ttfb_ms} ms TTFB Bedrock stand-in, n={n}; prompt {data['promptTokens']} tokens, "
          f"context: " + ", ".join(f"{c['kind']} {c['name']}".strip() for c in data["context"]))
    print(line("baseline: raw HTTP TTFB", baseline))
    print(line("explain: first streamed text", first, baseline))
    print(line("explain: whole answer", whole, baseline))
    print(line("server: gathering context", context_s))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=30)
    parser.add_argument("--ttfb-ms", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(run(args.n, args.ttfb_ms))


if __name__ == "__main__":
    main()
