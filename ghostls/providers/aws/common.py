"""What the Bedrock and SageMaker providers share: clients, retries, stream lifetime, privacy.

A subclass says how to build one request and how to read text out of the events it returns;
this class owns everything around that: building the boto3 client from the standard
credential chain, bounded jittered retries on throttling and 5xx, closing the HTTP stream when
the consumer stops or ``cancel`` is set, and mapping every failure to one ProviderError.
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ghostls.privacy import PrivacyGuard
from ghostls.providers.aws.errors import CallContext, is_retryable, map_error
from ghostls.providers.base import (
    ApproximateCounter,
    GenerationCancelled,
    GenerationParams,
    ProviderError,
    RenderedPrompt,
)
from ghostls.settings import Settings

log = logging.getLogger(__name__)
_request_ids = itertools.count(1)

BACKOFF_CAP_S = 4.0
CANCEL_POLL_S = 0.02


@dataclass
class RequestStats:
    """The last request, for status views and logs (no prompt text, no credentials)."""

    request_id: str = ""
    attempts: int = 0
    first_text_s: float | None = None
    total_s: float = 0.0
    chunks: int = 0
    outcome: str = ""
    retry_delays_s: list[float] = field(default_factory=list)


def backoff_delay(attempt: int, base_s: float, cap_s: float = BACKOFF_CAP_S) -> float:
    """Full-jitter exponential backoff: uniform in [0, min(cap, base * 2**attempt)]."""
    return random.uniform(0.0, min(cap_s, base_s * (2 ** attempt)))


class StreamAborter:
    """Closes an HTTP response from a helper thread as soon as ``cancel`` is set.

    The consuming thread may be blocked reading the socket; ``shutdown`` wakes it up, and
    ``close`` releases the connection (never back to the pool), so the server sees it close.
    """

    def __init__(self, raw: Any, cancel: threading.Event) -> None:
        self.raw = raw
        self.cancel = cancel
        self._done = threading.Event()
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, name="ghostls-aws-cancel", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while not self._done.is_set():
            if self.cancel.wait(CANCEL_POLL_S):
                self.abort()
                return

    def abort(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        close_http(self.raw)

    def finish(self, completed: bool) -> None:
        """Stop watching; a stream read to its end keeps its connection for reuse (keep-alive),
        any other is closed."""
        self._done.set()
        if not completed:
            self.abort()


def close_http(raw: Any) -> None:
    """Shut the socket down (waking any blocked reader) and close the connection."""
    if raw is None:
        return
    shutdown = getattr(raw, "shutdown", None)
    if shutdown is not None:
        try:
            shutdown()
        except Exception:  # already released or closed
            pass
    try:
        raw.close()
    except Exception:  # pragma: no cover - best effort
        pass


# botocore's and urllib3's DEBUG records print signed request headers (session tokens).
_CHATTY_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")


def quiet_aws_debug_logs() -> None:
    """Keep secrets out of logs: the AWS libraries never log below INFO in ghostls."""
    for name in _CHATTY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)


class AwsProvider:
    """Base of the AWS providers.  Subclasses set ``name``, ``service`` and ``client_name``."""

    name = "aws"
    service = "AWS"
    client_name = ""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.aws = settings.aws
        self.guard = PrivacyGuard(settings.privacy)
        self._counter = ApproximateCounter()
        self._session: Any = None
        self._client: Any = None
        self._lock = threading.Lock()
        self.region = ""
        self.credential_source = ""
        self.last = RequestStats()

    # -- subclass hooks -----------------------------------------------------------------------
    @property
    def target(self) -> str:
        raise NotImplementedError

    def check_settings(self) -> None:
        """Raise ProviderError when the settings cannot work at all."""

    def start_stream(self, client: Any, prompt: RenderedPrompt, params: GenerationParams) -> Any:
        """Send the streaming request; return the botocore EventStream."""
        raise NotImplementedError

    def stream_state(self) -> Any:
        """Per-stream decoding state handed to ``event_text`` (e.g. a line buffer)."""
        return None

    def event_text(self, event: dict[str, Any], state: Any) -> Iterable[str]:
        """The text carried by one event (may be several pieces, or none)."""
        raise NotImplementedError

    def call_once(self, client: Any, prompt: RenderedPrompt, params: GenerationParams) -> str:
        """Send the non-streaming request; return the whole text."""
        raise NotImplementedError

    def finish_text(self, state: Any) -> Iterable[str]:
        """Text held back by ``event_text`` (e.g. a partial line), released at the end."""
        return ()

    # -- Provider protocol ----------------------------------------------------------------------
    def may_send(self, path: str) -> bool:
        """False when ``path`` matches 'ghostls.privacy.exclude' (callers that send text from a file
        other than through :meth:`render`, such as explanations, check this first)."""
        return not self.guard.excluded(path)

    @property
    def counter(self) -> ApproximateCounter:
        return self._counter

    @property
    def context(self) -> CallContext:
        return CallContext(self.service, self.target, self.region or self.aws.region or "?", self.aws.profile,
                           self.aws.read_timeout_s, self.aws.endpoint_url)

    def load(self) -> None:
        """Build the client (no network).  Missing credentials are reported per request, so that
        logging in (``aws sso login``) fixes ghostls without a restart."""
        self.check_settings()
        with self._lock:
            if self._client is None:
                self._client = self._make_client()

    def _make_client(self) -> Any:
        quiet_aws_debug_logs()
        import boto3
        from botocore import exceptions as bx
        from botocore.config import Config

        aws = self.aws
        try:
            session = boto3.session.Session(profile_name=aws.profile or None, region_name=aws.region or None)
            region = session.region_name
            if not region:
                raise bx.NoRegionError()
            config = Config(connect_timeout=aws.connect_timeout_s, read_timeout=aws.read_timeout_s,
                            retries={"total_max_attempts": 1, "mode": "standard"},
                            user_agent_extra="ghostls")
            client = session.client(self.client_name, region_name=region, endpoint_url=aws.endpoint_url or None,
                                    config=config)
        except (bx.BotoCoreError, ValueError) as exc:
            raise map_error(exc, self.context) from exc
        self._session, self.region = session, region
        credentials = session.get_credentials()
        self.credential_source = getattr(credentials, "method", "") if credentials else ""
        log.info("%s client ready: region %s%s, credentials from %s", self.service, region,
                 f", endpoint {aws.endpoint_url}" if aws.endpoint_url else "",
                 self.credential_source or "nowhere (requests will fail until credentials exist)")
        return client

    def _client_or_fail(self) -> Any:
        self.load()
        client = self._client
        if self._session is not None and self._session.get_credentials() is None:
            from botocore.exceptions import NoCredentialsError

            self._client = None  # pick up credentials that appear later
            raise map_error(NoCredentialsError(), self.context)
        return client

    def stream(self, prompt: RenderedPrompt, params: GenerationParams,
               cancel: threading.Event) -> Iterator[str]:
        blocked = prompt.extra.get("blocked")
        if blocked:
            log.info("%s: nothing sent (%s)", self.service, blocked)
            return
        stats = RequestStats(request_id=f"{self.name}-{next(_request_ids)}")
        self.last = stats
        started = time.perf_counter()
        try:
            chunks = self._stream_with_retries(prompt, params, cancel, stats) if self.aws.streaming else \
                self._call_with_retries(prompt, params, cancel, stats)
            for text in chunks:
                if stats.first_text_s is None:
                    stats.first_text_s = time.perf_counter() - started
                stats.chunks += 1
                yield text
            stats.outcome = "ok"
        except GeneratorExit:
            stats.outcome = "closed"
            raise
        except GenerationCancelled:
            stats.outcome = "cancelled"
            raise
        except ProviderError as exc:
            stats.outcome = exc.kind
            if exc.kind in ("no-credentials", "expired-token", "bad-credentials"):
                self._client = None
            raise
        finally:
            stats.total_s = time.perf_counter() - started
            log.debug("%s %s %s attempts=%d first=%s total=%.0fms chunks=%d", stats.request_id, self.target,
                      stats.outcome, stats.attempts,
                      "-" if stats.first_text_s is None else f"{stats.first_text_s * 1000:.0f}ms",
                      stats.total_s * 1000, stats.chunks)

    def _retry_or_raise(self, exc: BaseException, attempt: int, cancel: threading.Event,
                        stats: RequestStats) -> None:
        """Sleep before the next attempt when ``exc`` is worth retrying; else raise it mapped."""
        if cancel.is_set():
            raise GenerationCancelled() from exc
        if not (is_retryable(exc) and attempt < self.aws.max_retries):
            raise map_error(exc, self.context, attempts=attempt + 1) from exc
        delay = backoff_delay(attempt, self.aws.retry_base_delay_s)
        stats.retry_delays_s.append(delay)
        log.info("%s: %s, retry %d/%d in %.0f ms", self.service, type(exc).__name__, attempt + 1,
                 self.aws.max_retries, delay * 1000)
        if cancel.wait(delay):
            raise GenerationCancelled() from exc

    def _attempts(self, cancel: threading.Event, stats: RequestStats) -> Iterator[tuple[int, Any]]:
        """Numbered attempts with a client each, stopping as soon as ``cancel`` is set."""
        for attempt in itertools.count():
            if cancel.is_set():
                raise GenerationCancelled()
            stats.attempts = attempt + 1
            yield attempt, self._client_or_fail()

    def _stream_with_retries(self, prompt: RenderedPrompt, params: GenerationParams, cancel: threading.Event,
                             stats: RequestStats) -> Iterator[str]:
        for attempt, client in self._attempts(cancel, stats):
            try:
                events = self.start_stream(client, prompt, params)
            except Exception as exc:
                self._retry_or_raise(exc, attempt, cancel, stats)
                continue
            raw = getattr(events, "_raw_stream", None)
            aborter = StreamAborter(raw, cancel)
            state = self.stream_state()
            produced = completed = False
            try:
                for event in events:
                    if cancel.is_set():
                        raise GenerationCancelled()
                    for text in self.event_text(event, state):
                        produced = True
                        yield text
                if cancel.is_set():  # the aborter closed the stream under us
                    raise GenerationCancelled()
                completed = True
                yield from self.finish_text(state)
                return
            except GenerationCancelled:
                raise
            except Exception as exc:
                if cancel.is_set():
                    raise GenerationCancelled() from exc
                if produced:  # half a suggestion cannot be retried
                    raise map_error(exc, self.context, attempts=attempt + 1) from exc
                self._retry_or_raise(exc, attempt, cancel, stats)
            finally:
                aborter.finish(completed)

    def _call_with_retries(self, prompt: RenderedPrompt, params: GenerationParams, cancel: threading.Event,
                           stats: RequestStats) -> Iterator[str]:
        for attempt, client in self._attempts(cancel, stats):
            try:
                text = self.call_once(client, prompt, params)
            except Exception as exc:
                self._retry_or_raise(exc, attempt, cancel, stats)
                continue
            if cancel.is_set():
                raise GenerationCancelled()
            if text:
                yield text
            return

    def status(self) -> dict[str, Any]:
        return {
            "provider": self.name,
            "model": self.target,
            "loaded": self._client is not None,
            "region": self.region or self.aws.region or None,
            "endpointUrl": self.aws.endpoint_url or None,
            "credentialSource": self.credential_source or None,
            "streaming": self.aws.streaming,
            "contextWindow": self.context_window,
            "redactedSecrets": self.guard.redactions,
            "lastRequest": {**vars(self.last), "retry_delays_s": list(self.last.retry_delays_s)},
        }

    @property
    def context_window(self) -> int:
        return self.settings.context_size

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.close()
            except Exception:  # pragma: no cover - best effort
                pass
