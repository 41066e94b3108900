"""Status may be asked for while another thread is still importing torch (the model loads in
the background): a half-initialised module in sys.modules must not break it."""

from __future__ import annotations

import sys
import types

import pytest

from ghostls.providers.local.provider import LocalProvider, _torch_threads


def test_status_while_torch_is_half_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    # What sys.modules holds during `import torch` in another thread: the module, no attributes yet.
    monkeypatch.setitem(sys.modules, "torch", types.ModuleType("torch"))
    assert _torch_threads() is None
    status = LocalProvider(model="unused").status()
    assert status["loaded"] is False and status["engine"]["threads"] is None
