"""The local provider (transformers + torch, in-process)."""

from ghostls.providers.local.provider import LocalProvider

__all__ = ["LocalProvider"]
