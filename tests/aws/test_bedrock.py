"""The Bedrock provider with real boto3 against the local ConverseStream / Converse server."""

from __future__ import annotations

import logging
import threading

import pytest

from ghostls.providers.aws import BedrockProvider
from ghostls.providers.aws.bedrock import converse_messages
from ghostls.providers.base import (
    ChatMessage,
    GenerationCancelled,
    GenerationParams,
    PromptParts,
    ProviderError,
    Snippet,
)
from tests.aws.bedrock_server import AwsTestServer, Error, Json, Malformed, Stall, Stream, StreamError
from tests.aws.conftest import MODEL_ID, make_settings
from tests.aws.test_privacy import AWS_KEY_ID, GITHUB_TOKEN, PASSWORD

PARTS = PromptParts(prefix="def add(a, b):\n    return ", suffix="\n\nprint(add(1, 2))\n", path="/proj/calc.py",
                    language="python")


def provider_for(server: AwsTestServer, **aws: object) -> BedrockProvider:
    provider = BedrockProvider(make_settings(server, **aws))
    provider.load()
    return provider


def generate(provider: BedrockProvider, parts: PromptParts = PARTS, cancel: threading.Event | None = None,
             stop: tuple[str, ...] = ()) -> str:
    prompt = provider.render(parts, 1000)
    return "".join(provider.stream(prompt, GenerationParams(max_new_tokens=32, stop=stop), cancel or threading.Event()))


def test_streamed_completion_and_request_shape(aws_server: AwsTestServer) -> None:
    aws_server.push(Stream(["a ", "+ b", "\n"]))
    provider = provider_for(aws_server)
    assert generate(provider, stop=("\n\n",)) == "a + b\n"
    request = aws_server.requests[-1]
    assert request.path == "/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse-stream"
    body = request.json
    assert body["inferenceConfig"] == {"maxTokens": 32, "temperature": 0.0, "stopSequences": ["\n\n"]}
    assert "reply with exactly the text" in body["system"][0]["text"].lower()
    user = body["messages"][0]["content"][0]["text"]
    assert "def add(a, b):\n    return {{FILL_HERE}}\n\nprint(add(1, 2))" in user
    assert request.headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=test/")
    assert provider.last.outcome == "ok" and provider.last.attempts == 1


def test_model_without_system_prompt_gets_it_in_the_user_turn(aws_server: AwsTestServer) -> None:
    aws_server.push(Stream(["1"]))
    generate(provider_for(aws_server, modelId="amazon.titan-text-express-v1"), stop=("\n\n",))
    body = aws_server.requests[-1].json
    assert "system" not in body and "stopSequences" not in body["inferenceConfig"]
    assert body["messages"][0]["content"][0]["text"].startswith("You are a code completion engine")


def test_converse_without_streaming(aws_server: AwsTestServer) -> None:
    aws_server.push(Json({"output": {"message": {"role": "assistant", "content": [{"text": "a + b"}]}},
                          "stopReason": "end_turn", "usage": {"inputTokens": 5, "outputTokens": 3, "totalTokens": 8},
                          "metrics": {"latencyMs": 5}}))
    assert generate(provider_for(aws_server, streaming=False)) == "a + b"
    assert aws_server.requests[-1].path.endswith("/converse")


def test_explanations_use_the_same_provider(aws_server: AwsTestServer) -> None:
    aws_server.push(Stream(["It adds ", "two numbers."]))
    provider = provider_for(aws_server)
    prompt = provider.render_chat([ChatMessage("system", "Explain code."), ChatMessage("user", "def add(a, b): ...")])
    assert "".join(provider.stream(prompt, GenerationParams(), threading.Event())) == "It adds two numbers."
    body = aws_server.requests[-1].json
    assert body["system"] == [{"text": "Explain code."}]
    assert [m["role"] for m in body["messages"]] == ["user"]


def test_chat_turns_are_merged_to_alternate() -> None:
    turns = converse_messages([ChatMessage("assistant", "hi"), ChatMessage("user", "a"), ChatMessage("user", "b"),
                               ChatMessage("assistant", "c")])
    assert [(t["role"], t["content"][0]["text"]) for t in turns] == [
        ("user", "(continued conversation)"), ("assistant", "hi"), ("user", "a\n\nb"), ("assistant", "c")]


