"""Frame benchmark: stored responses into the typed analysis DataFrame, against a plain read_sql.

For each size (default 10k, 100k, 1M) and backend (SQLite in a temporary folder,
and PostgreSQL when reachable) this script

1. builds a throwaway database (migrations, the bundled questionnaire and its
   analysis plan) and stores N responses made by the seeded simulator
   (``surveyapp.simulate``; not timed),
2. in fresh processes, three times each, times and measures the peak memory of
   - SurveyApp: ``surveyapp.datasets.load_dataset("community_safety")`` (one query,
     then a typed frame: categoricals, one boolean column per choice, waves…),
   - the floor: ``pandas.read_sql("SELECT * FROM response WHERE questionnaire_id = …")``
     on the same table (answers left as JSON text or dicts, nothing typed),
3. prints seconds (median of 3), seconds per 10k responses, peak memory above the
   process's baseline, and the ratio SurveyApp / floor.

    .venv/bin/python bench/frame.py [--sizes 10000,100000,1000000] [--backend sqlite|postgresql|both]

Targets (issue 4): 100k responses in under 5 s, within 3x the floor, cost linear in n.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
QUESTIONNAIRES = ROOT / "questionnaires"
FORM_ID = "community_safety"
DEFAULT_PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
REPEATS = 3


def peak_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str, url: str) -> dict:
    """Run in a child process: time one load of the responses and its peak memory."""
    import pandas as pd
    from sqlalchemy import create_engine, text

    from surveyapp import create_app, datasets
    from surveyapp.config import database_url

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        from surveyapp.extensions import db
        db.session.execute(text("SELECT 1"))   # connect before the clock starts
        baseline = peak_mb()
        started = time.perf_counter()
        if kind == "surveyapp":
            rows = len(datasets.load_dataset(FORM_ID).frame)
        else:
            engine = create_engine(database_url(url, ""))
            with engine.connect() as connection:
                qid = connection.execute(text("SELECT id FROM questionnaire WHERE form_id = :f"),
                                         {"f": FORM_ID}).scalar_one()
                rows = len(pd.read_sql(text("SELECT * FROM response WHERE questionnaire_id = :q"),
                                       connection, params={"q": qid}))
        seconds = time.perf_counter() - started
    return {"rows": rows, "seconds": seconds, "peak_mb": peak_mb() - baseline}


def in_child(kind: str, url: str) -> dict:
    """``measure`` in a fresh interpreter, so that every run starts cold and alone."""
    out = subprocess.run([sys.executable, __file__, "--measure", kind, "--url", url],
                         check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def populate(url: str, n: int) -> float:
    """Migrate, import the bundled questionnaire and plan, store n simulated responses; seconds taken."""
    from flask_migrate import upgrade

    from surveyapp import catalogue, create_app, responses, simulate, studies
    from surveyapp.database import MIGRATIONS

    started = time.perf_counter()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        catalogue.import_file(QUESTIONNAIRES / f"{FORM_ID}.yaml")
        studies.import_plan(QUESTIONNAIRES / f"{FORM_ID}.analysis.yaml")
        target = responses.find_target(FORM_ID)
        compiled = responses.compiled_version(target.version_id, target.checksum)
        items = (responses.Prepared(r.answers, r.channel, r.started_at, r.submitted_at, r.mode)
                 for r in simulate.simulate(compiled, n, seed=20261130))
        responses.store_batch(FORM_ID, items, check=False, batch=5000)
        from surveyapp.extensions import db
        db.engine.dispose()
    return time.perf_counter() - started


@contextlib.contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="bench-frame-") as folder:
        yield f"sqlite:///{folder}/frame.db"


@contextlib.contextmanager
def postgres_url(admin_url: str) -> Iterator[str]:
    from sqlalchemy import create_engine, text

    from surveyapp.config import database_url

    name = f"bench_frame_{uuid.uuid4().hex[:8]}"
    admin = create_engine(database_url(admin_url, ""), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def postgres_reachable(admin_url: str) -> bool:
    from sqlalchemy import create_engine, text

    from surveyapp.config import database_url

    try:
        engine = create_engine(database_url(admin_url, ""))
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


def bench_size(backend: str, url: str, n: int) -> dict:
    seconds = populate(url, n)
    print(f"[{backend}] {n:>9,} responses stored in {seconds:.1f} s (simulation + insert, not measured)",
          file=sys.stderr)
    result = {"backend": backend, "n": n}
    for kind in ("surveyapp", "floor"):
        runs = [in_child(kind, url) for _ in range(REPEATS)]
        assert all(r["rows"] == n for r in runs), runs
        result[kind] = {"seconds": statistics.median(r["seconds"] for r in runs),
                        "runs": [round(r["seconds"], 3) for r in runs],
                        "peak_mb": max(r["peak_mb"] for r in runs)}
        print(f"[{backend}] {n:>9,} {kind:<9} {result[kind]['seconds']:.2f} s  runs {result[kind]['runs']}  "
              f"peak +{result[kind]['peak_mb']:.0f} MB", file=sys.stderr)
    return result


def report(results: list[dict]) -> None:
    print("\nbackend     responses   surveyapp s  per 10k s  peak MB   floor s  per 10k s  peak MB   ratio")
    for r in results:
        ours, floor = r["surveyapp"], r["floor"]
        print(f"{r['backend']:<10} {r['n']:>10,}   {ours['seconds']:>10.2f} {ours['seconds'] / r['n'] * 1e4:>10.3f}"
              f" {ours['peak_mb']:>8.0f}  {floor['seconds']:>8.2f} {floor['seconds'] / r['n'] * 1e4:>10.3f}"
              f" {floor['peak_mb']:>8.0f}   {ours['seconds'] / floor['seconds']:>5.2f}")
    print("targets: 100k responses < 5 s; ratio <= 3; seconds per 10k roughly constant across sizes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--backend", default="both", choices=["sqlite", "postgresql", "both"])
    parser.add_argument("--pg-admin-url", default=DEFAULT_PG_ADMIN_URL)
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--measure", choices=["surveyapp", "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.url)))
        return 0
    os.environ.setdefault("SURVEYAPP_SECRET_KEY", "bench")
    sizes = [int(s) for s in args.sizes.split(",")]
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not postgres_reachable(args.pg_admin_url):
        print("PostgreSQL is not reachable: skipping it", file=sys.stderr)
        backends.remove("postgresql")
    results = []
    for backend in backends:
        for n in sizes:
            context = sqlite_url() if backend == "sqlite" else postgres_url(args.pg_admin_url)
            with context as url:
                results.append(bench_size(backend, url, n))
    report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
