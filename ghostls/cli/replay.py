"""``ghostls replay TRACE``: replay an editing session against a real server over LSP.

A trace is JSON lines::

    {"type": "open", "path": "demo.py", "languageId": "python", "text": ""}
    {"type": "change", "t": 0.07, "range": [[0, 0], [0, 0]], "text": "d"}
    {"type": "inline", "t": 0.07, "line": 0, "character": 1, "trigger": "automatic"}

``t`` is seconds from the start.  Inline requests are sent without waiting for the previous
one; like VS Code, a newer request cancels the one still outstanding (``$/cancelRequest``).
The report lists each answered completion, model calls, cache hits and latencies (from the
server's ``ghostls.completionStats``).

``ghostls replay --record FILE --out TRACE`` makes a trace by simulating typing FILE from an
empty document (``--cps`` characters per second on average, seeded jitter; Enter comes with
the auto-indentation an editor adds).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ghostls.cli.options import add_settings_arguments, settings_from_args

if TYPE_CHECKING:  # the LSP client stack is imported only when a replay runs
    from ghostls.harness import HeadlessSession


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replay", help="replay a keystroke trace (JSON lines) against a real server, "
                       "or record one from a file")
    p.add_argument("trace", type=Path, nargs="?", help="trace to replay")
    p.add_argument("--record", type=Path, metavar="FILE", help="make a trace by simulating typing FILE")
    p.add_argument("--out", type=Path, help="where --record writes the trace (default: stdout)")
    p.add_argument("--cps", type=float, default=15.0, help="typing speed for --record (characters/second)")
    p.add_argument("--jitter", type=float, default=0.5,
                   help="spread of the time between keystrokes for --record (log-normal sigma; 0: steady)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-chars", type=int, help="--record only the first N characters of FILE")
    p.add_argument("--speed", type=float, default=1.0, help="replay N times faster than recorded")
    add_settings_arguments(p)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--quiet", action="store_true", help="only the summary")
    p.set_defaults(func=run)


# -- recording -----------------------------------------------------------------------------
def keystrokes(text: str) -> Iterable[str]:
    """What a typist sends: one character at a time, Enter together with the new indentation."""
    i = 0
    while i < len(text):
        if text[i] == "\n":
            j = i + 1
            while j < len(text) and text[j] in " \t":
                j += 1
            yield text[i:j]
            i = j
        else:
            yield text[i]
            i += 1


def record(text: str, path: str, cps: float = 15.0, jitter: float = 0.5, seed: int = 0) -> list[dict[str, Any]]:
    """A trace that types ``text`` into an empty document, asking for a completion after each key."""
    from ghostls.harness import language_id

    rng = random.Random(seed)
    mean = 1.0 / cps
    # log-normal with the requested mean: mu = ln(mean) - sigma^2 / 2
    mu = math.log(mean) - jitter * jitter / 2
    events: list[dict[str, Any]] = [{"type": "open", "path": path, "languageId": language_id(Path(path)),
                                     "text": ""}]
    t, line, col = 0.0, 0, 0
    for key in keystrokes(text):
        t += rng.lognormvariate(mu, jitter) if jitter > 0 else mean
        events.append({"type": "change", "t": round(t, 4), "range": [[line, col], [line, col]], "text": key})
        if "\n" in key:
            line += key.count("\n")
            col = len(key.rsplit("\n", 1)[1])
        else:
            col += len(key.encode("utf-16-le")) // 2
        events.append({"type": "inline", "t": round(t, 4), "line": line, "character": col,
                       "trigger": "automatic"})
    return events


# -- replaying -----------------------------------------------------------------------------
@dataclass
class Answer:
    t: float
    version: int
    line: int
    character: int
    latency: float
    items: list[str]
    cancelled: bool = False


@dataclass
class ReplayReport:
    keystrokes: int = 0
    requests: int = 0
    answers: list[Answer] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    wall_s: float = 0.0

    def summary(self) -> dict[str, Any]:
        shown = [a for a in self.answers if a.items and not a.cancelled]
        lat = sorted(a.latency for a in shown)
        s = self.stats
        cached = s.get("typedHits", 0) + s.get("promptHits", 0)
        needed = cached + s.get("generations", 0) - s.get("promptHits", 0)
        return {
            "keystrokes": self.keystrokes, "requests": self.requests, "shown": len(shown),
            "cancelledByClient": sum(a.cancelled for a in self.answers),
            "modelCalls": s.get("modelCalls", 0), "generations": s.get("generations", 0),
            "modelCallsPer100Keystrokes": round(100 * s.get("modelCalls", 0) / max(1, self.keystrokes), 2),
            "typedHits": s.get("typedHits", 0), "promptHits": s.get("promptHits", 0),
            "cacheHitRate": round(cached / needed, 4) if needed else 0.0,
            "superseded": s.get("superseded", 0), "stale": s.get("stale", 0),
            "latencyP50Ms": round(1000 * lat[len(lat) // 2], 1) if lat else None,
            "latencyP95Ms": round(1000 * lat[min(len(lat) - 1, int(0.95 * (len(lat) - 1) + 0.5))], 1) if lat else None,
            "wallSeconds": round(self.wall_s, 2),
        }


def load_trace(path: Path) -> list[dict[str, Any]]:
    events = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SystemExit(f"{path}:{number}: not JSON ({exc.msg})") from None
        if not isinstance(event, dict) or event.get("type") not in ("open", "change", "inline"):
            raise SystemExit(f"{path}:{number}: each line needs \"type\": open, change or inline")
        events.append(event)
    if not events or events[0]["type"] != "open":
        raise SystemExit(f"{path}: the first event must be {{\"type\": \"open\", ...}}")
    return events


async def warm_up(session: HeadlessSession, root: Path) -> None:
    """Wait until the model is loaded (one invoked request on a scratch document)."""
    from lsprotocol import types

    uri = session.open(root / "__ghostls_warmup__.py", "def main():\n    ")
    await session.inline(uri, 1, 4, invoked=True)
    session.client.text_document_did_close(types.DidCloseTextDocumentParams(
        text_document=types.TextDocumentIdentifier(uri=uri)))


async def replay(events: list[dict[str, Any]], session: HeadlessSession, root: Path,
                 speed: float = 1.0) -> ReplayReport:
    import asyncio

    from lsprotocol import types

    report = ReplayReport()
    await warm_up(session, root)
    opened = events[0]
    uri = session.open(root / opened["path"], opened.get("text", ""))
    await session.command("ghostls.completionStats", {"reset": True})
    protocol = session.client.protocol
    outstanding: dict[str, asyncio.Future] = {}
    pending: list[asyncio.Task] = []
    start = time.perf_counter()

    async def ask(event: dict[str, Any], version: int) -> None:
        msg_id = str(uuid.uuid4())
        trigger = (types.InlineCompletionTriggerKind.Invoked if event.get("trigger") == "invoked"
                   else types.InlineCompletionTriggerKind.Automatic)
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=event["line"], character=event["character"]),
            context=types.InlineCompletionContext(trigger_kind=trigger))
        for old_id in list(outstanding):  # VS Code cancels the request it no longer needs
            protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=old_id))
            outstanding.pop(old_id)
        sent = time.perf_counter()
        future = asyncio.wrap_future(protocol.send_request(types.TEXT_DOCUMENT_INLINE_COMPLETION, params,
                                                           msg_id=msg_id))
        outstanding[msg_id] = future
        answer = Answer(sent - start, version, event["line"], event["character"], 0.0, [])
        try:
            result = await future
            items = result.items if isinstance(result, types.InlineCompletionList) else (result or [])
            answer.items = [i.insert_text if isinstance(i.insert_text, str) else i.insert_text.value for i in items]
        except Exception:  # cancelled by us: the server answers with an error
            answer.cancelled = True
        answer.latency = time.perf_counter() - sent
        outstanding.pop(msg_id, None)
        report.answers.append(answer)

    version = 1
    for event in events[1:]:
        delay = event.get("t", 0.0) / speed - (time.perf_counter() - start)
        if delay > 0:
            await asyncio.sleep(delay)
        if event["type"] == "change":
            (sl, sc), (el, ec) = event["range"]
            version = session.change(uri, (sl, sc), (el, ec), event["text"])
            report.keystrokes += 1
        elif event["type"] == "inline":
            report.requests += 1
            pending.append(asyncio.ensure_future(ask(event, version)))
    if pending:
        await asyncio.gather(*pending)
    report.wall_s = time.perf_counter() - start
    report.stats = _stats_dict(await session.command("ghostls.completionStats"))
    return report


def _stats_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return {k: getattr(value, k) for k in dir(value) if not k.startswith("_")}


async def _replay_cli(args: argparse.Namespace) -> int:
    from ghostls.harness import HeadlessSession

    events = load_trace(args.trace)
    settings = settings_from_args(args)
    quiet = args.json or args.quiet
    with tempfile.TemporaryDirectory(prefix="ghostls-replay-") as tmp:
        root = Path(tmp)  # an empty workspace: the trace's document is all there is
        async with HeadlessSession(settings, root=root, on_message=(lambda m: None) if quiet else None) as session:
            report = await replay(events, session, root, args.speed)
    summary = report.summary()
    if args.json:
        print(json.dumps({"summary": summary, "answers": [vars(a) for a in report.answers]}, indent=2))
        return 0
    if not args.quiet:
        for a in report.answers:
            if a.items:
                print(f"[{a.t:7.2f}s v{a.version} {a.line}:{a.character} {a.latency * 1000:6.0f} ms] "
                      f"{a.items[0]!r}")
    for key, value in summary.items():
        print(f"{key}: {value}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.record:
        if not args.record.is_file():
            print(f"ghostls: {args.record} is not a file", file=sys.stderr)
            return 2
        text = args.record.read_text(encoding="utf-8")[: args.max_chars]
        events = record(text, args.record.name, args.cps, args.jitter, args.seed)
        lines = "".join(json.dumps(e) + "\n" for e in events)
        if args.out:
            args.out.write_text(lines, encoding="utf-8")
            print(f"wrote {len(events)} events ({sum(e['type'] == 'change' for e in events)} keystrokes, "
                  f"{events[-1]['t']:.1f} s) to {args.out}", file=sys.stderr)
        else:
            sys.stdout.write(lines)
        return 0
    if args.trace is None:
        print("ghostls replay: give a TRACE to replay, or --record FILE", file=sys.stderr)
        return 2
    if not args.trace.is_file():
        print(f"ghostls: {args.trace} is not a file", file=sys.stderr)
        return 2
    import asyncio

    return asyncio.run(_replay_cli(args))
