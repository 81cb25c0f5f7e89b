"""Command-line interface: ``flask --app surveyapp questionnaire|user|responses ...``.

``study_cli`` adds ``wave``, ``inputs`` and ``responses simulate``; ``analyze_cli``
the statistics commands over CSV files.

Each command is a thin wrapper over the same functions the web pages call.
"""

from __future__ import annotations

import functools
import importlib
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from surveyapp import auth, catalogue, export, studies
from surveyapp.database import SCHEMA_ADVICE, schema_state
from surveyapp.extensions import db
from surveyapp.models import Questionnaire, Researcher
from surveyapp.models.researcher import ROLES
from surveyapp.analysis.plan_file import load_plan_file
from surveyapp.questionnaire import QuestionnaireError, load_file
from surveyapp.questionnaire.errors import Problem
from surveyapp.questionnaire.loader import PLAN_SUFFIX, check_file, plan_files, questionnaire_files

questionnaire_cli = AppGroup("questionnaire", help="Check, import and list questionnaires.")
user_cli = AppGroup("user", help="Researcher accounts and API tokens.")
responses_cli = AppGroup("responses", help="Export or simulate responses.")


def needs_database(command):
    """Decorator: stop with a plain message when the schema is missing or behind."""
    @functools.wraps(command)
    def wrapped(*args, **kwargs):
        try:
            state = schema_state(db.engine)
        except OperationalError as exc:
            raise click.ClickException(f"无法连接数据库 (cannot connect to the database): {exc.orig}") from None
        if state != "current":
            raise click.ClickException(SCHEMA_ADVICE[state])
        return command(*args, **kwargs)
    return wrapped


@questionnaire_cli.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--lang", default="zh", type=click.Choice(["zh", "en"]), help="Language of the report.")
def check(files: tuple[str, ...], lang: str) -> None:
    """Validate questionnaire FILES without importing; exit 1 if any is bad."""
    bad = 0
    for name in files:
        try:
            click.echo(_check_one(Path(name), lang))
        except QuestionnaireError as exc:
            bad += 1
            click.echo(exc.report(lang), err=True)
    if bad:
        sys.exit(1)


def _check_one(path: Path, lang: str) -> str:
    """Check a questionnaire file, or an analysis plan against the questionnaire beside it."""
    if not path.name.lower().endswith(PLAN_SUFFIX):
        built = check_file(path)
        form = built.questionnaire
        lines = [f"OK {path}: {form.form_id}, {len(form.questions())} questions"
                 + (f", {len(form.repeats())} repeat groups" if form.repeats() else "")
                 + f", languages {', '.join(form.languages)}"]
        lines += [f"  注意 (notice): {notice.text(lang)}" for notice in built.notices]
        return "\n".join(lines)
    stem = studies.plan_form_id(path)
    beside = [p for p in questionnaire_files(path.parent) if p.stem == stem]
    if not beside:
        raise QuestionnaireError([Problem(path.name, "", "unreadable",
                                          {"detail": f"no questionnaire file {stem}.yaml/.xlsx beside it"})])
    plan = load_plan_file(path, load_file(beside[0]))
    return f"OK {path}: plan of {plan.form_id}, {len(plan.indicators)} indicators, {len(plan.waves)} waves"


@questionnaire_cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--lang", default="zh", type=click.Choice(["zh", "en"]))
@needs_database
def import_(paths: tuple[str, ...], lang: str) -> None:
    """Import questionnaire files (or every file in a directory) as versions."""
    files = [f for p in paths for f in (questionnaire_files(p) if Path(p).is_dir() else [Path(p)])]
    plans = [f for f in files if f.name.lower().endswith(PLAN_SUFFIX)]
    plans += [f for p in paths if Path(p).is_dir() for f in plan_files(p)]
    files = [f for f in files if f not in plans]
    results, failures = [], []
    with click.progressbar(files, label="导入问卷 (importing)", file=sys.stderr, show_pos=True) as bar:
        for path in bar:
            try:
                results.append(catalogue.import_file(path))
            except QuestionnaireError as exc:
                db.session.rollback()
                failures.append(exc.report(lang))
    for result in results:
        state = f"new version {result.version}" if result.created else f"unchanged (version {result.version})"
        click.echo(f"{result.source}: {result.form_id} {state}")
    for path in plans:
        try:
            done = studies.import_plan(path)
        except QuestionnaireError as exc:
            db.session.rollback()
            failures.append(exc.report(lang))
            continue
        waves = f", new waves {', '.join(done.waves_created)}" if done.waves_created else ""
        click.echo(f"{path.name}: analysis plan of {done.form_id}, {done.indicators} indicators"
                   f"{' (updated)' if done.changed else ' (unchanged)'}{waves}")
    for report in failures:
        click.echo(report, err=True)
    if failures:
        sys.exit(1)


