"""Every AWS failure maps to one clear ProviderError (table), and configuration errors at load."""

from __future__ import annotations

import pytest
from botocore import exceptions as bx

from ghostls.providers.aws import BedrockProvider
from ghostls.providers.aws.errors import CallContext, is_retryable, map_error
from ghostls.providers.base import ProviderError
from tests.aws.bedrock_server import AwsTestServer
from tests.aws.conftest import make_settings

CTX = CallContext("Bedrock", "us.amazon.nova-lite-v1:0", "us-east-1", "dev", 30.0)


def client_error(code: str, status: int, message: str = "details") -> bx.ClientError:
    return bx.ClientError({"Error": {"Code": code, "Message": message},
                           "ResponseMetadata": {"HTTPStatusCode": status}}, "ConverseStream")


@pytest.mark.parametrize(("exc", "kind", "says", "retry"), [
    (bx.NoCredentialsError(), "no-credentials", "aws sso login", False),
    (bx.ProfileNotFound(profile="dev"), "config", "'dev'", False),
    (bx.NoRegionError(), "config", "ghostls.aws.region", False),
    (bx.TokenRetrievalError(provider="sso", error_msg="expired"), "expired-token", "--profile dev", False),
    (client_error("ExpiredTokenException", 403), "expired-token", "aws sso login --profile dev", False),
    (client_error("UnrecognizedClientException", 403), "bad-credentials", "ghostls.aws.profile", False),
    (client_error("AccessDeniedException", 403), "access-denied", "Model access", False),
    (client_error("ValidationException", 400, "bad id"), "validation", "bad id", False),
    (client_error("ResourceNotFoundException", 404), "validation", "ghostls.aws.region", False),
    (client_error("ThrottlingException", 429), "throttled", "Service Quotas", True),
    (client_error("ServiceUnavailableException", 503), "service-error", "503", True),
    (client_error("InternalServerException", 500), "service-error", "500", True),
    (bx.ReadTimeoutError(endpoint_url="https://x"), "timeout", "ghostls.aws.readTimeoutS", False),
    (bx.ConnectTimeoutError(endpoint_url="https://x"), "network", "ghostls.aws.endpointUrl", False),
    (bx.EndpointConnectionError(endpoint_url="https://x"), "network", "us-east-1", False),
    (bx.ConnectionClosedError(endpoint_url="https://x"), "stream", "broke off", True),
])
def test_error_table(exc: Exception, kind: str, says: str, retry: bool) -> None:
    error = map_error(exc, CTX)
    assert isinstance(error, ProviderError)
    assert error.kind == kind and says in error.message
    assert is_retryable(exc) is retry


def test_unknown_profile_is_reported_at_load(aws_server: AwsTestServer) -> None:
    with pytest.raises(ProviderError) as err:
        BedrockProvider(make_settings(aws_server, profile="nowhere")).load()
    assert err.value.kind == "config" and "'nowhere'" in err.value.message


def test_missing_region_is_reported_at_load(aws_server: AwsTestServer) -> None:
    with pytest.raises(ProviderError) as err:
        BedrockProvider(make_settings(aws_server, region="")).load()
    assert err.value.kind == "config" and "ghostls.aws.region" in err.value.message


def test_explanations_can_ask_whether_a_file_may_be_sent(aws_server: AwsTestServer) -> None:
    provider = BedrockProvider(make_settings(aws_server))
    assert provider.may_send("/p/app.py") and not provider.may_send("/p/.env.local")
