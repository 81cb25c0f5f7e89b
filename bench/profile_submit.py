"""Where a submission's time goes: SurveyApp's POST path beside the floor app's, in-process.

Runs N submissions through each app's WSGI stack with Flask's test client (no
HTTP server, one thread), against throwaway databases, and prints

* microseconds per request for both apps (the gap is SurveyApp's own work),
* SQL statements and pool check-outs per request (what each round trip costs
  shows on PostgreSQL),
* with --cprofile, the top functions of SurveyApp's path by cumulative time.

    .venv/bin/python bench/profile_submit.py [--backend sqlite|postgresql] [--requests 2000] [--cprofile]

It complements bench/intake.py (which measures over HTTP under gunicorn) by
isolating the application code from the server and the client.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import pstats
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import floor_app  # noqa: E402
import intake  # noqa: E402  (bench/ is on the path now)


@contextlib.contextmanager
def databases(backend: str, work: Path) -> Iterator[intake.Databases]:
    """The same throwaway databases that intake.py uses."""
    if backend == "sqlite":
        with intake.sqlite_databases(work) as dbs:
            yield dbs
        return
    version = intake.postgres_reachable(intake.DEFAULT_PG_ADMIN_URL)
    if version is None:
        sys.exit("PostgreSQL is not reachable")
    with intake.postgres_databases(intake.DEFAULT_PG_ADMIN_URL, version) as dbs:
        yield dbs


class SqlCounter:
    """Counts statements and pool check-outs on an engine (pre-ping runs on check-out)."""

    def __init__(self, engine: Any):
        from sqlalchemy import event
        self.statements: Counter[str] = Counter()
        self.checkouts = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine.pool, "checkout", self._checkout)
        # COMMIT and ROLLBACK go through the DBAPI connection, not a cursor.
        event.listen(engine, "commit", lambda _conn: self._statement(None, None, "COMMIT"))
        event.listen(engine, "rollback", lambda _conn: self._statement(None, None, "ROLLBACK"))

    def _statement(self, _conn, _cursor, statement: str, *_args) -> None:
        self.statements[" ".join(statement.split())[:90]] += 1

    def _checkout(self, *_args) -> None:
        self.checkouts += 1

    def reset(self) -> None:
        self.statements.clear()
        self.checkouts = 0


def post_all(client: Any, path: str, bodies: tuple[bytes, ...], count: int) -> float:
    """POST ``count`` bodies; seconds taken. Every reply must be 201."""
    began = time.perf_counter()
    for number in range(count):
        reply = client.post(path, data=bodies[number % len(bodies)], content_type="application/json",
                            headers={"Idempotency-Key": uuid.uuid4().hex})
        if reply.status_code != 201:
            raise RuntimeError(f"{reply.status_code}: {reply.get_data(as_text=True)[:300]}")
    return time.perf_counter() - began


def package_of(filename: str) -> str:
    """A profiler entry's file as a short package name: surveyapp/questionnaire, sqlalchemy, ..."""
    if filename.startswith(("~", "<")):
        return "builtins (C: sqlite3, psycopg, json, ...)"
    parts = Path(filename).parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1]
    if "surveyapp" in parts:
        tail = parts[parts.index("surveyapp"):]
        return "/".join(tail[:2]) if len(tail) > 2 else "surveyapp"
    if "bench" in parts:
        return "bench (" + parts[-1] + ")"
    return "stdlib"