def test_throttling_then_success(aws_server: AwsTestServer) -> None:
    aws_server.push(Error(429, "ThrottlingException", "Too many requests"), Error(429, "ThrottlingException"),
                    Stream(["a + b"]))
    provider = provider_for(aws_server)
    assert generate(provider) == "a + b"
    assert len(aws_server.requests) == 3 and provider.last.attempts == 3
    assert all(0 <= d <= 0.001 * 2 ** i for i, d in enumerate(provider.last.retry_delays_s))


def test_throttling_forever_gives_up_after_the_retries(aws_server: AwsTestServer) -> None:
    aws_server.default = Error(429, "ThrottlingException", "Too many requests")
    provider = provider_for(aws_server, maxRetries=2)
    with pytest.raises(ProviderError) as err:
        generate(provider)
    assert err.value.kind == "throttled" and "after 3 attempts" in err.value.message
    assert len(aws_server.requests) == 3


def test_in_stream_throttling_is_retried_before_any_text(aws_server: AwsTestServer) -> None:
    aws_server.push(StreamError("throttlingException", "slow down"), Stream(["a + b"]))
    assert generate(provider_for(aws_server)) == "a + b"
    assert len(aws_server.requests) == 2


def test_server_errors_are_retried_then_reported(aws_server: AwsTestServer) -> None:
    aws_server.default = Error(500, "InternalServerException", "boom")
    with pytest.raises(ProviderError) as err:
        generate(provider_for(aws_server, maxRetries=1))
    assert err.value.kind == "service-error" and "500" in err.value.message
    assert len(aws_server.requests) == 2


def test_malformed_frame_is_a_broken_stream(aws_server: AwsTestServer) -> None:
    aws_server.push(Malformed(["a + "]))
    with pytest.raises(ProviderError) as err:
        generate(provider_for(aws_server))
    assert err.value.kind == "stream" and "broke off" in err.value.message
    assert len(aws_server.requests) == 1  # text was already produced: not retried


def test_error_event_after_text_is_reported_not_retried(aws_server: AwsTestServer) -> None:
    aws_server.push(StreamError("modelStreamErrorException", "model crashed", chunks=["a"]))
    with pytest.raises(ProviderError) as err:
        generate(provider_for(aws_server))
    assert err.value.kind == "stream" and "model crashed" in err.value.message
    assert len(aws_server.requests) == 1


@pytest.mark.parametrize("after_headers", [False, True])
def test_slow_server_hits_the_read_timeout(aws_server: AwsTestServer, after_headers: bool) -> None:
    aws_server.push(Stall(10, after_headers=after_headers))
    with pytest.raises(ProviderError) as err:
        generate(provider_for(aws_server, readTimeoutS=0.3))
    assert err.value.kind == "timeout" and "0.3 s" in err.value.message
    assert len(aws_server.requests) == 1


def test_access_denied_says_how_to_request_model_access(aws_server: AwsTestServer) -> None:
    aws_server.push(Error(403, "AccessDeniedException",
                          "You don't have access to the model with the specified model ID."))
    with pytest.raises(ProviderError) as err:
        generate(provider_for(aws_server))
    message = err.value.message
    assert err.value.kind == "access-denied" and MODEL_ID in message and "Model access" in message
    assert "us-east-1" in message and "test" not in message.split("denied")[0]


def test_validation_error_names_the_setting(aws_server: AwsTestServer) -> None:
    aws_server.push(Error(400, "ValidationException", "The provided model identifier is invalid."))
    with pytest.raises(ProviderError) as err:
        generate(provider_for(aws_server))
    assert err.value.kind == "validation" and "ghostls.aws.modelId" in err.value.message


def test_expired_token(aws_server: AwsTestServer) -> None:
    aws_server.push(Error(403, "ExpiredTokenException", "The security token included in the request is expired"))
    with pytest.raises(ProviderError) as err:
        generate(provider_for(aws_server))
    assert err.value.kind == "expired-token" and "aws sso login" in err.value.message


