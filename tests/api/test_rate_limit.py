"""Submission rate limits, counted in memory by default and in Redis when configured."""

from __future__ import annotations

import uuid

import pytest

from surveyapp import create_app
from surveyapp.extensions import db
from tests.builders import TINY_VALID, import_file
from tests.conftest import DATA


@pytest.mark.parametrize("storage", ["surveyapp-memory://", "memory://", "redis://127.0.0.1:6379"])
def test_submissions_beyond_the_limit_get_429(app, storage):
    """Are submissions beyond the limit refused with a JSON 429 and a friendly message?"""
    limited = create_app({**app.config, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": storage,
                          "SUBMIT_RATE_LIMIT": "2 per minute",
                          "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}"})
    with limited.app_context():
        import_file(DATA / "tiny.yaml")
        client = limited.test_client()
        codes = [client.post("/api/v1/questionnaires/tiny/responses", json={"answers": TINY_VALID}).status_code
                 for _ in range(3)]
        assert codes == [201, 201, 429]
        reply = client.post("/api/v1/questionnaires/tiny/responses", json={"answers": TINY_VALID})
        assert reply.json["error"]["code"] == "rate_limited" and "稍后" in reply.json["error"]["message"]
        db.session.remove()
        db.engine.dispose()  # this app's own pool: close it rather than leave it to the collector


def test_sweeping_storage_forgets_expired_windows():
    """Does the in-process storage count within a window, restart after it, and sweep old keys?"""
    from surveyapp.ratelimit import SweepingMemoryStorage
    storage = SweepingMemoryStorage("surveyapp-memory://")
    assert [storage.incr("a", 60) for _ in range(3)] == [1, 2, 3]
    assert storage.incr("old", -1) == 1  # a window that has already passed
    storage.sweep()
    assert "old" not in storage.storage and storage.get("a") == 3
    assert storage.incr("old", 60) == 1