def print_by_package(stats: dict[str, pstats.Stats], requests: int) -> None:
    """Own time (tottime) per package, in microseconds per request, side by side.

    Profiling inflates Python-heavy code, so read the figures as shares, not absolutes.
    """
    totals: dict[str, Counter[str]] = {}
    for name, stat in stats.items():
        counter: Counter[str] = Counter()
        for (filename, _line, _function), (_cc, _nc, tottime, _ct, _callers) in stat.stats.items():
            counter[package_of(filename)] += tottime
        totals[name] = counter
    packages = sorted(set().union(*totals.values()), key=lambda p: -totals["surveyapp"][p])
    print("\nown time by package under cProfile, us/request:")
    print(f"  {'package':42s} {'surveyapp':>10s} {'floor':>10s} {'extra':>10s}")
    for package in packages:
        ours, floor = (totals[n][package] / requests * 1e6 for n in ("surveyapp", "floor"))
        if max(ours, floor) >= 5:
            print(f"  {package:42s} {ours:10.0f} {floor:10.0f} {ours - floor:10.0f}")
    ours, floor = (sum(totals[n].values()) / requests * 1e6 for n in ("surveyapp", "floor"))
    print(f"  {'total':42s} {ours:10.0f} {floor:10.0f} {ours - floor:10.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--cprofile", action="store_true", help="also print SurveyApp's top functions")
    parser.add_argument("--rounds", type=int, default=3, help="alternating timed rounds per app")
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()

    settings, _ = intake.parse_args([])
    workload = intake.build_workload(settings)
    if workload.note:
        print(workload.note)
    path = f"/api/v1/questionnaires/{workload.form_id}/responses"
    work = Path(tempfile.mkdtemp(prefix="surveyapp-profile-"))
    try:
        with databases(args.backend, work) as dbs:
            env = intake.app_env(dbs)
            intake.flask_cli(env, "db", "upgrade")
            intake.flask_cli(env, "questionnaire", "import", str(workload.path))
            floor_app.create_schema(dbs.floor)

            from surveyapp import create_app
            from surveyapp.extensions import db
            ours = create_app({"DATABASE_URL": dbs.ours, "SECRET_KEY": "profile",
                              "SUBMIT_RATE_LIMIT": intake.BENCH_RATE_LIMIT})
            floor = floor_app.create_app(dbs.floor)
            with ours.app_context():
                ours_sql = SqlCounter(db.engine)
            floor_sql = SqlCounter(floor.extensions["floor_engine"])

            counters = {"surveyapp": ours_sql, "floor": floor_sql}
            clients = {"surveyapp": ours.test_client(), "floor": floor.test_client()}
            for name, client in clients.items():
                post_all(client, path, workload.bodies, 50)  # warm-up: imports, pool, compiled cache
                counters[name].reset()
            # Alternate the apps over a few rounds and keep each one's median:
            # a shared machine's background load then hits both alike.
            timings: dict[str, list[float]] = {name: [] for name in clients}
            for _ in range(args.rounds):
                for name, client in clients.items():
                    timings[name].append(post_all(client, path, workload.bodies, args.requests) / args.requests)
            results = {name: statistics.median(values) for name, values in timings.items()}
            print(f"\nin-process, one thread, {args.backend}, {args.rounds} x {args.requests} requests each (median):")
            for name, seconds in results.items():
                print(f"  {name:10s} {seconds * 1e6:8.0f} us/request  ({1 / seconds:7.0f} requests/s)")
            print(f"  difference {(results['surveyapp'] - results['floor']) * 1e6:8.0f} us/request")
            for name, counter in counters.items():
                total = args.rounds * args.requests
                print(f"\n{name} per request: {counter.checkouts / total:.2f} pool check-outs, statements:")
                for statement, count in counter.statements.most_common():
                    print(f"  {count / total:5.2f}  {statement}")

            if args.cprofile:
                stats = {}
                for name, client in clients.items():
                    profiler = cProfile.Profile()
                    profiler.enable()
                    post_all(client, path, workload.bodies, args.requests)
                    profiler.disable()
                    stats[name] = pstats.Stats(profiler)
                print_by_package(stats, args.requests)
                print(f"\nSurveyApp's top functions, cProfile over {args.requests} requests (cumulative):")
                stats["surveyapp"].sort_stats("cumulative").print_stats(args.top)
            with ours.app_context():
                db.engine.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
