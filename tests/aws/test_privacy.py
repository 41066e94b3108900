"""Secret redaction and file exclusion for prompts sent to remote providers."""

from __future__ import annotations

import pytest

from ghostls.privacy import PrivacyGuard, redact
from ghostls.providers.base import ChatMessage, PromptParts, Snippet
from ghostls.settings import PrivacySettings

# Planted secrets: assembled at run time so that this file itself holds no secret-shaped literal.
AWS_KEY_ID = "AKIA" + "Z7QX3MPL4RTY9WBN"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzq8Xk2Lm4N"
GITHUB_TOKEN = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
PEM = "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEowIBAAKCAQEAx3\nq9Zk1\n-----END RSA " + "PRIVATE KEY-----"
SLACK = "xoxb-" + "123456789012-abcdefghijklmnop"
PASSWORD = "hunter2-" + "correct-horse"

SECRET_CASES = [
    (f'key_id = "{AWS_KEY_ID}"\n', AWS_KEY_ID, "aws-access-key-id"),
    (f'aws_secret_access_key = "{AWS_SECRET}"\n', AWS_SECRET, "aws-secret-access-key"),
    (f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}\n", AWS_SECRET, "aws-secret-access-key"),
    (f'token = "{GITHUB_TOKEN}"\n', GITHUB_TOKEN, "github-token"),
    (f'KEY = """{PEM}"""\n', "MIIEowIBAAKCAQEAx3", "private-key"),
    (f"client = WebClient('{SLACK}')\n", SLACK, "slack-token"),
    (f'DB_PASSWORD = "{PASSWORD}"\n', PASSWORD, "assigned-secret"),
    (f'config = {{"api_key": "{PASSWORD}"}}\n', PASSWORD, "assigned-secret"),
    (f"url = 'postgres://admin:{PASSWORD}@db.internal:5432/app'\n", PASSWORD, "url-credentials"),
]


@pytest.mark.parametrize(("text", "secret", "kind"), SECRET_CASES)
def test_secrets_are_redacted(text: str, secret: str, kind: str) -> None:
    cleaned, found = redact(text)
    assert secret not in cleaned
    assert f"[REDACTED:{kind}]" in cleaned
    assert kind in found


@pytest.mark.parametrize("text", [
    "def token_count(text: str) -> int:\n    return len(text) // 4\n",
    'password = os.environ["DB_PASSWORD"]\n',
    'api_key = "<your-api-key>"\n',
    'secret = "changeme"\n',
    "AKIA_PREFIX = 'AKIA'\n",
    'sha = "3f2a9c1b7e"\n',
    "for key, value in items.items():\n    print(key)\n",
])
def test_ordinary_code_is_left_alone(text: str) -> None:
    assert redact(text) == (text, [])


def test_redaction_keeps_the_code_around_the_secret() -> None:
    cleaned, _ = redact(f'DB_PASSWORD = "{PASSWORD}"  # prod\nconnect(DB_PASSWORD)\n')
    assert cleaned == 'DB_PASSWORD = "[REDACTED:assigned-secret]"  # prod\nconnect(DB_PASSWORD)\n'


@pytest.mark.parametrize(("path", "excluded"), [
    ("/home/dev/app/.env", True),
    ("/home/dev/app/.env.production", True),
    ("/home/dev/app/certs/server.pem", True),
    ("/home/dev/.ssh/id_rsa", True),
    ("/home/dev/.ssh/id_rsa.pub", True),
    ("C:\\work\\app\\tls\\api.key", True),
    ("/home/dev/app/env.py", False),
    ("/home/dev/app/keys.py", False),
    ("/home/dev/app/main.py", False),
    ("", False),
])
def test_default_exclusions(path: str, excluded: bool) -> None:
    assert PrivacyGuard(PrivacySettings()).excluded(path) is excluded


def test_excluded_file_yields_no_parts_and_excluded_snippets_are_dropped() -> None:
    guard = PrivacyGuard(PrivacySettings(exclude=("*.pem", "secrets/**")))
    assert guard.clean_parts(PromptParts(prefix="x", path="/p/cert.pem")) is None
    parts = PromptParts(prefix=f"KEY_ID = '{AWS_KEY_ID}'\n", suffix="", path="/p/app.py", snippets=(
        Snippet(text="print('ok')", source="similar", path="/p/util.py"),
        Snippet(text="LEAK", source="similar", path="/p/secrets/prod.py"),
        Snippet(text=f"token = '{GITHUB_TOKEN}'", source="definition", path="/p/gh.py"),
    ))
    cleaned = guard.clean_parts(parts)
    assert cleaned is not None
    assert [s.path for s in cleaned.snippets] == ["/p/util.py", "/p/gh.py"]
    assert AWS_KEY_ID not in cleaned.prefix and GITHUB_TOKEN not in cleaned.snippets[1].text
    assert guard.redactions == 2


def test_redaction_can_be_turned_off_but_exclusion_still_applies() -> None:
    guard = PrivacyGuard(PrivacySettings(redact_secrets=False))
    assert guard.clean_text(AWS_KEY_ID) == AWS_KEY_ID
    assert guard.excluded("/x/.env")


def test_chat_messages_are_redacted() -> None:
    guard = PrivacyGuard(PrivacySettings())
    out = guard.clean_messages([ChatMessage("user", f"explain: {PEM}")])
    assert "MIIEowIBAAKCAQEAx3" not in out[0].content and out[0].role == "user"