@questionnaire_cli.command("export")
@click.argument("form_id")
@click.option("--version", "number", type=int, help="Version number (default: the current version).")
@click.option("--format", "fmt", type=click.Choice(catalogue.EXPORT_FORMATS), default="xlsx", show_default=True)
@click.option("--output", required=True, type=click.Path(dir_okay=False, writable=True), help="File to write.")
@needs_database
def export_questionnaire(form_id: str, number: int | None, fmt: str, output: str) -> None:
    """Write a questionnaire version as an XLSForm workbook or a YAML file (it imports back unchanged)."""
    try:
        data = catalogue.export_form(form_id, fmt, number)
    except catalogue.NotFound as exc:
        raise click.ClickException(str(exc)) from None
    Path(output).write_bytes(data)
    click.echo(f"{output}: {form_id} ({fmt})")


@questionnaire_cli.command("scaffold")
@click.argument("form_id")
@click.option("--plan-dir", type=click.Path(file_okay=False, path_type=Path), default=".", show_default=True,
              help="Folder for the analysis plan file.")
@click.option("--force", is_flag=True, help="Overwrite files that exist.")
@needs_database
def scaffold(form_id: str, plan_dir: Path, force: bool) -> None:
    """Write the analysis plan and report layout derived from FORM_ID as files to edit."""
    from surveyapp import reports   # loads the report builder only for this command

    try:
        done = reports.scaffold(form_id, plan_dir, force)
    except reports.ReportError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{done.plan}: 分析方案 (analysis plan), {done.indicators} indicators")
    click.echo(f"{done.layout}: 报告模板 (report layout)")
    click.echo(f"修改后导入方案 (after editing, import the plan): flask --app surveyapp questionnaire import {done.plan}")


@questionnaire_cli.command("list")
@click.option("--links", is_flag=True, help="Also print each survey link and channel link.")
@needs_database
def list_(links: bool) -> None:
    """List questionnaires with version, status and number of responses."""
    base = (current_app.config["PUBLIC_URL"] or "http://127.0.0.1:5000").rstrip("/")
    for row in catalogue.overview():
        click.echo(f"{row.form_id}\tv{row.version}\t{row.status}\t{row.responses} responses\t{row.title}")
        if links:
            click.echo(f"  {base}/s/{row.form_id}")
            for code, label in row.channels:
                click.echo(f"  {base}/s/{row.form_id}?c={code}\t{label}")


def _set_status(form_id: str, status: str) -> None:
    if not catalogue.set_status(form_id, status):
        raise click.ClickException(f"no questionnaire '{form_id}'")
    click.echo(f"{form_id} {status}")


@questionnaire_cli.command("close")
@click.argument("form_id")
@needs_database
def close(form_id: str) -> None:
    """Stop taking responses for FORM_ID."""
    _set_status(form_id, "closed")


@questionnaire_cli.command("open")
@click.argument("form_id")
@needs_database
def open_(form_id: str) -> None:
    """Take responses for FORM_ID again."""
    _set_status(form_id, "open")


