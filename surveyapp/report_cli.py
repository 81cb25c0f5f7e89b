"""``flask --app surveyapp report build ID --format docx|pdf|html|md --output FILE``."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from surveyapp import reports
from surveyapp.cli import needs_database
from surveyapp.questionnaire import QuestionnaireError

report_cli = AppGroup("report", help="调研报告: build the research report of a questionnaire.")


@report_cli.command("build")
@click.argument("form_id")
@click.option("--format", "fmt", type=click.Choice(reports.FORMATS), default="docx", show_default=True)
@click.option("--output", type=click.Path(dir_okay=False, writable=True, path_type=Path), required=True,
              help="File to write (Markdown also writes its figures into figures/ beside it).")
@click.option("--wave", help="Report on this wave (default: every response).")
@click.option("--compare-with", help="Compare with this earlier wave (changes in 个百分点, significance-aware).")
@click.option("--channel", "channels", multiple=True, help="Only these channels (communities); repeatable.")
@click.option("--layout", help="Layout name (default: the first one written for the questionnaire, else the "
                                "generic layout derived from it; `generic` asks for that one).")
@needs_database
def build(form_id: str, fmt: str, output: Path, wave: str | None, compare_with: str | None,
          channels: tuple[str, ...], layout: str | None) -> None:
    """Build the 调研报告 of FORM_ID from its stored responses."""
    steps = ["读取答卷 (reading responses)", "统计分析 (analysing)", f"生成{fmt} (rendering)"]
    with click.progressbar(length=len(steps), label="生成报告 (building the report)", file=sys.stderr) as bar:
        try:
            report = reports.build(form_id, layout=layout, wave=wave, compare_with=compare_with,
                                   channels=channels, progress=lambda _label: bar.update(1))
        except (reports.ReportError, QuestionnaireError) as exc:
            raise click.ClickException(str(exc)) from None
        written = reports.write(report, fmt, output)
        bar.update(1)
    meta = report.meta
    click.echo(f"{output}: {fmt}, {meta['n_valid']} valid of {meta['n_received']} responses, "
               f"{len(report.tables())} tables, {len(report.figures())} figures"
               + (f" (+{len(written) - 1} figure files)" if len(written) > 1 else ""))
