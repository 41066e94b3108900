"""AWS providers: Amazon Bedrock (Converse) and SageMaker real-time endpoints."""

from ghostls.providers.aws.bedrock import BedrockProvider
from ghostls.providers.aws.sagemaker import SageMakerProvider

__all__ = ["BedrockProvider", "SageMakerProvider"]
