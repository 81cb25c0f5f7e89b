"""Commands for what analysis needs: ``wave``, ``inputs`` and ``responses simulate``.

    flask --app surveyapp wave create ID 2026Q4 --start 2026-10-01 --end 2026-12-31
    flask --app surveyapp wave list ID
    flask --app surveyapp inputs import FILE.csv [--questionnaire ID]
    flask --app surveyapp responses simulate ID --n 1000 --seed 1 [--wave 2026Q4]
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from flask.cli import AppGroup

from surveyapp import responses, studies
from surveyapp.cli import needs_database, responses_cli
from surveyapp.analysis.plan import TIMEZONE

wave_cli = AppGroup("wave", help="Waves: named fieldwork periods such as 2026Q4.")
inputs_cli = AppGroup("inputs", help="Administrative inputs (cases, population, visits per unit and period).")


@wave_cli.command("create")
@click.argument("form_id")
@click.argument("name")
@click.option("--start", required=True, help="First day, YYYY-MM-DD.")
@click.option("--end", required=True, help="Last day, YYYY-MM-DD (inclusive).")
@needs_database
def create_wave(form_id: str, name: str, start: str, end: str) -> None:
    """Declare wave NAME of questionnaire FORM_ID; responses submitted in it belong to it."""
    try:
        wave = studies.create_wave(form_id, name, start, end)
    except studies.StudyError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{form_id}: wave {wave.name} {wave.start} – {wave.end}")


@wave_cli.command("list")
@click.argument("form_id")
@needs_database
def list_waves(form_id: str) -> None:
    """List the waves of FORM_ID in date order."""
    try:
        found = studies.waves(form_id)
    except studies.StudyError as exc:
        raise click.ClickException(str(exc)) from None
    for wave in found:
        click.echo(f"{wave.name}\t{wave.start}\t{wave.end}")


@inputs_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--questionnaire", "form_id", help="Questionnaire of every row (else a 'questionnaire' column).")
@needs_database
def import_inputs(file: str, form_id: str | None) -> None:
    """Import administrative figures from a CSV (unit, period, one column per measure)."""
    try:
        text = Path(file).read_text(encoding="utf-8")
        result = studies.import_admin_inputs(text, Path(file).name, form_id)
    except (studies.StudyError, UnicodeDecodeError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{file}: {result.values} values for {result.rows} unit-periods ({', '.join(result.questionnaires)})")


@responses_cli.command("simulate")
@click.argument("form_id")
@click.option("--n", "count", type=click.IntRange(1, 10_000_000), required=True, help="How many responses.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed (same seed, same responses).")
@click.option("--wave", help="Spread submit times over this wave's dates (and apply its shift).")
@click.option("--channel-shift", multiple=True, metavar="CODE=SHIFT",
              help="Make a channel more positive (> 0) or negative (< 0), in standard deviations; repeatable.")
@click.option("--wave-shift", type=float, help="Shift of this wave's answers, in standard deviations.")
@click.option("--no-check", is_flag=True, help="Skip validating each response (faster for benchmarks).")
@needs_database
def simulate_responses(form_id: str, count: int, seed: int, wave: str | None, channel_shift: tuple[str, ...],
                       wave_shift: float | None, no_check: bool) -> None:
    """Store COUNT plausible simulated responses of FORM_ID (for demos and benchmarks).

    Communities differ and later waves change by default (see surveyapp/simulate/);
    --channel-shift and --wave-shift set the differences yourself."""
    from surveyapp import simulate

    try:
        target = responses.find_target(form_id)
    except responses.QuestionnaireNotFound:
        raise click.ClickException(f"问卷“{form_id}”不存在 (no questionnaire '{form_id}')") from None
    compiled = responses.compiled_version(target.version_id, target.checksum)
    start, end = _wave_bounds(form_id, wave)
    # Waves in date order: later waves differ from earlier ones (some communities rise, some fall).
    profile = _profile(simulate.default_profile(compiled, [w.name for w in studies.waves(form_id)]),
                       channel_shift, wave, wave_shift)
    generated = simulate.simulate(compiled, count, seed, profile, wave=wave, start=start, end=end)
    items = (responses.Prepared(r.answers, r.channel, r.started_at, r.submitted_at, r.mode) for r in generated)
    with click.progressbar(length=count, label="模拟答卷 (simulating)", file=sys.stderr, show_pos=True) as bar:
        try:
            stored = responses.store_batch(form_id, items, check=not no_check, progress=bar.update)
        except responses.SubmissionRejected as exc:
            raise click.ClickException("; ".join(f"{e.field}: {e.text('en')}" for e in exc.errors)) from None
    click.echo(f"{form_id}: stored {stored} simulated responses (seed {seed}{', wave ' + wave if wave else ''})")


def _wave_bounds(form_id: str, wave: str | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    if wave is None:
        return None, None
    spec = next((w for w in studies.waves(form_id) if w.name == wave), None)
    if spec is None:
        raise click.ClickException(f"调查期“{wave}”不存在 (no wave '{wave}'); create it with `wave create`")
    zone = ZoneInfo(TIMEZONE)
    return (dt.datetime.combine(spec.start, dt.time(8), zone).astimezone(dt.timezone.utc),
            dt.datetime.combine(spec.end, dt.time(21), zone).astimezone(dt.timezone.utc))


def _profile(profile, channel_shift: tuple[str, ...], wave: str | None, wave_shift: float | None):
    """The default profile with the shifts given on the command line."""
    shifts = dict(profile.channel_shift)
    for item in channel_shift:
        code, _, value = item.partition("=")
        try:
            shifts[code.strip()] = float(value)
        except ValueError:
            raise click.BadParameter(f"expected CODE=SHIFT, got {item!r}", param_hint="--channel-shift") from None
    waves = dict(profile.wave_shift)
    if wave_shift is not None:
        if wave is None:
            raise click.BadParameter("needs --wave", param_hint="--wave-shift")
        waves[wave] = wave_shift
    return dataclasses.replace(profile, channel_shift=shifts, wave_shift=waves)
