"""The typed settings object: defaults, validation, schema."""

from __future__ import annotations

import dataclasses

import pytest

from ghostls.settings import Settings, camel, parse_settings, settings_schema, snake, to_json


def test_defaults_are_used_for_empty_input() -> None:
    settings, problems = parse_settings({})
    assert settings == Settings()
    assert problems == []
    assert settings.provider == "local" and settings.inline.enable is True


def test_valid_values_are_taken_and_nested_sections_parse() -> None:
    settings, problems = parse_settings({
        "provider": "bedrock", "maxNewTokens": 128, "temperature": 0.2,
        "inline": {"maxLines": 3, "disabledLanguages": ["markdown"]},
        "aws": {"region": "eu-west-1", "readTimeoutS": 12}})
    assert problems == []
    assert settings.provider == "bedrock" and settings.max_new_tokens == 128
    assert settings.inline.max_lines == 3 and settings.inline.disabled_languages == ("markdown",)
    assert settings.aws.region == "eu-west-1" and settings.aws.read_timeout_s == 12.0


def test_vscode_style_section_is_unwrapped() -> None:
    settings, problems = parse_settings({"ghostls": {"device": "cpu"}})
    assert settings.device == "cpu" and problems == []


@pytest.mark.parametrize("raw, needle", [
    ({"maxNewTokens": "many"}, "'maxNewTokens' must be a whole number"),
    ({"maxNewTokens": 0}, "must be at least 1"),
    ({"device": "tpu"}, "'device' must be one of"),
    ({"inline": {"enable": "yes"}}, "'inline.enable' must be true or false"),
    ({"inline": "off"}, "'inline' must be an object"),
    ({"inline": {"disabledLanguages": "markdown"}}, "must be a list of strings"),
    ({"nonsense": 1}, "unknown setting 'nonsense'"),
])
def test_invalid_values_fall_back_to_defaults_with_a_clear_problem(raw: dict, needle: str) -> None:
    settings, problems = parse_settings(raw)
    assert len(problems) == 1 and needle in problems[0]
    assert settings == Settings()


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Settings().provider = "bedrock"  # type: ignore[misc]


def test_schema_covers_every_leaf_with_type_default_and_description() -> None:
    schema = settings_schema()
    assert schema["ghostls.inline.maxLines"]["type"] == "integer"
    assert schema["ghostls.provider"]["enum"] == ["local", "bedrock", "sagemaker"]
    assert all(entry["description"] for entry in schema.values())
    # Every schema default parses back to the default settings.
    nested: dict = {}
    for key, entry in schema.items():
        node = nested
        *path, leaf = key.split(".")[1:]
        for part in path:
            node = node.setdefault(part, {})
        node[leaf] = entry["default"]
    assert parse_settings(nested) == (Settings(), [])


def test_json_round_trip_and_name_conversion() -> None:
    settings, _ = parse_settings({"inline": {"debounceMs": 10}, "aws": {"endpointUrl": "http://x"}})
    assert parse_settings(to_json(settings)) == (settings, [])
    assert camel("connect_timeout_s") == "connectTimeoutS" and snake("connectTimeoutS") == "connect_timeout_s"
