"""AWS failures, each mapped to one :class:`ProviderError` that says what to do.

The messages name settings, regions, model ids and profile names, never credentials: botocore
error messages carry no secrets, and we add none.
"""

from __future__ import annotations

from dataclasses import dataclass

from botocore import exceptions as bx
from urllib3 import exceptions as ux

from ghostls.providers.base import ProviderError

# Error codes worth another try (with backoff), as sent in x-amzn-ErrorType or in-stream.
RETRYABLE_CODES = frozenset({
    "ThrottlingException", "TooManyRequestsException", "ServiceUnavailableException", "ServiceUnavailable",
    "InternalServerException", "InternalFailure", "InternalStreamFailure", "ModelNotReadyException",
    "throttlingException", "serviceUnavailableException", "internalServerException",
})
THROTTLING_CODES = frozenset({"ThrottlingException", "TooManyRequestsException", "throttlingException",
                              "ServiceQuotaExceededException"})
EXPIRED_CODES = frozenset({"ExpiredTokenException", "ExpiredToken", "RequestExpired", "TokenRefreshRequired"})
BAD_CREDENTIAL_CODES = frozenset({"UnrecognizedClientException", "InvalidSignatureException",
                                  "InvalidClientTokenId", "IncompleteSignature", "SignatureDoesNotMatch"})


@dataclass(frozen=True)
class CallContext:
    """What the messages refer to."""

    service: str  # "Bedrock" | "SageMaker"
    target: str  # model id or endpoint name
    region: str
    profile: str
    read_timeout_s: float
    endpoint_url: str = ""

    @property
    def target_setting(self) -> str:
        return "ghostls.aws.modelId" if self.service == "Bedrock" else "ghostls.aws.endpointName"

    @property
    def login_hint(self) -> str:
        who = f" --profile {self.profile}" if self.profile else ""
        return (f"run 'aws sso login{who}' (SSO) or refresh the keys in your environment / "
                f"'aws configure{who}', then retry")


