"""The SageMaker endpoint provider with real boto3 against the local server (PayloadPart streams)."""

from __future__ import annotations

import json
import threading

import pytest

from ghostls.providers.aws import SageMakerProvider
from ghostls.providers.base import GenerationCancelled, GenerationParams, PromptParts, ProviderError
from tests.aws.bedrock_server import AwsTestServer, Error, Parts, Raw
from tests.aws.conftest import make_settings
from tests.aws.test_privacy import AWS_KEY_ID

PARTS = PromptParts(prefix="def add(a, b):\n    return ", suffix="\n", path="/proj/calc.py", language="python")


def provider_for(server: AwsTestServer, endpoint: str = "jumpstart-dft-starcoder2-15b", profile: str = "auto",
                 **aws: object) -> SageMakerProvider:
    provider = SageMakerProvider(make_settings(server, "sagemaker", {"modelProfile": profile},
                                               endpointName=endpoint, **aws))
    provider.load()
    return provider


def generate(provider: SageMakerProvider, parts: PromptParts = PARTS, temperature: float = 0.0) -> str:
    prompt = provider.render(parts, 1000)
    params = GenerationParams(max_new_tokens=16, temperature=temperature, stop=provider.profile.stop)
    return "".join(provider.stream(prompt, params, threading.Event()))


def sse(text: str, special: bool = False) -> bytes:
    return b"data:" + json.dumps({"token": {"id": 1, "text": text, "special": special}}).encode() + b"\n\n"


def test_tgi_stream_split_across_parts_with_the_profile_fim_prompt(aws_server: AwsTestServer) -> None:
    stream = sse("a") + sse(" + ") + sse("b") + sse("<|endoftext|>", special=True)
    aws_server.push(Parts([stream[:7], stream[7:40], stream[40:]]))  # parts cut lines anywhere
    provider = provider_for(aws_server)
    assert provider.profile.name == "starcoder2"
    assert generate(provider) == "a + b"
    request = aws_server.requests[-1]
    assert request.path == "/endpoints/jumpstart-dft-starcoder2-15b/invocations-response-stream"
    body = request.json
    assert body["inputs"] == "<fim_prefix>def add(a, b):\n    return <fim_suffix>\n<fim_middle>"
    assert body["stream"] is True
    assert body["parameters"] == {"max_new_tokens": 16, "return_full_text": False, "do_sample": False,
                                  "stop": ["<|endoftext|>", "<file_sep>", "<fim_prefix>"]}


def test_lmi_json_lines_and_named_profile_and_sampling(aws_server: AwsTestServer) -> None:
    lines = b"".join(json.dumps({"token": {"text": t}}).encode() + b"\n" for t in ["a", " + b", "<|fim_pad|>x"])
    aws_server.push(Parts([lines]))
    provider = provider_for(aws_server, endpoint="my-endpoint", profile="qwen2.5-coder")
    assert generate(provider, temperature=0.2) == "a + b"  # cut at the profile's stop string
    body = aws_server.requests[-1].json
    assert body["inputs"].startswith("<|fim_prefix|>def add")
    assert body["parameters"]["do_sample"] is True and body["parameters"]["temperature"] == 0.2
    assert len(body["parameters"]["stop"]) == 4  # containers accept at most 4


def test_invoke_endpoint_without_streaming(aws_server: AwsTestServer) -> None:
    aws_server.push(Raw(json.dumps([{"generated_text": "a + b"}]).encode()))
    provider = provider_for(aws_server, streaming=False)
    assert generate(provider) == "a + b"
    request = aws_server.requests[-1]
    assert request.path == "/endpoints/jumpstart-dft-starcoder2-15b/invocations" and "stream" not in request.json


def test_model_error_is_reported(aws_server: AwsTestServer) -> None:
    aws_server.push(Error(424, "ModelError", "Received client error (422) from primary"))
    with pytest.raises(ProviderError) as err:
        generate(provider_for(aws_server))
    assert err.value.kind == "model-error" and "jumpstart-dft-starcoder2-15b" in err.value.message


def test_unknown_profile_name_is_a_config_error(aws_server: AwsTestServer) -> None:
    with pytest.raises(ProviderError) as err:
        provider_for(aws_server, profile="no-such-profile")
    assert err.value.kind == "config" and "modelProfile" in err.value.message


def test_cancel_closes_the_endpoint_stream(aws_server: AwsTestServer) -> None:
    aws_server.push(Parts([sse("a")], hold=True))
    provider = provider_for(aws_server)
    cancel = threading.Event()
    stream = provider.stream(provider.render(PARTS, 1000), GenerationParams(), cancel)
    outcome: list[BaseException] = []
    worker = threading.Thread(target=lambda: _drain(stream, outcome))
    worker.start()
    assert aws_server.stream_opened.wait(10)
    cancel.set()
    assert aws_server.stream_closed.wait(10)
    worker.join(10)
    assert isinstance(outcome[0], GenerationCancelled)


def _drain(stream, outcome: list[BaseException]) -> None:  # type: ignore[no-untyped-def]
    try:
        list(stream)
    except BaseException as exc:  # noqa: BLE001 - the test inspects it
        outcome.append(exc)


def test_secret_is_redacted_from_the_fim_prompt(aws_server: AwsTestServer) -> None:
    aws_server.push(Parts([sse("x")]))
    generate(provider_for(aws_server), PromptParts(prefix=f"KEY = '{AWS_KEY_ID}'\n", path="/p/a.py"))
    assert AWS_KEY_ID not in aws_server.requests[-1].text
