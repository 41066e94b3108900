"""AWS tests: real boto3 against the local server in bedrock_server.py, with dummy credentials."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ghostls.settings import Settings, parse_settings
from tests.aws.bedrock_server import AwsTestServer

MODEL_ID = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
_AWS_VARS = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_REGION",
             "AWS_DEFAULT_REGION", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
             "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE")


def aws_env(tmp_path: Path, credentials: bool = True) -> dict[str, str]:
    """Environment for boto3: empty AWS config files, no instance metadata, dummy keys (or none)."""
    config, shared = tmp_path / "aws-config", tmp_path / "aws-credentials"
    config.write_text("")
    shared.write_text("")
    env = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(shared),
           "AWS_EC2_METADATA_DISABLED": "true"}
    if credentials:
        env |= {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test"}
    return env


@pytest.fixture(autouse=True)
def dummy_aws_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in _AWS_VARS + ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    env = aws_env(tmp_path)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def no_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY", raising=False)


@pytest.fixture
def aws_server() -> Iterator[AwsTestServer]:
    with AwsTestServer() as server:
        yield server


def aws_settings_json(server: AwsTestServer, provider: str = "bedrock", **aws: Any) -> dict[str, Any]:
    base = {"region": "us-east-1", "endpointUrl": server.url, "modelId": MODEL_ID, "endpointName": "",
            "retryBaseDelayS": 0.001, "readTimeoutS": 5.0, "connectTimeoutS": 2.0, "maxRetries": 3}
    return {"provider": provider, "aws": {**base, **aws}}


def make_settings(server: AwsTestServer, provider: str = "bedrock", extra: dict[str, Any] | None = None,
                  **aws: Any) -> Settings:
    settings, problems = parse_settings({**aws_settings_json(server, provider, **aws), **(extra or {})})
    assert not problems, problems
    return settings
