"""Many clients at once against a real threaded HTTP server."""

from __future__ import annotations

import json
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from surveyapp.extensions import db
from surveyapp.models import Response
from tests.builders import TINY_VALID


@pytest.fixture
def server(app, tiny):
    """The app served on a free loopback port by a threaded server."""
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    thread.join()


def submit(base: str, key: str, age: int) -> tuple[int, int]:
    body = json.dumps({"answers": {**TINY_VALID, "age": age}}).encode()
    request = urllib.request.Request(f"{base}/api/v1/questionnaires/tiny/responses", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "Idempotency-Key": key})
    with urllib.request.urlopen(request, timeout=60) as resp:
        return resp.status, json.loads(resp.read())["id"]


def stored() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Response))


def test_parallel_submissions_and_replays(server):
    """Do 200 submissions from 8 threads store exactly 200, and 50 replays add none?"""
    jobs = [(f"key-{i}", 16 + i % 80) for i in range(200)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        first = list(pool.map(lambda job: submit(server, *job), jobs))
    assert [status for status, _ in first] == [201] * 200
    assert len({rid for _, rid in first}) == 200
    assert stored() == 200
    with ThreadPoolExecutor(max_workers=8) as pool:
        again = list(pool.map(lambda job: submit(server, *job), jobs[:50]))
    assert [rid for _, rid in again] == [rid for _, rid in first[:50]]
    assert {status for status, _ in again} == {200}
    assert stored() == 200


def test_racing_duplicates_store_once(server):
    """Do 8 simultaneous posts with one key store one response and all get its id?"""
    barrier = threading.Barrier(8)

    def racer(_):
        barrier.wait()
        return submit(server, "same-key", 33)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(racer, range(8)))
    assert len({rid for _, rid in results}) == 1
    assert stored() == 1
