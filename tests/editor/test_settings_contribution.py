"""The VS Code extension's contributions against the server itself (one source of truth).

``editor-client/package.json`` is generated from ``ghostls schema`` by
``editor-client/scripts/sync-settings.mjs``; this test fails when a server setting changes and
the contribution was not regenerated (``cd editor-client && npm run settings:sync``).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ghostls.server import create_server
from ghostls.settings import settings_schema

CLIENT = Path(__file__).resolve().parents[2] / "editor-client"
CLIENT_ONLY = {"ghostls.python", "ghostls.trace.server"}  # CLIENT_ONLY_SETTINGS in src/common/settings.ts


def package_json() -> dict:
    return json.loads((CLIENT / "package.json").read_text())


def test_schema_subcommand_prints_the_settings_schema() -> None:
    out = subprocess.run([sys.executable, "-m", "ghostls", "schema"], capture_output=True, text=True, check=True,
                         timeout=120)
    assert json.loads(out.stdout) == settings_schema()
    assert list(json.loads(out.stdout)) == list(settings_schema())  # order kept: the Settings UI follows it


def test_package_json_mirrors_every_server_setting_one_to_one() -> None:
    properties = package_json()["contributes"]["configuration"]["properties"]
    schema = settings_schema()
    stale = "; run `cd editor-client && npm run settings:sync`"
    assert set(properties) - CLIENT_ONLY == set(schema), "settings added or removed" + stale
    for key, entry in schema.items():
        contributed = {k: v for k, v in properties[key].items() if k in entry}
        assert contributed == entry, f"{key} differs{stale}"
        assert set(properties[key]) == set(entry), f"{key} has extra fields{stale}"
    assert CLIENT_ONLY <= set(properties)


def test_client_commands_do_not_reuse_server_command_ids() -> None:
    """vscode-languageclient registers each server command as a VS Code command of the same id;
    a palette command with such an id would fail to register."""
    server_commands = set(create_server().protocol.fm.commands)
    assert "ghostls.status" in server_commands
    client_commands = {c["command"] for c in package_json()["contributes"]["commands"]}
    assert len(client_commands) == 9
    assert not client_commands & server_commands
