"""Test data builders: questionnaires, researchers and tokens in the database."""

from __future__ import annotations

from pathlib import Path

from surveyapp import auth, catalogue
from surveyapp.models import Researcher
from surveyapp.questionnaire import load_text

TINY_VALID = {"consent": True, "age": 30, "street": "s1", "community": "c1", "harm": ["theft"], "reported": "1"}


def import_file(path: str | Path) -> catalogue.Imported:
    """Import a questionnaire file; returns what the import did."""
    return catalogue.import_file(path)


def import_yaml(text: str, source: str = "test.yaml") -> catalogue.Imported:
    """Import a questionnaire given as YAML text."""
    return catalogue.import_form(load_text(text, source), source)


def make_researcher(username: str = "alice", password: str = "correct horse") -> Researcher:
    """A researcher with a known password."""
    researcher, _ = auth.create_researcher(username, password)
    return researcher


def make_field_worker(username: str, password: str) -> Researcher:
    """An account that takes interviews and cannot read responses."""
    researcher, _ = auth.create_researcher(username, password, role="field_worker")
    return researcher


def make_token(username: str = "alice") -> str:
    """A researcher and an API token for them."""
    return auth.create_token(make_researcher(username))
