"""Building 调研报告 from stored responses: the service the CLI and the web pages call.

``build`` reads the responses, the analysis plan, the questionnaire and a layout,
and returns the report document; ``render`` turns it into docx, pdf, html or md.
A report records what it was built from (questionnaire versions, filters, data
cut-off, n, software version, a checksum of the data), and the same inputs give
the same document: nothing in it depends on the time it was built.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path


from flask import current_app

from surveyapp import catalogue, datasets, studies
from surveyapp.analysis.frame import Dataset
from surveyapp.analysis.plan import TIMEZONE, Plan
from surveyapp.analysis.plan_yaml import dump_document, dump_plan
from surveyapp.questionnaire import from_definition
from surveyapp.questionnaire.loader import PLAN_SUFFIX
from surveyapp.questionnaire.schema import Questionnaire
from surveyapp.reporting.build import ReportRequest, build_report
from surveyapp.reporting.document import Report
from surveyapp.reporting.fonts import MissingGlyphError, explain
from surveyapp.reporting.generic_layout import derive_layout
from surveyapp.reporting.layout import (
    LAYOUTS, Layout, available_layouts, layout_from_document, layout_path, load_layout,
)

FORMATS = ("docx", "pdf", "html", "md")
GENERIC = "generic"
"""The layout name that asks for the generic layout derived from the questionnaire."""
MIN_RESPONSES = 10
"""Below this many responses a report says nothing a table of answers would not."""


class ReportError(ValueError):
    """The report cannot be built as asked; the message says why."""


def build(form_id: str, *, layout: str | None = None, wave: str | None = None, compare_with: str | None = None,
          channels: tuple[str, ...] = (), progress: Callable[[str], None] | None = None) -> Report:
    """The report of questionnaire ``form_id`` for ``wave`` (all responses when None).

    A questionnaire without a layout gets the generic one derived from it (and without a
    plan, the derived plan: ``studies.plan_for``)."""
    step = progress or (lambda _label: None)
    questionnaire = catalogue.find(form_id)
    if questionnaire is None or questionnaire.current_version is None:
        raise ReportError(f"问卷“{form_id}”不存在 (no questionnaire '{form_id}')")
    form = from_definition(questionnaire.current_version.definition)
    plan = studies.plan_for(form_id)
    chosen = study_layout(form, plan, layout)
    step("读取答卷 (reading responses)")
    waves = [w for w in (wave, compare_with) if w]
    try:
        dataset = datasets.load_dataset(form_id, channels=channels or None, waves=waves or None)
    except studies.StudyError as exc:
        raise ReportError(str(exc)) from None
    _enough(form_id, dataset, wave)
    step("统计分析 (analysing)")
    request = ReportRequest(dataset, plan, form, chosen, wave, compare_with, tuple(channels),
                            provenance(form_id, dataset), studies.admin_inputs(form_id))
    try:
        return build_report(request)
    except MissingGlyphError as exc:
        raise ReportError(explain(exc)) from None


def layout_folders() -> list[Path]:
    """Where layouts are looked for: the researchers' folder (REPORT_LAYOUTS, default instance/reports),
    then the bundled layouts."""
    configured = current_app.config.get("REPORT_LAYOUTS") or Path(current_app.instance_path) / "reports"
    return [Path(configured), LAYOUTS]


def study_layout(form: Questionnaire, plan: Plan, name: str | None = None) -> Layout:
    """The layout ``name``, else the first one written for the questionnaire, else the generic one."""
    folders = layout_folders()
    names = [name] if name else available_layouts(form.form_id, folders)
    if not names or names[0] == GENERIC:
        return layout_from_document(derive_layout(form, plan), f"{form.form_id} (generic)", form, plan)
    path = layout_path(names[0], folders)
    if not path.exists():
        raise ReportError(f"报告模板不存在 (no layout '{names[0]}')")
    return load_layout(path, form, plan)


def _enough(form_id: str, dataset: Dataset, wave: str | None) -> None:
    """Refuse a report on no or too few responses, saying how many there are."""
    n = len(dataset.frame) if not wave else int((dataset.frame["_wave"] == wave).fillna(False).sum())
    where = f"调查期“{wave}”" if wave else f"问卷“{form_id}”"
    if n == 0:
        raise ReportError(f"{where}还没有答卷，无法生成报告 (no responses yet)")
    if n < MIN_RESPONSES:
        raise ReportError(f"{where}只有{n}份答卷，至少需要{MIN_RESPONSES}份才能生成报告 "
                          f"(only {n} responses; a report needs {MIN_RESPONSES})")


@dataclass(frozen=True)
class Scaffolded:
    """The files ``scaffold`` wrote."""

    plan: Path
    layout: Path
    indicators: int


LAYOUT_HEADER = """\
# Report layout of {form_id}, derived from the questionnaire by `questionnaire scaffold`.
# `report build {form_id}` reads it from this folder: change titles, order, texts and rules here
# (docs/reports.md explains every block and rule); the indicators are those of {form_id}.analysis.yaml.
"""


def scaffold(form_id: str, plan_dir: Path, force: bool = False) -> Scaffolded:
    """Write the plan (stored, else derived) and the generic layout of ``form_id`` as files to edit.

    The plan goes to ``plan_dir`` (import it after editing); the layout to the researchers'
    layout folder, where ``build`` finds it. Existing files are kept unless ``force``.
    """
    questionnaire = catalogue.find(form_id)
    if questionnaire is None or questionnaire.current_version is None:
        raise ReportError(f"问卷“{form_id}”不存在 (no questionnaire '{form_id}')")
    form = from_definition(questionnaire.current_version.definition)
    plan = studies.plan_for(form_id)
    doc = {**derive_layout(form, plan), "name": form_id}
    plan_file, layout_file = Path(plan_dir) / f"{form_id}{PLAN_SUFFIX}", layout_folders()[0] / f"{form_id}.yaml"
    existing = [str(p) for p in (plan_file, layout_file) if p.exists()]
    if existing and not force:
        raise ReportError(f"文件已存在，未覆盖：{'、'.join(existing)}（需要覆盖请加 --force） "
                          f"(files exist, nothing written; use --force to overwrite)")
    for path, text in ((plan_file, dump_plan(plan)),
                       (layout_file, dump_document(doc, LAYOUT_HEADER.format(form_id=form_id)))):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return Scaffolded(plan_file, layout_file, len(plan.indicators))


def provenance(form_id: str, dataset: Dataset) -> dict:
    """What the report was built from; the date is the data cut-off, so rebuilding changes nothing."""
    frame = dataset.frame
    cutoff = frame["_submitted_at"].max() if len(frame) else None
    local = cutoff.tz_convert(TIMEZONE) if cutoff is not None else None
    return {"questionnaire": form_id, "versions": list(dataset.versions),
            "data_cutoff": cutoff.isoformat() if cutoff is not None else None,
            "date": f"{local.year}年{local.month}月{local.day}日" if local is not None else "",
            "generated_at": cutoff.isoformat() if cutoff is not None else None,
            "data_checksum": dataset.checksum, "software": f"SurveyApp {version('surveyapp')}"}


def render(report: Report, fmt: str) -> bytes | tuple[str, dict[str, bytes]]:
    """The report in ``fmt``: bytes for docx/pdf/html, (text, figure files) for md."""
    if fmt == "docx":
        from surveyapp.reporting.render_docx import render_docx
        return render_docx(report)
    if fmt == "pdf":
        from surveyapp.reporting.render_pdf import render_pdf
        return render_pdf(report)
    if fmt == "html":
        from surveyapp.reporting.render_html import render_html
        return render_html(report).encode("utf-8")
    if fmt == "md":
        from surveyapp.reporting.render_markdown import render_markdown
        return render_markdown(report)
    raise ReportError(f"unknown format '{fmt}' ({', '.join(FORMATS)})")


def write(report: Report, fmt: str, output: Path) -> list[Path]:
    """Write the report to ``output`` (Markdown also writes its figures beside it); the files written."""
    rendered = render(report, fmt)
    output.parent.mkdir(parents=True, exist_ok=True)
    if fmt != "md":
        output.write_bytes(rendered)
        return [output]
    text, files = rendered
    output.write_text(text, encoding="utf-8")
    written = [output]
    for relative, data in files.items():
        target = output.parent / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    return written


@dataclass(frozen=True)
class ReportOptions:
    """What the 生成报告 page offers for a questionnaire."""

    title: str
    waves: list[str]
    channels: list[tuple[str, str]]
    layouts: list[str]
    """Layout files written for the questionnaire, then GENERIC."""
    responses: int


def options(form_id: str) -> ReportOptions | None:
    """Waves, channels and layouts of ``form_id`` (None when it does not exist)."""
    questionnaire = catalogue.find(form_id)
    if questionnaire is None or questionnaire.current_version is None:
        return None
    form = from_definition(questionnaire.current_version.definition)
    channels = [(c.code, c.label.get("zh") or next(iter(c.label.values()), c.code)) for c in form.channels]
    return ReportOptions(questionnaire.title, [w.name for w in studies.waves(form_id)], channels,
                         [*available_layouts(form_id, layout_folders()), GENERIC], catalogue.response_count(form_id))


MIMETYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "pdf": "application/pdf", "html": "text/html; charset=utf-8", "md": "application/zip"}


def download(report: Report, fmt: str) -> tuple[bytes, str]:
    """The report as one file to download: Markdown comes zipped with its figures."""
    rendered = render(report, fmt)
    if fmt != "md":
        return rendered, MIMETYPES[fmt]
    text, files = rendered
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.md", text)
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue(), MIMETYPES[fmt]