@questionnaire_cli.command("schedule")
@click.argument("form_id")
@click.option("--opens", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M"]), help="Opening time (UTC).")
@click.option("--closes", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M"]), help="Closing time (UTC).")
@needs_database
def schedule(form_id: str, opens, closes) -> None:
    """Set when FORM_ID opens and closes (omit an option to clear it)."""
    if not catalogue.set_schedule(form_id, opens, closes):
        raise click.ClickException(f"no questionnaire '{form_id}'")
    click.echo(f"{form_id}: opens {opens or '-'}, closes {closes or '-'} (UTC)")


@user_cli.command("create")
@click.argument("username")
@click.option("--password", help="Password; a random one is generated and printed when omitted.")
@click.option("--role", type=click.Choice(ROLES), default="researcher", show_default=True,
              help="field_worker: takes interviews, cannot read responses.")
@needs_database
def create_user(username: str, password: str | None, role: str) -> None:
    """Create an account (a researcher, or a field worker for interviews)."""
    if db.session.scalar(select(Researcher).where(Researcher.username == username)):
        raise click.ClickException(f"account '{username}' already exists")
    _, password_used = auth.create_researcher(username, password, role)
    click.echo(f"created {role} '{username}'")
    if password is None:
        click.echo(f"password (shown once): {password_used}")


@user_cli.command("ensure-admin")
@needs_database
def ensure_admin() -> None:
    """Create an 'admin' researcher if there is none yet, printing its password once."""
    if db.session.scalar(select(func.count()).select_from(Researcher)):
        return
    _, password = auth.create_researcher("admin")
    click.echo(f"researcher account: admin / {password}  (shown once; log in at /admin/login)")


@user_cli.command("token")
@click.argument("username")
@click.option("--name", default="", help="What the token is for.")
@needs_database
def create_token(username: str, name: str) -> None:
    """Create an API token for USERNAME and print it (shown once)."""
    researcher = db.session.scalar(select(Researcher).where(Researcher.username == username))
    if researcher is None:
        raise click.ClickException(f"no researcher '{username}'")
    click.echo(auth.create_token(researcher, name))


@responses_cli.command("export")
@click.argument("form_id")
@click.option("--format", "fmt", type=click.Choice(["csv"]), default="csv", show_default=True)
@click.option("--table", default=export.MAIN, show_default=True,
              help="main (one row per response) or a roster's name (one row per entry).")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), help="File to write (default: stdout).")
@click.option("--codebook", type=click.Path(dir_okay=False, writable=True),
              help="Also write the codebook (every table) here.")
@needs_database
def export_responses(form_id: str, fmt: str, table: str, output: str | None, codebook: str | None) -> None:
    """Export the responses of FORM_ID (stdout without --output)."""
    if db.session.scalar(select(Questionnaire.id).where(Questionnaire.form_id == form_id)) is None:
        raise click.ClickException(f"no questionnaire '{form_id}'")
    try:
        lines = export.csv_lines(form_id, table)
    except export.UnknownTable as exc:
        names = ", ".join(exc.names)
        raise click.ClickException(f"没有“{exc.name}”表 (no table '{exc.name}'); 可选 (tables): {names}") from None
    if output is None:
        for line in lines:
            click.echo(line, nl=False)
    else:
        _write_with_progress(form_id, table, lines, output)
    if codebook:
        Path(codebook).write_text(export.codebook_csv(form_id), encoding="utf-8")


def _write_with_progress(form_id: str, table: str, lines, output: str) -> None:
    total = catalogue.response_count(form_id)
    with open(output, "w", encoding="utf-8", newline="") as handle, \
            click.progressbar(length=total, label="导出 (exporting)", file=sys.stderr, show_pos=True) as bar:
        for index, line in enumerate(lines):
            handle.write(line)
            if index:
                bar.update(1)
    what = "responses" if table == export.MAIN else f"responses' {table} entries"
    click.echo(f"wrote {total} {what} to {output}", err=True)


class LazyGroup(AppGroup):
    """A command group whose module is imported only when one of its commands is looked up.

    The statistics and report commands need pandas, scipy and statsmodels; importing them
    when the app is created would slow every server worker and every other command.
    """

    def __init__(self, name: str, target: str, help: str):
        super().__init__(name, help=help)
        self.target = target

    def _group(self) -> click.Group:
        module, attribute = self.target.split(":")
        return getattr(importlib.import_module(module), attribute)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._group().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._group().get_command(ctx, name)


def init_app(app: Flask) -> None:
    """Attach the command groups to ``app``."""
    from surveyapp import study_cli  # registers ``responses simulate``

    lazy = (LazyGroup("analyze", "surveyapp.analyze_cli:analyze_cli", "Survey statistics over any CSV file (JSON)."),
            LazyGroup("report", "surveyapp.report_cli:report_cli", "调研报告: build the research report of a questionnaire."))
    for group in (questionnaire_cli, user_cli, responses_cli, study_cli.wave_cli, study_cli.inputs_cli, *lazy):
        app.cli.add_command(group)