@pytest.mark.usefixtures("no_credentials")
def test_missing_credentials(aws_server: AwsTestServer) -> None:
    provider = provider_for(aws_server)  # loading needs no credentials: logging in later fixes it
    with pytest.raises(ProviderError) as err:
        generate(provider)
    assert err.value.kind == "no-credentials" and "aws configure" in err.value.message
    assert aws_server.requests == []


def test_missing_model_id_is_a_config_error(aws_server: AwsTestServer) -> None:
    with pytest.raises(ProviderError) as err:
        provider_for(aws_server, modelId="")
    assert err.value.kind == "config" and "ghostls.aws.modelId" in err.value.message


def test_cancel_closes_the_stream(aws_server: AwsTestServer) -> None:
    aws_server.push(Stream(["a"], hold=True))
    provider = provider_for(aws_server)
    cancel = threading.Event()
    stream = provider.stream(provider.render(PARTS, 1000), GenerationParams(), cancel)
    failure: list[BaseException] = []

    def consume() -> None:
        try:
            list(stream)
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            failure.append(exc)

    worker = threading.Thread(target=consume)
    worker.start()
    assert aws_server.stream_opened.wait(10)
    cancel.set()
    assert aws_server.stream_closed.wait(10), "the server never saw the connection close"
    worker.join(10)
    assert not worker.is_alive() and isinstance(failure[0], GenerationCancelled)


def test_generator_close_closes_the_stream(aws_server: AwsTestServer) -> None:
    aws_server.push(Stream(["a + b\n", "more"], hold=True))
    provider = provider_for(aws_server)
    stream = provider.stream(provider.render(PARTS, 1000), GenerationParams(), threading.Event())
    assert next(stream) == "a + b\n"  # the pipeline has what it needs and stops iterating
    stream.close()
    assert aws_server.stream_closed.wait(10)
    assert provider.last.outcome == "closed"


def test_planted_secrets_never_reach_the_service(aws_server: AwsTestServer) -> None:
    aws_server.push(Stream(["pass"]))
    parts = PromptParts(
        prefix=f"AWS_ACCESS_KEY_ID = '{AWS_KEY_ID}'\nDB_PASSWORD = \"{PASSWORD}\"\ndef main():\n    ",
        suffix="\n", path="/proj/app.py", language="python",
        snippets=(Snippet(text=f"GH = '{GITHUB_TOKEN}'\n", source="similar", path="/proj/gh.py"),
                  Snippet(text="EXCLUDED_SNIPPET_MARKER = 1\n", source="similar", path="/proj/.env")))
    generate(provider_for(aws_server), parts)
    sent = aws_server.requests[-1].text
    for secret in (AWS_KEY_ID, PASSWORD, GITHUB_TOKEN, "EXCLUDED_SNIPPET_MARKER"):
        assert secret not in sent
    assert "[REDACTED:aws-access-key-id]" in sent and "def main():" in sent


def test_excluded_file_is_never_sent(aws_server: AwsTestServer) -> None:
    provider = provider_for(aws_server)
    assert generate(provider, PromptParts(prefix="API_TOKEN=", path="/proj/.env")) == ""
    assert generate(provider, PromptParts(prefix="MII", path="/proj/certs/server.pem")) == ""
    assert aws_server.requests == []


def test_no_secret_in_logs(aws_server: AwsTestServer, monkeypatch: pytest.MonkeyPatch,
                           caplog: pytest.LogCaptureFixture) -> None:
    token = "IQoJb3JpZ2luX2VjE" + "NOT-A-REAL-SESSION-TOKEN-x" * 4
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "planted/secret/" + "K7MDENG")
    monkeypatch.setenv("AWS_SESSION_TOKEN", token)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("botocore").setLevel(logging.DEBUG)
    aws_server.push(Error(403, "ExpiredTokenException", "The security token included in the request is expired"))
    with pytest.raises(ProviderError) as err:
        generate(provider_for(aws_server))
    assert aws_server.requests[-1].headers["X-Amz-Security-Token"] == token  # it was really used
    for secret in (token, "planted/secret/K7MDENG"):
        assert secret not in caplog.text and secret not in err.value.message