def error_code(exc: BaseException) -> str:
    if isinstance(exc, bx.ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


def http_status(exc: BaseException) -> int:
    if isinstance(exc, bx.ClientError):
        return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    return 0


def is_retryable(exc: BaseException) -> bool:
    """Throttling, 5xx, in-stream service failures, and a kept-alive connection that the
    service had already closed: worth a bounded, jittered retry."""
    if isinstance(exc, bx.ConnectionClosedError):
        return True
    if not isinstance(exc, bx.ClientError):
        return False
    code = error_code(exc)
    return code in RETRYABLE_CODES or code in THROTTLING_CODES or http_status(exc) >= 500


def _service_message(exc: bx.ClientError) -> str:
    message = str(exc.response.get("Error", {}).get("Message", "")).strip()
    return message.rstrip(".")


def map_error(exc: BaseException, ctx: CallContext, attempts: int = 1) -> ProviderError:
    """One clear, actionable ProviderError for ``exc``."""
    svc, target = ctx.service, ctx.target
    if isinstance(exc, (bx.NoCredentialsError, bx.PartialCredentialsError)):
        who = f"profile '{ctx.profile}'" if ctx.profile else "the default credential chain"
        return ProviderError(
            f"No AWS credentials found for {svc} ({who}: environment, shared config, SSO, instance role). "
            f"Run 'aws configure' or 'aws sso login', or set 'ghostls.aws.profile' to a configured profile.",
            kind="no-credentials")
    if isinstance(exc, bx.ProfileNotFound):
        return ProviderError(f"The AWS profile '{ctx.profile}' ('ghostls.aws.profile') is not in your AWS "
                             "config files; fix the name or run 'aws configure --profile <name>'.", kind="config")
    if isinstance(exc, bx.NoRegionError):
        return ProviderError(f"No AWS region is set for {svc}: set 'ghostls.aws.region' (e.g. 'us-east-1'), "
                             "AWS_REGION, or a region in your AWS profile.", kind="config")
    if isinstance(exc, (bx.TokenRetrievalError, bx.SSOError, bx.CredentialRetrievalError)):
        return ProviderError(f"Your AWS session for {svc} has expired or cannot be refreshed: {ctx.login_hint}.",
                             kind="expired-token")
    if isinstance(exc, bx.EventStreamError) or (isinstance(exc, bx.ClientError)
                                                and error_code(exc).endswith("StreamError")):
        return _client_error(exc, ctx, attempts, in_stream=True)
    if isinstance(exc, bx.ClientError):
        return _client_error(exc, ctx, attempts)
    if isinstance(exc, (bx.ReadTimeoutError, ux.ReadTimeoutError, TimeoutError)):
        return ProviderError(
            f"{svc} sent nothing for {ctx.read_timeout_s:g} s ({target}); the request was abandoned. Raise "
            "'ghostls.aws.readTimeoutS' for slow models.", kind="timeout", retryable=True)
    if isinstance(exc, (bx.ConnectTimeoutError, bx.EndpointConnectionError)):
        where = ctx.endpoint_url or f"the {svc} endpoint in {ctx.region}"
        return ProviderError(f"Could not connect to {where}: check the network, proxy, 'ghostls.aws.region' "
                             "and 'ghostls.aws.endpointUrl'.", kind="network", retryable=True)
    if isinstance(exc, (bx.ResponseStreamingError, bx.ConnectionClosedError, ux.ProtocolError,
                        ux.HTTPError)) or _is_stream_parse_error(exc):
        return ProviderError(f"The {svc} response stream broke off ({type(exc).__name__}); the suggestion was "
                             "dropped. This is usually a network problem; try again.", kind="stream",
                             retryable=True)
    if isinstance(exc, bx.BotoCoreError):
        return ProviderError(f"{svc} request failed: {exc}", kind="error")
    return ProviderError(f"{svc} request failed unexpectedly: {type(exc).__name__}: {exc}", kind="error")


def _is_stream_parse_error(exc: BaseException) -> bool:
    from botocore import eventstream

    return isinstance(exc, eventstream.ParserError)


def _client_error(exc: bx.ClientError, ctx: CallContext, attempts: int, in_stream: bool = False) -> ProviderError:
    code, status, detail = error_code(exc), http_status(exc), _service_message(exc)
    svc, target, region = ctx.service, ctx.target, ctx.region
    tried = f" after {attempts} attempts" if attempts > 1 else ""
    if code in EXPIRED_CODES:
        return ProviderError(f"Your AWS security token has expired: {ctx.login_hint}.", kind="expired-token")
    if code in BAD_CREDENTIAL_CODES:
        return ProviderError(f"AWS rejected your credentials ({code}): check the access key / profile "
                             f"in use ('ghostls.aws.profile'), or {ctx.login_hint}.", kind="bad-credentials")
    if code in ("AccessDeniedException", "AccessDenied"):
        if svc == "Bedrock":
            return ProviderError(
                f"Access to the Bedrock model '{target}' in {region} was denied: {detail}. Request access in the "
                f"Bedrock console ({region}) under 'Model access' (Modify model access, select the model, "
                "submit), and make sure your IAM identity may call bedrock:InvokeModel and "
                "bedrock:InvokeModelWithResponseStream.", kind="access-denied")
        return ProviderError(f"Access to the SageMaker endpoint '{target}' in {region} was denied: {detail}. "
                             "Your IAM identity needs sagemaker:InvokeEndpoint (and "
                             "sagemaker:InvokeEndpointWithResponseStream).", kind="access-denied")
    if code in ("ValidationException", "ValidationError", "validationException"):
        return ProviderError(
            f"{svc} rejected the request for '{target}': {detail}. Check '{ctx.target_setting}' (a model that "
            "needs an inference profile takes an id such as 'us.<model id>') and the generation settings.",
            kind="validation")
    if code in ("ResourceNotFoundException", "ModelNotFoundException"):
        return ProviderError(f"{svc} has no '{target}' in {region}: {detail}. Check '{ctx.target_setting}' "
                             "and 'ghostls.aws.region'.", kind="validation")
    if code in THROTTLING_CODES:
        return ProviderError(f"{svc} is throttling requests to '{target}'{tried}; this suggestion was skipped. "
                             "Type slower, or ask AWS for a higher quota (Service Quotas).", kind="throttled",
                             retryable=True)
    if code == "ModelError":
        return ProviderError(f"The model behind SageMaker endpoint '{target}' failed: {detail}. Check the "
                             "endpoint's CloudWatch logs; the payload uses 'inputs'/'parameters'.",
                             kind="model-error")
    if in_stream:
        return ProviderError(f"The {svc} response stream for '{target}' failed{tried} ({code}: {detail}); "
                             "the suggestion was dropped.", kind="stream", retryable=is_retryable(exc))
    if status >= 500 or code in RETRYABLE_CODES:
        return ProviderError(f"{svc} failed with a server error ({status or code}){tried} for '{target}'; "
                             "this suggestion was skipped. Try again later.", kind="service-error", retryable=True)
    return ProviderError(f"{svc} refused the request for '{target}' ({code or status}): {detail}.", kind="error")
