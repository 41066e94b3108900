"""Build the provider the settings ask for.  New providers register one factory here."""

from __future__ import annotations

from collections.abc import Callable

from ghostls.providers.base import Provider, ProviderError
from ghostls.settings import Settings

Progress = Callable[[str, "int | None"], None]
Factory = Callable[[Settings, Progress], Provider]


def _local(settings: Settings, progress: Progress) -> Provider:
    from ghostls.providers.local import LocalProvider

    return LocalProvider.from_settings(settings, progress)


def _bedrock(settings: Settings, progress: Progress) -> Provider:
    from ghostls.providers.aws import BedrockProvider

    return BedrockProvider(settings)


def _sagemaker(settings: Settings, progress: Progress) -> Provider:
    from ghostls.providers.aws import SageMakerProvider

    return SageMakerProvider(settings)


FACTORIES: dict[str, Factory] = {"local": _local, "bedrock": _bedrock, "sagemaker": _sagemaker}


def provider_key(settings: Settings) -> tuple:
    """Settings that require a new provider instance when they change."""
    return (settings.provider, settings.model, settings.model_profile, settings.device, settings.dtype,
            settings.context_size, settings.aws, settings.engine,
            # Remote providers apply the privacy rules themselves; the local one never sends code.
            settings.privacy if settings.provider != "local" else None)


def create_provider(settings: Settings, progress: Progress | None = None) -> Provider:
    factory = FACTORIES.get(settings.provider)
    if factory is None:
        raise ProviderError(f"'ghostls.provider' is {settings.provider!r}, which this installation does "
                            f"not support (available: {', '.join(sorted(FACTORIES))}).", kind="config")
    return factory(settings, progress or (lambda message, percent: None))
