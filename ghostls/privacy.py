"""What may leave the machine: file exclusion and secret redaction for remote providers.

Local models see everything.  A remote provider (Bedrock, SageMaker) gets a prompt only after
it passed :class:`PrivacyGuard`: files matching ``ghostls.privacy.exclude`` are never sent,
neither as the file being edited nor as context snippets, and text that looks like a secret
(cloud keys, private keys, API tokens, passwords in assignments) is replaced by a marker.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pathspec

from ghostls.providers.base import ChatMessage, PromptParts
from ghostls.settings import PrivacySettings


@dataclass(frozen=True)
class SecretRule:
    name: str
    pattern: re.Pattern[str]
    group: int = 0  # the regex group that holds the secret (0: the whole match)


def _rule(name: str, pattern: str, group: int = 0, flags: int = 0) -> SecretRule:
    return SecretRule(name, re.compile(pattern, flags), group)


# Ordered: whole blocks first, then well-known token shapes, then generic assignments.
SECRET_RULES: tuple[SecretRule, ...] = (
    _rule("private-key", r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
                         r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----|\Z)"),
    _rule("aws-access-key-id", r"\b(?:AKIA|ASIA|ABIA|ACCA|AIDA|AROA|AIPA|ANPA|ANVA|AGPA)[A-Z0-9]{16}\b"),
    _rule("aws-secret-access-key",
          r"(?i)(?:aws)?_?(?:secret)_?(?:access)?_?key[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{40})(?![A-Za-z0-9/+=])",
          group=1),
    _rule("aws-session-token", r"(?i)(?:aws)?_?session_?token[\"']?\s*[:=]\s*[\"']?([A-Za-z0-9/+=]{100,})", group=1),
    _rule("github-token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})\b"),
    _rule("gitlab-token", r"\bglpat-[A-Za-z0-9_\-]{20,}\b"),
    _rule("slack-token", r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b"),
    _rule("google-api-key", r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    _rule("stripe-key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b"),
    _rule("openai-key", r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{20,}\b"),
    _rule("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\b"),
    _rule("url-credentials", r"\b[a-z][a-z0-9+.\-]*://[^\s/:@\"']+:([^\s/@\"']{3,})@", group=1),
    _rule("assigned-secret",
          r"(?i)\b[\w.\-]*(?:password|passwd|pwd|secret|token|api_?key|apikey|access_?key|private_?key|"
          r"client_?secret|auth)[\w.\-]*[\"']?\s*[:=]\s*[\"']([^\"'\s]{8,})[\"']",
          group=1),
)

# Values that look assigned but are obviously not secrets (placeholders, lookups).
_PLACEHOLDER = re.compile(r"(?i)^(?:x+|\*+|<[^>]*>|\$\{?[\w.]+\}?|%\(?\w+\)?s?|changeme|example\w*|"
                          r"your[_\-]?\w*|dummy\w*|placeholder\w*|redacted\w*|none|null|test)$")


def redact(text: str, rules: Iterable[SecretRule] = SECRET_RULES) -> tuple[str, list[str]]:
    """``text`` with likely secrets replaced by ``[REDACTED:<kind>]``, and the kinds found."""
    found: list[str] = []
    for rule in rules:
        def replace(match: re.Match[str], rule: SecretRule = rule) -> str:
            secret = match.group(rule.group)
            if secret is None or (rule.group and _PLACEHOLDER.match(secret)) or secret.startswith("[REDACTED:"):
                return match.group(0)
            found.append(rule.name)
            whole = match.group(0)
            start = match.start(rule.group) - match.start(0)
            return whole[:start] + f"[REDACTED:{rule.name}]" + whole[start + len(secret):]
        text = rule.pattern.sub(replace, text)
    return text, found


class PrivacyGuard:
    """Applies the ``privacy`` settings to what a remote provider is about to send."""

    def __init__(self, settings: PrivacySettings) -> None:
        self.settings = settings
        self._spec = pathspec.PathSpec.from_lines("gitwildmatch", settings.exclude)
        self.redactions = 0  # how many secrets were redacted so far (for status, never the values)

    def excluded(self, path: str) -> bool:
        """True when ``path`` matches an exclusion pattern (gitignore syntax).

        Paths may be absolute and the workspace root is not known here, so a pattern with a
        slash ("secrets/**") is tried against every tail of the path: excluding too much is
        the safe direction.
        """
        if not path:
            return False
        pieces = [p for p in path.replace("\\", "/").split("/") if p]
        return any(self._spec.match_file("/".join(pieces[i:])) for i in range(len(pieces)))

    def clean_text(self, text: str) -> str:
        if not self.settings.redact_secrets or not text:
            return text
        cleaned, found = redact(text)
        self.redactions += len(found)
        return cleaned

    def clean_parts(self, parts: PromptParts) -> PromptParts | None:
        """The parts with excluded snippets dropped and secrets redacted; None when the file
        being edited is itself excluded (nothing may be sent)."""
        if self.excluded(parts.path):
            return None
        snippets = tuple(dataclasses.replace(s, text=self.clean_text(s.text))
                         for s in parts.snippets if not self.excluded(s.path))
        return dataclasses.replace(parts, prefix=self.clean_text(parts.prefix),
                                   suffix=self.clean_text(parts.suffix), snippets=snippets)

    def clean_messages(self, messages: Iterable[ChatMessage]) -> list[ChatMessage]:
        return [ChatMessage(m.role, self.clean_text(m.content)) for m in messages]
