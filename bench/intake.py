"""Intake benchmark: SurveyApp's submission endpoint against the floor of its stack.

For each backend (SQLite in a temporary folder, and PostgreSQL when it is
reachable) this script

1. creates two throwaway databases: SurveyApp's (``flask db upgrade`` plus
   ``flask questionnaire import``) and the floor app's (``bench/floor_app.py``),
2. starts both apps under gunicorn with identical settings, bound to 127.0.0.1,
3. posts N responses of the bundled questionnaire to each, in alternating
   rounds, from K client threads with one http.client connection each, every
   request with its own Idempotency-Key and one of a pool of varied answer
   sets that SurveyApp's own validator accepts,
4. checks every reply was 201 with its own id and that each table holds
   exactly the rows that were posted, then prints responses/s, latency
   percentiles and CPU per request, the ratio SurveyApp/floor, and the factor
   against LimeSurvey's API,
5. stops the servers and drops the databases, also on Ctrl-C, SIGTERM and errors.

Run it with the project's virtualenv, from anywhere:

    .venv/bin/python bench/intake.py [--requests 2000] [--clients 8] [--workers 2]
        [--backend sqlite|postgresql|both] [--json bench/out/intake.json]

Traffic goes to 127.0.0.1 only, and every load run stops at N requests or at
--duration-limit seconds, whichever comes first. bench/README.md explains
the figures; bench/profile_submit.py shows where the time goes.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import datetime as dt
import functools
import http.client
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BUNDLED_QUESTIONNAIRE = ROOT / "questionnaires" / "community_safety.yaml"
BUNDLED_ANSWERS = ROOT / "tests" / "data" / "community_safety_answers.json"
# Used only while the bundled questionnaire is not in the tree (see resolve_questionnaire).
FALLBACK_QUESTIONNAIRE = ROOT / "tests" / "data" / "tiny.yaml"
FALLBACK_ANSWERS = {"consent": True, "age": 30, "street": "s1", "community": "c1",
                    "harm": ["theft"], "reported": "1"}

# LimeSurvey 6.14 takes 57-70 responses/s through its API on a 2-core machine
# like this one; we compare against the upper figure, the harder target.
LIMESURVEY_RANGE = (57.0, 70.0)
TARGET_RATIO = 0.8
# A run during which other processes kept more than this many cores busy is
# "disturbed": its figures say more about the neighbours than about the app.
DISTURBED_CORES = 0.15
BENCH_RATE_LIMIT = "100000000 per minute"
DEFAULT_PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"

# Free-text answers for text questions that a variant chooses to fill.
TEXTS = ["", "希望多些巡逻", "夜里路灯太暗", "社区民警很负责", "没有意见", "建议增加监控",
         "Patrols at night would help.", "停车太乱，电动车经常被偷"]

sys.path.insert(0, str(BENCH))  # floor_app lives beside this script


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Settings:
    """What one run does; the same settings apply to SurveyApp and to the floor."""

    requests: int
    clients: int
    workers: int
    worker_class: str
    threads: int
    duration_limit: float
    rounds: int
    warmup: int
    variants: int
    seed: int
    backends: tuple[str, ...]
    pg_admin_url: str
    questionnaire: str
    answers_file: str | None
    quiet_wait: float
    reruns: int
    app_env: tuple[tuple[str, str], ...] = ()


def parse_args(argv: list[str] | None = None) -> tuple[Settings, str | None]:
    """Command-line options; returns the settings and the --json path."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--requests", type=int, default=2000, help="measured requests per app and round")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (one connection each)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"],
                        help="gunicorn worker class (sync closes the connection after each response)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread only)")
    parser.add_argument("--duration-limit", type=float, default=120.0,
                        help="seconds; each load run stops at N requests or at this limit")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating rounds (SurveyApp, floor, SurveyApp, ...) to even out drift")
    parser.add_argument("--warmup", type=int, default=64, help="unmeasured requests per app before round 1")
    parser.add_argument("--variants", type=int, default=400, help="distinct valid answer sets to cycle through")
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--backend", default="both", choices=["sqlite", "postgresql", "both"])
    parser.add_argument("--pg-admin-url", default=DEFAULT_PG_ADMIN_URL,
                        help="PostgreSQL URL used to create and drop the throwaway databases")
    parser.add_argument("--questionnaire", default=str(BUNDLED_QUESTIONNAIRE), help="questionnaire file to post")
    parser.add_argument("--answers", default=None,
                        help="JSON file with one valid answer set (default: the bundled one)")
    parser.add_argument("--quiet-wait", type=float, default=20.0,
                        help="seconds to wait, before each run, for other processes to leave the CPUs idle")
    parser.add_argument("--reruns", type=int, default=2,
                        help=f"times a run disturbed by other processes (> {DISTURBED_CORES} cores) is run again")
    parser.add_argument("--app-env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra environment for SurveyApp, for what-if runs "
                             "(e.g. SURVEYAPP_RATELIMIT_ENABLED=false); repeatable")
    parser.add_argument("--json", dest="json_path", default=None, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if min(args.requests, args.clients, args.workers, args.threads, args.rounds) < 1:
        parser.error("--requests, --clients, --workers, --threads and --rounds must be >= 1")
    if min(args.warmup, args.reruns, args.quiet_wait) < 0:
        parser.error("--warmup, --reruns and --quiet-wait must be >= 0")
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    if any("=" not in item for item in args.app_env):
        parser.error("--app-env takes NAME=VALUE")
    app_env = tuple(tuple(item.split("=", 1)) for item in args.app_env)
    settings = Settings(args.requests, args.clients, args.workers, args.worker_class, args.threads,
                        args.duration_limit, args.rounds, args.warmup, args.variants, args.seed, backends,
                        args.pg_admin_url, args.questionnaire, args.answers, args.quiet_wait, args.reruns, app_env)
    return settings, args.json_path


# --------------------------------------------------------------------------- answers


@dataclass(frozen=True)
class Workload:
    """The questionnaire under test and the request bodies to cycle through."""

    path: Path
    form_id: str
    bodies: tuple[bytes, ...]
    note: str = ""


def resolve_questionnaire(settings: Settings) -> tuple[Path, dict[str, Any], str | None, str]:
    """The questionnaire file, one valid answer set, its channel, and a note on any fallback.

    The bundled questionnaire is the default. While it (or its answers file) is
    not yet in the tree, tests/data/tiny.yaml stands in, and the note says so.
    """
    path = Path(settings.questionnaire).resolve()
    answers_file = Path(settings.answers_file).resolve() if settings.answers_file else None
    if answers_file is None and path.resolve() == BUNDLED_QUESTIONNAIRE:
        answers_file = BUNDLED_ANSWERS
    note = ""
    if not path.exists() or (answers_file is not None and not answers_file.exists()):
        if path.resolve() != BUNDLED_QUESTIONNAIRE:
            sys.exit(f"questionnaire or answers file not found: {path}, {answers_file}")
        note = (f"NOTE: {BUNDLED_QUESTIONNAIRE.relative_to(ROOT)} or {BUNDLED_ANSWERS.relative_to(ROOT)} "
                f"is missing; using {FALLBACK_QUESTIONNAIRE.relative_to(ROOT)} instead")
        return FALLBACK_QUESTIONNAIRE, dict(FALLBACK_ANSWERS), None, note
    if answers_file is None:
        sys.exit("--answers is required for a questionnaire other than the bundled one")
    data = json.loads(answers_file.read_text(encoding="utf-8"))
    # Either the answers mapping itself or a whole request body {"answers": ..., "channel": ...}.
    if isinstance(data.get("answers"), dict):
        return path, data["answers"], data.get("channel"), note
    return path, data, None, note


def build_workload(settings: Settings) -> Workload:
    """Load the questionnaire with SurveyApp's loader and make the pool of request bodies."""
    from surveyapp.questionnaire import load_file
    from surveyapp.questionnaire.compiled import compile_questionnaire

    path, base, channel, note = resolve_questionnaire(settings)
    form = load_file(path)
    compiled = compile_questionnaire(form)
    if not _validate(compiled, base).ok:
        sys.exit(f"the base answer set is not valid for {path}: {_validate(compiled, base).errors}")
    pool = answer_pool(compiled, base, settings.variants, random.Random(settings.seed))
    channels = {c.code for c in form.channels}
    rng = random.Random(settings.seed + 1)
    bodies = []
    for answers in pool:
        body: dict[str, Any] = {"answers": answers}
        chosen = _channel(answers, channels, channel, rng)
        if chosen is not None:
            body["channel"] = chosen
        bodies.append(json.dumps(body, ensure_ascii=False).encode("utf-8"))
    return Workload(path, form.form_id, tuple(bodies), note)


def _channel(answers: dict[str, Any], channels: set[str], given: str | None, rng: random.Random) -> str | None:
    """The channel a respondent would come through, or None for a fifth of them.

    Channels are usually one per community, so a respondent who answered a
    community that is also a channel code arrives through that channel's link.
    """
    if not channels or rng.random() < 0.2:
        return None
    matching = [v for v in answers.values() if isinstance(v, str) and v in channels]
    if matching:
        return matching[0]
    return given if given in channels else rng.choice(sorted(channels))


def _validate(compiled: Any, answers: dict[str, Any]) -> Any:
    from surveyapp.questionnaire.validate import validate
    return validate(compiled, answers)


def answer_pool(compiled: Any, base: dict[str, Any], size: int, rng: random.Random) -> list[dict[str, Any]]:
    """Up to ``size`` distinct answer sets, variations of ``base`` that validate.

    Variants change choices, numbers and free text at random, then are repaired
    (answers that became irrelevant are dropped, answers that became required
    are filled) and kept only if SurveyApp's own validator accepts them, so
    every request in the benchmark is a valid, realistic submission.
    """
    pool = {json.dumps(base, sort_keys=True, ensure_ascii=False): base}
    for _ in range(size * 20):
        if len(pool) >= size:
            break
        # A random walk: each variant starts from an earlier one, so answers
        # spread over the choices instead of clustering around ``base``.
        parent = rng.choice(list(pool.values()))
        variant = _repair(compiled, _mutate(compiled, parent, rng), parent, rng)
        if variant is not None:
            pool.setdefault(json.dumps(variant, sort_keys=True, ensure_ascii=False), variant)
    return list(pool.values())


def _mutate(compiled: Any, base: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """``base`` with about half of its answerable questions given another value."""
    answers = copy.deepcopy(base)
    for question in compiled.order:
        if rng.random() < 0.5:
            continue
        value = _random_value(compiled, question, answers.get(question.name), rng)
        if value is not None:
            answers[question.name] = value
    return answers


def _random_value(compiled: Any, question: Any, current: Any, rng: random.Random) -> Any:
    """Another plausible raw value for ``question`` (None: leave it as it is)."""
    options = list(compiled.options.get(question.name, {}).values())
    kind = question.type
    if kind == "select_one" and options:
        return rng.choice(options).value
    if kind == "select_multiple" and options:
        plain = [c.value for c in options if not c.exclusive]
        exclusive = [c.value for c in options if c.exclusive]
        if exclusive and (not plain or rng.random() < 0.15):
            return [rng.choice(exclusive)]
        return rng.sample(plain, rng.randint(1, min(3, len(plain))))
    if kind == "rank" and options:
        return rng.sample([c.value for c in options], len(options))
    if kind == "integer":  # a nearby number, so that range constraints mostly still hold
        number = current if isinstance(current, int) and not isinstance(current, bool) else 3
        spread = max(3, abs(number) // 2)
        return number + rng.randint(-spread, spread)
    if kind == "decimal":
        return round((current if isinstance(current, (int, float)) else 5.0) * rng.uniform(0.5, 1.5), 2)
    if kind == "text":
        text = rng.choice(TEXTS)
        return text or None
    return None  # acknowledge, date, note, calculate: keep the base value


def _repair(compiled: Any, answers: dict[str, Any], base: dict[str, Any],
            rng: random.Random) -> dict[str, Any] | None:
    """Make a mutated answer set valid, or give up (None) after a few passes."""
    by_name = {q.name: q for q in compiled.order}
    for _ in range(8):
        result = _validate(compiled, answers)
        if result.ok:
            return answers
        for error in result.errors:
            name, question = error.field, by_name.get(error.field)
            if question is None or error.code == "not_relevant":
                answers.pop(name, None)
            elif error.code == "required":
                answers[name] = base.get(name, _random_value(compiled, question, None, rng))
            elif error.code == "invalid_choice":  # a choice filter now hides it: pick again
                answers[name] = _random_value(compiled, question, None, rng)
            elif name in base:
                answers[name] = copy.deepcopy(base[name])
            else:
                answers.pop(name, None)
    return None


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """One gunicorn master (and its workers), stopped on exit whatever happens."""

    def __init__(self, name: str, app: str, env: dict[str, str], settings: Settings, log_dir: Path):
        self.name = name
        self.port = free_port()
        self.log = log_dir / f"{name}.gunicorn.log"
        command = [sys.executable, "-m", "gunicorn", app,
                   "--bind", f"127.0.0.1:{self.port}",
                   "--workers", str(settings.workers), "--worker-class", settings.worker_class,
                   "--threads", str(settings.threads),
                   "--pythonpath", str(BENCH),
                   # Two masters run at once: the default control socket path would clash.
                   "--no-control-socket",
                   "--log-level", "warning", "--error-logfile", str(self.log),
                   "--timeout", "60", "--graceful-timeout", "5"]
        # A session of its own, so that stopping it can reach every worker too.
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)

    def wait_ready(self, path: str, timeout: float = 30.0) -> None:
        """Poll ``GET path`` until it answers 200, the server dies, or time runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name}: gunicorn exited ({self.process.returncode}); "
                                   f"see {self.log}:\n{self._log_tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                try:
                    connection.request("GET", path)
                    if connection.getresponse().status == 200:
                        return
                finally:
                    connection.close()
            time.sleep(0.1)
        raise RuntimeError(f"{self.name}: no answer on port {self.port} after {timeout:.0f}s:\n{self._log_tail()}")

    def stop(self) -> None:
        """SIGTERM to the master (a graceful stop), then SIGKILL to its session if it lingers."""
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-20:])
        return ""


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    """Stop ``server`` when the block ends, normally or not."""
    try:
        yield server
    finally:
        server.stop()


# --------------------------------------------------------------------------- databases


@dataclass(frozen=True)
class Databases:
    """The two throwaway databases of one backend: SurveyApp's and the floor's."""

    backend: str
    ours: str
    floor: str
    server_version: str


@contextlib.contextmanager
def sqlite_databases(work: Path) -> Iterator[Databases]:
    """Two SQLite files in the temporary folder (removed with it)."""
    yield Databases("sqlite", f"sqlite:///{work / 'surveyapp.db'}", f"sqlite:///{work / 'floor.db'}",
                    f"SQLite {sqlite3.sqlite_version}")


def postgres_reachable(admin_url: str) -> str | None:
    """The server version if PostgreSQL answers at ``admin_url``, else None."""
    import psycopg
    try:
        with psycopg.connect(admin_url, connect_timeout=3) as connection:
            return connection.execute("SHOW server_version").fetchone()[0]
    except psycopg.Error:
        return None


@contextlib.contextmanager
def postgres_databases(admin_url: str, server_version: str) -> Iterator[Databases]:
    """Create surveyapp_bench_<pid>_{ours,floor}; drop them when done, whatever happens."""
    import psycopg
    names = [f"surveyapp_bench_{os.getpid()}_{suffix}" for suffix in ("ours", "floor")]
    base = admin_url.rsplit("/", 1)[0]
    with psycopg.connect(admin_url, autocommit=True) as admin:
        try:
            for name in names:
                admin.execute(f'CREATE DATABASE "{name}"')
            yield Databases("postgresql", f"{base}/{names[0]}", f"{base}/{names[1]}",
                            f"PostgreSQL {server_version}")
        finally:
            for name in names:
                # WITH (FORCE) ends sessions a killed worker may have left behind.
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _database_name(url: str) -> str | None:
    """The PostgreSQL database in ``url`` (None for SQLite), to tell its sessions from others'."""
    return url.rsplit("/", 1)[1] if url.startswith("postgresql") else None


def count_rows(url: str, table: str) -> int:
    """SELECT count(*) of ``table``, on a short-lived engine."""
    from floor_app import sqlalchemy_url
    from sqlalchemy import create_engine, text
    engine = create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as connection:
            return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
    finally:
        engine.dispose()


def flask_cli(env: dict[str, str], *args: str) -> None:
    """Run ``flask --app surveyapp ARGS``; stop with its output when it fails."""
    command = [sys.executable, "-m", "flask", "--app", "surveyapp", *args]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def app_env(databases: Databases, extra: tuple[tuple[str, str], ...] = ()) -> dict[str, str]:
    """The environment for both apps: this one, plus their database URLs and a throwaway key."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SURVEYAPP_", "FLOOR_"))}
    env.update(SURVEYAPP_DATABASE_URL=databases.ours, SURVEYAPP_SECRET_KEY=uuid.uuid4().hex,
               FLOOR_DATABASE_URL=databases.floor, PYTHONUNBUFFERED="1",
               # All load comes from one address (127.0.0.1), where real respondents
               # come from many: raise the per-address submission limit out of reach
               # rather than switch the limiter off, so its per-request cost is still measured.
               SURVEYAPP_SUBMIT_RATE_LIMIT=BENCH_RATE_LIMIT)
    env.update(extra)
    return env


# --------------------------------------------------------------------------- CPU accounting


@dataclass(frozen=True)
class CpuSnapshot:
    """Busy CPU time of the whole machine and of every process, in clock ticks."""

    busy: int
    processes: dict[int, tuple[int, int, int, str]]  # pid -> (ppid, uid, utime + stime, PostgreSQL title)


@dataclass
class CpuUse:
    """Where the CPU went during one load run."""

    server_ms_per_request: float  # the gunicorn master and its workers
    database_ms_per_request: float  # PostgreSQL's processes (0 on SQLite: it runs inside the workers)
    client_ms_per_request: float  # this process: the client threads
    other_cores: float  # everything else, in cores: other people's work on a shared machine, and steal


_TICK = os.sysconf("SC_CLK_TCK")


def cpu_snapshot() -> CpuSnapshot:
    """Read /proc: total busy ticks, and each process's parent, owner and ticks."""
    with open("/proc/stat", encoding="ascii") as handle:
        ticks = [int(x) for x in handle.readline().split()[1:]] + [0] * 10
    # user, nice, system, irq, softirq, plus steal: time the hypervisor gave
    # another machine, which a benchmark in a VM loses just the same.
    # (guest time is already inside user; idle and iowait are not busy.)
    busy = ticks[0] + ticks[1] + ticks[2] + ticks[5] + ticks[6] + ticks[7]
    postgres = _postgres_uid()
    processes = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            with open(f"/proc/{entry}/stat", encoding="utf-8", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            uid = os.stat(f"/proc/{entry}").st_uid
            title = ""
            if uid == postgres:  # "postgres: 15/main: user database 127.0.0.1(port) idle"
                with open(f"/proc/{entry}/cmdline", encoding="utf-8", errors="replace") as handle:
                    title = handle.read()
            processes[int(entry)] = (int(fields[1]), uid, int(fields[11]) + int(fields[12]), title)
    return CpuSnapshot(busy, processes)


def machine_load(seconds: float = 1.0) -> float:
    """Cores busy over ``seconds`` (between runs our servers idle, so this is everyone else)."""
    before = cpu_snapshot().busy
    time.sleep(seconds)
    return (cpu_snapshot().busy - before) / _TICK / seconds


def wait_for_quiet(limit: float, threshold: float = 0.2) -> float:
    """Wait up to ``limit`` seconds for other processes to use under ``threshold`` cores.

    On a shared 2-core machine a test suite running beside the benchmark takes
    half of it; starting a run in a quiet moment keeps the figures comparable.
    Returns the last load seen (the run starts anyway when the limit is reached).
    """
    deadline = time.monotonic() + limit
    load = machine_load(0.5)
    while load >= threshold and time.monotonic() < deadline:
        load = machine_load(1.0)
    return load


@functools.cache
def _postgres_uid() -> int | None:
    import pwd
    with contextlib.suppress(KeyError):
        return pwd.getpwnam("postgres").pw_uid
    return None


def cpu_use(before: CpuSnapshot, after: CpuSnapshot, server_pid: int, database: str | None,
            requests: int, elapsed: float) -> CpuUse:
    """Split the busy time of a run between the server, the database, this client, and the rest.

    A shared machine is noisy: other people's test runs take cores from the
    benchmark. ``other_cores`` makes that visible, so a disturbed round can be
    told from a slow one. PostgreSQL's sessions on other databases (someone's
    test suite) count as other load; its shared processes (WAL writer,
    checkpointer) count as the database's.
    """
    def spent(pid: int) -> int:
        return after.processes[pid][2] - before.processes.get(pid, (0, 0, 0, ""))[2]

    def ours_in_postgres(title: str) -> bool:
        is_session = "(" in title or "[local]" in title
        return not is_session or (database is not None and f" {database} " in title)

    def in_server(pid: int) -> bool:
        seen = 0
        while pid > 1 and seen < 64:
            if pid == server_pid:
                return True
            pid, seen = after.processes.get(pid, (0, 0, 0, ""))[0], seen + 1
        return False

    postgres = _postgres_uid()
    server = sum(spent(pid) for pid in after.processes if in_server(pid))
    db = sum(spent(pid) for pid, (_, uid, _, title) in after.processes.items()
             if uid == postgres and ours_in_postgres(title))
    client = spent(os.getpid()) if os.getpid() in after.processes else 0
    other = max(0, after.busy - before.busy - server - db - client)
    per_request = 1000 / _TICK / max(requests, 1)
    return CpuUse(server * per_request, db * per_request, client * per_request,
                  other / _TICK / elapsed if elapsed else 0.0)


# --------------------------------------------------------------------------- load


@dataclass
class LoadRun:
    """The outcome of posting to one app once."""

    sent: int = 0
    created: int = 0
    errors: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, of 201 replies
    statuses: dict[str, int] = field(default_factory=dict)
    ids: set[int] = field(default_factory=set)
    stopped_by_time: bool = False
    cpu: CpuUse | None = None


class _Dispenser:
    """Hands out request numbers until N are out or the deadline passes."""

    def __init__(self, total: int, duration_limit: float):
        self.total, self.next = total, 0
        self.deadline = time.monotonic() + duration_limit  # reset by start()
        self.duration_limit = duration_limit
        self.timed_out = False
        self.lock = threading.Lock()

    def start(self) -> None:
        """Start the clock: the duration limit counts from the moment all clients are ready."""
        self.deadline = time.monotonic() + self.duration_limit

    def take(self) -> int | None:
        with self.lock:
            if self.next >= self.total:
                return None
            if time.monotonic() >= self.deadline:
                self.timed_out = True
                return None
            self.next += 1
            return self.next - 1


def post_load(port: int, form_id: str, bodies: tuple[bytes, ...], total: int, clients: int,
              duration_limit: float, offset: int) -> LoadRun:
    """POST ``total`` responses from ``clients`` threads; each thread keeps one HTTP/1.1 connection.

    ``offset`` shifts which bodies are used, so that rounds do not repeat the
    same sequence. A sync gunicorn worker answers ``Connection: close``;
    http.client then reconnects by itself on the next request.
    """
    path = f"/api/v1/questionnaires/{form_id}/responses"
    run = LoadRun()
    lock = threading.Lock()
    start_gate = threading.Barrier(clients + 1)
    dispenser = _Dispenser(total, duration_limit)

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        latencies, statuses, ids, errors = [], {}, set(), 0
        start_gate.wait()
        while (number := dispenser.take()) is not None:
            headers = {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
            body = bodies[(number + offset) % len(bodies)]
            began = time.perf_counter()
            status, reply = _post(connection, path, body, headers)
            took = time.perf_counter() - began
            statuses[str(status)] = statuses.get(str(status), 0) + 1
            if status == 201:
                latencies.append(took)
                ids.add(json.loads(reply)["id"])
            else:
                errors += 1
        connection.close()
        with lock:
            run.latencies.extend(latencies)
            run.ids |= ids
            run.errors += errors
            for key, count in statuses.items():
                run.statuses[key] = run.statuses.get(key, 0) + count

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    dispenser.start()
    start_gate.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    run.elapsed = time.perf_counter() - began
    run.sent = dispenser.next
    run.created = len(run.latencies)
    run.stopped_by_time = dispenser.timed_out
    return run


def _post(connection: http.client.HTTPConnection, path: str, body: bytes,
          headers: dict[str, str]) -> tuple[int | str, bytes]:
    """One POST; a connection dropped before any reply is retried once (the key makes that safe)."""
    for attempt in (1, 2):
        try:
            connection.request("POST", path, body, headers)
            response = connection.getresponse()
            return response.status, response.read()
        except (ConnectionError, http.client.HTTPException, TimeoutError) as exc:
            connection.close()
            if attempt == 2:
                return type(exc).__name__, b""
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- figures


@dataclass
class Figures:
    """Throughput and latency of one app on one backend, over all rounds."""

    app: str
    responses_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int
    created: int
    sent: int
    rows_in_db: int
    rows_expected: int
    distinct_ids: int
    discarded_runs: int  # runs disturbed by other processes, run again
    rounds_per_s: list[float]
    statuses: dict[str, int]
    stopped_by_time: bool
    server_cpu_ms: float  # per request, mean over rounds
    database_cpu_ms: float
    client_cpu_ms: float
    other_cores_max: float  # the most CPU that other processes took in any round

    @property
    def verified(self) -> bool:
        """Every request got a 201 with its own id, and the table holds exactly those rows."""
        return (self.errors == 0 and self.created == self.sent == self.distinct_ids
                and self.rows_in_db == self.rows_expected)


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values (0.0 when there are none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), math.ceil(fraction * len(sorted_values))))
    return sorted_values[rank - 1]


def summarise(app: str, runs: list[LoadRun], discarded: list[LoadRun], rows_in_db: int, warmup: int) -> Figures:
    """Pool the kept rounds: total responses over total time, percentiles over all latencies.

    The checks (every reply 201, distinct ids, rows in the table) cover the
    discarded runs too: their rows are in the table all the same.
    """
    latencies = sorted(x for run in runs for x in run.latencies)
    elapsed = sum(run.elapsed for run in runs)
    every = runs + discarded
    created = sum(run.created for run in every)
    statuses: dict[str, int] = {}
    for run in every:
        for key, count in run.statuses.items():
            statuses[key] = statuses.get(key, 0) + count
    ms = [1000 * percentile(latencies, f) for f in (0.50, 0.95, 0.99)]
    cpu = [run.cpu for run in runs if run.cpu is not None]

    def mean(values: list[float]) -> float:
        return sum(values) / len(values) if values else 0.0

    kept_created = sum(run.created for run in runs)
    return Figures(app, kept_created / elapsed if elapsed else 0.0, *ms, sum(run.errors for run in every), created,
                   sum(run.sent for run in every), rows_in_db, warmup + created,
                   len(set().union(*(r.ids for r in every))), len(discarded),
                   [round(run.created / run.elapsed, 1) if run.elapsed else 0.0 for run in runs],
                   statuses, any(run.stopped_by_time for run in runs),
                   mean([c.server_ms_per_request for c in cpu]), mean([c.database_ms_per_request for c in cpu]),
                   mean([c.client_ms_per_request for c in cpu]), max((c.other_cores for c in cpu), default=0.0))


def round_ratios(ours: Figures, floor: Figures) -> list[float]:
    """SurveyApp/floor per round: each pair ran back to back, so shared-machine noise mostly cancels."""
    return [a / b if b else 0.0 for a, b in zip(ours.rounds_per_s, floor.rounds_per_s)]


# --------------------------------------------------------------------------- one backend


def bench_backend(databases: Databases, workload: Workload, settings: Settings, work: Path) -> dict[str, Any]:
    """Set up both apps on ``databases``, load them in alternating rounds, verify, and summarise."""
    import floor_app

    env = app_env(databases, settings.app_env)
    print(f"[{databases.backend}] creating schemas ({databases.server_version})", flush=True)
    flask_cli(env, "db", "upgrade")
    flask_cli(env, "questionnaire", "import", str(workload.path))
    floor_app.create_schema(databases.floor)

    ours = Server(f"{databases.backend}-surveyapp", "wsgi:app", env, settings, work)
    with running(ours):
        floor = Server(f"{databases.backend}-floor", "floor_app:app", env, settings, work)
        with running(floor):
            ours.wait_ready("/api/v1/questionnaires")
            floor.wait_ready("/health")
            targets = {"surveyapp": ours, "floor": floor}
            database_names = {"surveyapp": _database_name(databases.ours), "floor": _database_name(databases.floor)}
            # Warm-up: each worker imports lazily, opens its pool and (SurveyApp)
            # compiles the questionnaire on its first submission.
            for server in targets.values():
                if settings.warmup:
                    warm = post_load(server.port, workload.form_id, workload.bodies, settings.warmup,
                                     settings.clients, settings.duration_limit, offset=0)
                    if warm.errors:
                        raise RuntimeError(f"{server.name}: warm-up failed: {warm.statuses}\n{server._log_tail()}")
            kept: dict[str, list[LoadRun]] = {name: [] for name in targets}
            discarded: dict[str, list[LoadRun]] = {name: [] for name in targets}
            for round_number in range(settings.rounds):
                for name, server in targets.items():
                    label = f"[{databases.backend}] round {round_number + 1}/{settings.rounds} {name:9s}"
                    # A run that other processes disturbed is run again (a few times at most);
                    # its rows stay in the table and in the checks, its figures are set aside.
                    for attempt in range(settings.reruns + 1):
                        run = measured_run(server, database_names[name], workload, settings,
                                           offset=(round_number + attempt) * settings.requests)
                        print(f"{label} {describe(run)}", flush=True)
                        if run.cpu.other_cores <= DISTURBED_CORES or attempt == settings.reruns:
                            break
                        discarded[name].append(run)
                        print(f"{label} disturbed by other processes: run again", flush=True)
                    kept[name].append(run)
    # Servers are stopped: every committed row is visible to a fresh connection.
    figures = {
        "surveyapp": summarise("surveyapp", kept["surveyapp"], discarded["surveyapp"],
                               count_rows(databases.ours, "response"), settings.warmup),
        "floor": summarise("floor", kept["floor"], discarded["floor"],
                           count_rows(databases.floor, floor_app.TABLE), settings.warmup),
    }
    return {"backend": databases.backend, "server": databases.server_version, **figures}


def measured_run(server: Server, database: str | None, workload: Workload, settings: Settings,
                 offset: int) -> LoadRun:
    """One load run against ``server`` in a quiet moment, with the CPU it took."""
    wait_for_quiet(settings.quiet_wait)
    before = cpu_snapshot()
    run = post_load(server.port, workload.form_id, workload.bodies, settings.requests,
                    settings.clients, settings.duration_limit, offset=offset)
    run.cpu = cpu_use(before, cpu_snapshot(), server.process.pid, database, run.sent, run.elapsed)
    return run


def describe(run: LoadRun) -> str:
    """One progress line: throughput, errors and where the CPU went."""
    assert run.cpu is not None
    return (f"{run.created / run.elapsed:7.1f} responses/s  errors {run.errors}  "
            f"CPU ms/request: server {run.cpu.server_ms_per_request:.2f}, "
            f"db {run.cpu.database_ms_per_request:.2f}, client {run.cpu.client_ms_per_request:.2f}; "
            f"other load {run.cpu.other_cores:.2f} cores")


# --------------------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    versions = {}
    for name in ("flask", "sqlalchemy", "gunicorn", "psycopg", "werkzeug"):
        with contextlib.suppress(Exception):
            versions[name] = package_version(name)
    return {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "sqlite": sqlite3.sqlite_version, **versions}


def print_report(results: list[dict[str, Any]], settings: Settings, workload: Workload, info: dict) -> None:
    """The tables: per backend, SurveyApp and floor, the ratio and the LimeSurvey factor."""
    print()
    print(f"Machine: nproc={info['nproc']}, Python {info['python']}, {info['platform']}")
    print("         " + ", ".join(f"{k} {v}" for k, v in info.items() if k not in ("nproc", "python", "platform")))
    print(f"Settings: {settings.requests} requests x {settings.rounds} rounds per app, {settings.clients} clients "
          f"(http.client, one connection each), gunicorn {settings.workers} x {settings.worker_class}"
          f"{f' x {settings.threads} threads' if settings.worker_class == 'gthread' else ''}, "
          f"warm-up {settings.warmup}, limit {settings.duration_limit:.0f}s per run")
    print(f"Workload: {workload.path.relative_to(ROOT)} (form_id {workload.form_id}), "
          f"{len(workload.bodies)} distinct valid bodies")
    if workload.note:
        print(workload.note)
    if settings.app_env:
        print("What-if environment for SurveyApp: " + ", ".join(f"{k}={v}" for k, v in settings.app_env))
    for result in results:
        ours, floor = result["surveyapp"], result["floor"]
        print()
        print(f"== {result['backend']} ({result['server']}) ==")
        print(f"{'app':10s} {'resp/s':>8s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s} {'errors':>7s} "
              f"{'checks':>7s} {'CPU ms/req srv/db/cli':>22s}  resp/s per round")
        for figures in (ours, floor):
            rows_ok = "ok" if figures.verified else "FAILED"
            cpu = f"{figures.server_cpu_ms:.2f}/{figures.database_cpu_ms:.2f}/{figures.client_cpu_ms:.2f}"
            print(f"{figures.app:10s} {figures.responses_per_s:8.1f} {figures.p50_ms:8.1f} {figures.p95_ms:8.1f} "
                  f"{figures.p99_ms:8.1f} {figures.errors:7d} {rows_ok:>7s} {cpu:>22s}  {figures.rounds_per_s}")
            if figures.errors:
                print(f"           statuses: {figures.statuses}")
            if figures.stopped_by_time:
                print("           (stopped by --duration-limit before N requests)")
        for figures in (ours, floor):
            print(f"checks {figures.app}: {figures.created}/{figures.sent} replies 201 with "
                  f"{figures.distinct_ids} distinct ids; {figures.rows_in_db} rows in the table, expected "
                  f"{figures.rows_expected} (incl. {settings.warmup} warm-up"
                  f"{f' and {figures.discarded_runs} discarded run(s)' if figures.discarded_runs else ''})")
        ratio = ours.responses_per_s / floor.responses_per_s if floor.responses_per_s else 0.0
        verdict = "meets" if ratio >= TARGET_RATIO else "BELOW"
        ratios = round_ratios(ours, floor)
        per_round = ", ".join(f"{r:.2f}" for r in ratios)
        low, high = LIMESURVEY_RANGE
        print(f"ratio surveyapp/floor: {ratio:.2f} ({verdict} the {TARGET_RATIO} target); "
              f"per round {per_round}, median {statistics.median(ratios):.2f}")
        print(f"vs LimeSurvey 6.14 API ({low:.0f}-{high:.0f} responses/s): "
              f"{ours.responses_per_s / high:.1f}x its {high:.0f}/s "
              f"({ours.responses_per_s / low:.1f}x its {low:.0f}/s)")
        noise = max(ours.other_cores_max, floor.other_cores_max)
        reruns = ours.discarded_runs + floor.discarded_runs
        if reruns:
            print(f"{reruns} disturbed run(s) were run again; their figures are left out, their rows checked")
        if noise > DISTURBED_CORES:
            print(f"WARNING: other processes used up to {noise:.2f} of {os.cpu_count()} cores during a round; "
                  f"the figures are disturbed (the per-round ratios less so)")


def write_json(path: str, results: list[dict[str, Any]], settings: Settings, workload: Workload,
               info: dict) -> None:
    """The same figures as a JSON document."""
    def figures(f: Figures) -> dict:
        return {**asdict(f), "verified": f.verified}

    document = {
        "measured_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "machine": info,
        # The admin URL is left out: it may carry a password.
        "settings": {**asdict(settings), "backends": list(settings.backends), "pg_admin_url": None},
        "workload": {"questionnaire": str(workload.path.relative_to(ROOT)), "form_id": workload.form_id,
                     "distinct_bodies": len(workload.bodies), "note": workload.note},
        "limesurvey_responses_per_s": list(LIMESURVEY_RANGE),
        "results": [{
            "backend": r["backend"], "server": r["server"],
            "surveyapp": figures(r["surveyapp"]), "floor": figures(r["floor"]),
            "ratio": r["surveyapp"].responses_per_s / r["floor"].responses_per_s if r["floor"].responses_per_s else 0,
            "ratio_per_round": round_ratios(r["surveyapp"], r["floor"]),
            "ratio_median_of_rounds": statistics.median(round_ratios(r["surveyapp"], r["floor"])),
            "factor_vs_limesurvey_70": r["surveyapp"].responses_per_s / LIMESURVEY_RANGE[1],
        } for r in results],
    }
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --------------------------------------------------------------------------- main


def _terminate_as_interrupt(signum: int, _frame: Any) -> None:
    """SIGTERM behaves like Ctrl-C, so the same finally blocks clean up."""
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 when a check fails (an error reply or a row count mismatch)."""
    settings, json_path = parse_args(argv)
    try:
        import surveyapp  # noqa: F401  (the answer generator uses its validator)
    except ImportError:
        sys.exit("surveyapp is not importable: run this with the project's virtualenv (.venv/bin/python)")
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    # Ctrl-C must reach the cleanup even when started from a shell that ignores SIGINT.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    workload = build_workload(settings)
    if workload.note:
        print(workload.note, flush=True)
    info = machine()
    results = []
    work = Path(tempfile.mkdtemp(prefix="surveyapp-bench-"))
    try:
        for backend in settings.backends:
            if backend == "sqlite":
                context = sqlite_databases(work)
            else:
                server_version = postgres_reachable(settings.pg_admin_url)
                if server_version is None:
                    print(f"[postgresql] not reachable at {settings.pg_admin_url}: skipped", flush=True)
                    continue
                context = postgres_databases(settings.pg_admin_url, server_version)
            with context as databases:
                results.append(bench_backend(databases, workload, settings, work))
    except KeyboardInterrupt:
        print("\ninterrupted: servers stopped, databases dropped", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_report(results, settings, workload, info)
    if json_path:
        write_json(json_path, results, settings, workload, info)
        print(f"\nwrote {json_path}")
    ok = all(r[name].verified for r in results for name in ("surveyapp", "floor"))
    return 0 if ok and results else 1


if __name__ == "__main__":
    sys.exit(main())
