"""Report benchmark: the full 调研报告 (every format) from stored responses, for 10k and 100k.

For each size this script builds a throwaway SQLite database with the bundled
questionnaire, its analysis plan and N simulated responses split over two waves
(not timed), then, in a fresh process, times

1. building the report document (reading the responses, analysis, charts) for the later
   wave against the earlier one, and
2. rendering it to docx, pdf, html and md,

and prints seconds per step, the total, seconds per 10k responses and the peak memory
above the process's baseline.

    .venv/bin/python bench/report.py [--sizes 10000,100000] [--study bundled|generic] [--json FILE]

``--study generic`` does the same for a questionnaire with no plan and no layout
(tests/data/campus_safety.yaml): the derived plan and the generic layout.

Target (issues 5 and 9): 100k responses in under 15 s end to end, cost linear in n.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

FORMATS = ("docx", "pdf", "html", "md")
STUDIES = {   # questionnaire file, its plan (None: derived), form id
    "bundled": (ROOT / "questionnaires" / "community_safety.yaml",
                ROOT / "questionnaires" / "community_safety.analysis.yaml", "community_safety"),
    "generic": (ROOT / "tests" / "data" / "campus_safety.yaml", None, "campus_safety"),
}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def populate(url: str, n: int, study: str) -> float:
    """The study with n simulated responses, half in 2026Q3 and half in 2026Q4."""
    import datetime as dt

    from flask_migrate import upgrade

    from surveyapp import catalogue, create_app, responses, simulate, studies
    from surveyapp.database import MIGRATIONS

    started = time.perf_counter()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    utc = dt.timezone.utc
    waves = {"2026Q3": (dt.datetime(2026, 7, 1, tzinfo=utc), dt.datetime(2026, 9, 29, tzinfo=utc)),
             "2026Q4": (dt.datetime(2026, 10, 1, tzinfo=utc), dt.datetime(2026, 12, 30, tzinfo=utc))}
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        questionnaire, plan, form_id = STUDIES[study]
        catalogue.import_file(questionnaire)
        if plan is not None:
            studies.import_plan(plan)
        else:
            studies.create_wave(form_id, "2026Q3", "2026-07-01", "2026-09-30")
            studies.create_wave(form_id, "2026Q4", "2026-10-01", "2026-12-31")
        target = responses.find_target(form_id)
        compiled = responses.compiled_version(target.version_id, target.checksum)
        profile = simulate.default_profile(compiled, list(waves))
        for seed, (wave, (start, end)) in enumerate(waves.items(), 1):
            generated = simulate.simulate(compiled, n // 2, seed, profile, wave=wave, start=start, end=end)
            items = (responses.Prepared(r.answers, r.channel, r.started_at, r.submitted_at, r.mode) for r in generated)
            responses.store_batch(form_id, items, check=False, batch=5000)
        from surveyapp.extensions import db
        db.engine.dispose()
    return time.perf_counter() - started


def measure(url: str, out: Path, form_id: str) -> dict:
    """In a child process: build the report once and render every format."""
    from surveyapp import create_app, reports

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    timings = {}
    with app.app_context():
        baseline = peak_mb()
        started = time.perf_counter()
        report = reports.build(form_id, wave="2026Q4", compare_with="2026Q3")
        timings["build"] = time.perf_counter() - started
        for fmt in FORMATS:
            began = time.perf_counter()
            reports.write(report, fmt, out / f"report.{fmt}")
            timings[fmt] = time.perf_counter() - began
    timings["total"] = time.perf_counter() - started
    return {"seconds": timings, "peak_mb": peak_mb() - baseline, "n_valid": report.meta["n_valid"],
            "n_received": report.meta["n_received"], "tables": len(report.tables()), "figures": len(report.figures())}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--study", choices=sorted(STUDIES), default="bundled")
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, Path(args.out), STUDIES[args.study][2])))
        return 0
    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory(prefix="bench-report-") as folder:
            url = f"sqlite:///{folder}/report.db"
            print(f"{n:>9,} responses stored in {populate(url, n, args.study):.1f} s (not measured)", file=sys.stderr)
            child = subprocess.run([sys.executable, __file__, "--measure", url, "--out", folder, "--study", args.study],
                                   check=True, capture_output=True, text=True, cwd=ROOT)
            result = {"n": n, **json.loads(child.stdout.strip().splitlines()[-1])}
            results.append(result)
            sizes = {fmt: (Path(folder) / f"report.{fmt}").stat().st_size for fmt in FORMATS}
            result["bytes"] = sizes
    print(f"\n{args.study} study ({STUDIES[args.study][2]})")
    print("responses  build s  docx s  pdf s  html s  md s  total s  per 10k s  peak MB  valid   tables figures")
    for r in results:
        t = r["seconds"]
        print(f"{r['n']:>9,} {t['build']:>8.2f} {t['docx']:>7.2f} {t['pdf']:>6.2f} {t['html']:>7.2f} {t['md']:>5.2f}"
              f" {t['total']:>8.2f} {t['total'] / r['n'] * 1e4:>10.2f} {r['peak_mb']:>8.0f} {r['n_valid']:>7,}"
              f" {r['tables']:>7} {r['figures']:>7}")
    print("target: 100k responses in under 15 s end to end; cost linear in n")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
