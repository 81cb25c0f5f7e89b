"""Expressions are parsed once per questionnaire version, not per request."""

from __future__ import annotations

from surveyapp import responses
from surveyapp.questionnaire import compiled as compiled_module
from tests.builders import TINY_VALID


def test_parse_once_per_version(client, tiny, monkeypatch):
    """Do ten submissions parse the questionnaire's expressions only once?"""
    calls = []
    real = compiled_module.parse
    monkeypatch.setattr(compiled_module, "parse", lambda text: calls.append(text) or real(text))
    monkeypatch.setattr(responses, "_compiled", {})
    for _ in range(10):
        assert client.post("/api/v1/questionnaires/tiny/responses", json={"answers": TINY_VALID}).status_code == 201
    assert 0 < len(calls) == len(set(calls))
