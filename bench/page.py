"""Benchmark of the resident's survey page.

Prints, for the bundled questionnaire:
1. what a phone downloads for the first page (bytes transferred, requests), measured in
   headless Chromium at 390x844 with JavaScript on, gzip as served by the app;
2. server time per page render (p50/p95) and SQL queries per render, in-process;
3. complete respondents per second with 2, 4 and 8 concurrent clients against gunicorn on
   loopback: each respondent GETs the page, then POSTs the answers like the page's script does.

Usage: python bench/page.py [--respondents N] [--workers W] [--json FILE]
Loopback only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORM = "community_safety"
ANSWERS = json.loads((ROOT / "tests" / "data" / "community_safety_answers.json").read_text(encoding="utf-8"))
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def make_app(db_path: Path):
    """The app on a fresh SQLite file with the bundled questionnaire imported."""
    sys.path.insert(0, str(ROOT))
    from flask_migrate import upgrade

    from surveyapp import catalogue, create_app
    from surveyapp.database import MIGRATIONS
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}", "SECRET_KEY": "bench",
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        catalogue.import_file(ROOT / "questionnaires" / f"{FORM}.yaml")
    return app


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# --- 1. first page weight -------------------------------------------------------

def first_page_weight(app) -> dict:
    """Bytes transferred and requests for the first page, as Chromium sees them."""
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sizes: list[int] = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                          has_touch=True, locale="zh-CN")
            page = context.new_page()
            page.on("requestfinished", lambda request: sizes.append(_transferred(request)))
            page.goto(f"http://127.0.0.1:{server.server_port}/s/{FORM}?c=c101", wait_until="networkidle")
            browser.close()
    finally:
        server.shutdown()
    return {"requests": len(sizes), "bytes": sum(sizes)}


def _transferred(request) -> int:
    sizes = request.sizes()
    return sizes["responseBodySize"] + sizes["responseHeadersSize"]


# --- 2. server time and queries per page --------------------------------------

def server_time(app, renders: int = 300) -> dict:
    """In-process time per first-page render and per posted page, and SQL statements per render."""
    from sqlalchemy import event

    from surveyapp.extensions import db
    client = app.test_client()
    client.get(f"/s/{FORM}")  # warm the per-version caches
    statements: list[str] = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    app.extensions["surveyapp.targets"] = {}  # count the query a render makes when its cache has expired
    event.listen(engine, "before_cursor_execute", listener)
    client.get(f"/s/{FORM}")
    event.remove(engine, "before_cursor_execute", listener)
    timings = []
    for _ in range(renders):
        start = time.perf_counter()
        client.get(f"/s/{FORM}?c=c101")
        timings.append((time.perf_counter() - start) * 1000)
    return {"queries_per_render": len(statements), "p50_ms": percentile(timings, 0.5),
            "p95_ms": percentile(timings, 0.95), "renders": renders}


# --- 3. respondents per second under gunicorn ----------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(db_path: Path, workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "SURVEYAPP_DATABASE_URL": f"sqlite:///{db_path}", "SURVEYAPP_SECRET_KEY": "bench",
           "SURVEYAPP_RATELIMIT_ENABLED": "false"}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app", "-b", f"127.0.0.1:{port}",
                             "-w", str(workers), "--log-level", "warning"], cwd=ROOT, env=env)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("gunicorn did not start")


def respondent(port: int, count: int, latencies: list[float], failures: list[int]) -> None:
    """One phone after another on a keep-alive connection: GET the page, POST the answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    body = json.dumps({"answers": ANSWERS, "channel": "c101"}).encode()
    for _ in range(count):
        start = time.perf_counter()
        conn.request("GET", f"/s/{FORM}?c=c101", headers={"Accept-Encoding": "gzip"})
        page = conn.getresponse()
        page.read()
        conn.request("POST", f"/api/v1/questionnaires/{FORM}/responses", body=body,
                     headers={"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex})
        reply = conn.getresponse()
        reply.read()
        latencies.append((time.perf_counter() - start) * 1000)
        if page.status != 200 or reply.status != 201:
            failures.append(reply.status)
    conn.close()


def throughput(db_path: Path, workers: int, clients: int, respondents: int) -> dict:
    proc, port = start_gunicorn(db_path, workers)
    latencies: list[float] = []
    failures: list[int] = []
    try:
        respondent(port, 20, [], [])  # warm up every worker's caches
        per_client = max(1, respondents // clients)
        start = time.perf_counter()
        with ThreadPoolExecutor(max_workers=clients) as pool:
            for _ in range(clients):
                pool.submit(respondent, port, per_client, latencies, failures)
        elapsed = time.perf_counter() - start
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return {"clients": clients, "respondents": len(latencies), "per_second": len(latencies) / elapsed,
            "p50_ms": percentile(latencies, 0.5), "p95_ms": percentile(latencies, 0.95), "failures": len(failures)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--respondents", type=int, default=1200, help="respondents per concurrency level")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        app = make_app(db_path)
        figures = {"machine": {"cores": os.cpu_count(), "python": platform.python_version()},
                   "first_page": first_page_weight(app), "server": server_time(app),
                   "load": [throughput(db_path, args.workers, k, args.respondents) for k in (2, 4, 8)]}
    report(figures, args.workers)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")


def report(figures: dict, workers: int) -> None:
    first, server = figures["first_page"], figures["server"]
    print(f"machine: {figures['machine']['cores']} cores, Python {figures['machine']['python']}")
    print(f"first page: {first['bytes'] / 1024:.1f} KB transferred in {first['requests']} requests "
          f"(budget 60 KB)")
    print(f"server time per page: p50 {server['p50_ms']:.2f} ms, p95 {server['p95_ms']:.2f} ms "
          f"(target p50 <= 10 ms); SQL queries per render: {server['queries_per_render']} (target <= 3)")
    print(f"complete respondents/s under gunicorn ({workers} sync workers, SQLite, GET page + POST answers):")
    print("  clients  respondents  per second  p50 ms  p95 ms  failures")
    for row in figures["load"]:
        print(f"  {row['clients']:>7}  {row['respondents']:>11}  {row['per_second']:>10.1f}  {row['p50_ms']:>6.1f}"
              f"  {row['p95_ms']:>6.1f}  {row['failures']:>8}")
    print("  (target >= 250/s; LimeSurvey 6.14 here: 2.5/s)")


if __name__ == "__main__":
    main()
