"""What a study holds beside its responses: the analysis plan, waves and administrative inputs.

Service functions over the session, used by the CLI and (later) the web pages.
Every import checks everything first and stores all of it or nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from surveyapp import catalogue
from surveyapp.analysis.derived_plan import derive_plan
from surveyapp.analysis.plan import Plan, WaveSpec, plan_from_definition
from surveyapp.analysis.plan_file import load_plan_file, parse_day
from surveyapp.extensions import db
from surveyapp.models import AdminInput, Questionnaire, Wave
from surveyapp.questionnaire import from_definition
from surveyapp.questionnaire.errors import Problem, QuestionnaireError
from surveyapp.questionnaire.loader import PLAN_SUFFIX

if TYPE_CHECKING:
    import pandas as pd

ADMIN_KEY_COLUMNS = ("questionnaire", "unit", "period")


class StudyError(ValueError):
    """A wave or input that cannot be stored; the message says why, in Chinese and English."""


def _questionnaire(form_id: str) -> Questionnaire:
    questionnaire = catalogue.find(form_id)
    if questionnaire is None or questionnaire.current_version is None:
        raise StudyError(f"问卷“{form_id}”不存在 (no questionnaire '{form_id}')")
    return questionnaire


# --- analysis plans ----------------------------------------------------------

@dataclass(frozen=True)
class PlanImported:
    """What importing a plan did."""

    form_id: str
    indicators: int
    waves_created: list[str]
    changed: bool


def plan_form_id(path: str | Path) -> str:
    """The questionnaire a plan file names by its file name (x.analysis.yaml -> x)."""
    return Path(path).name[: -len(PLAN_SUFFIX)]


def import_plan(path: str | Path) -> PlanImported:
    """Check the plan in ``path`` against its questionnaire's current version and store it.

    :raises QuestionnaireError: when the plan has problems (nothing is stored).
    """
    path = Path(path)
    questionnaire = catalogue.find(plan_form_id(path))
    if questionnaire is None or questionnaire.current_version is None:
        raise QuestionnaireError([Problem(path.name, "", "plan_form_mismatch",
                                          {"plan": plan_form_id(path), "form": "-"})])
    plan = load_plan_file(path, from_definition(questionnaire.current_version.definition))
    definition = json.loads(json.dumps(plan.to_definition()))   # as the database hands it back
    changed = questionnaire.analysis != definition
    questionnaire.analysis = definition
    created = [w.name for w in plan.waves if _upsert_wave(questionnaire, w)]
    db.session.commit()
    return PlanImported(plan.form_id, len(plan.indicators), created, changed)


def plan_for(form_id: str) -> Plan:
    """The stored plan of a questionnaire; without one, the plan its questionnaire implies."""
    questionnaire = _questionnaire(form_id)
    if questionnaire.analysis:
        return plan_from_definition(questionnaire.analysis, form_id)
    return derive_plan(from_definition(questionnaire.current_version.definition))


# --- waves -------------------------------------------------------------------

def _upsert_wave(questionnaire: Questionnaire, spec: WaveSpec) -> bool:
    """Create the declared wave or correct its dates; True when it is new."""
    wave = db.session.scalar(select(Wave).where(Wave.questionnaire_id == questionnaire.id, Wave.name == spec.name))
    if wave is None:
        db.session.add(Wave(questionnaire_id=questionnaire.id, name=spec.name, starts_on=spec.start,
                            ends_on=spec.end))
        return True
    wave.starts_on, wave.ends_on = spec.start, spec.end
    return False


def waves(form_id: str) -> list[WaveSpec]:
    """A questionnaire's waves in date order."""
    rows = db.session.scalars(select(Wave).where(Wave.questionnaire_id == _questionnaire(form_id).id)
                              .order_by(Wave.starts_on))
    return [WaveSpec(w.name, w.starts_on, w.ends_on) for w in rows]


def create_wave(form_id: str, name: str, start: dt.date | str, end: dt.date | str) -> WaveSpec:
    """Add a wave; its name must be new and its dates must not overlap another wave's."""
    questionnaire = _questionnaire(form_id)
    first, last = parse_day(start), parse_day(end)
    if not name or len(name) > 50:
        raise StudyError("调查期名称应为1到50个字符 (a wave name has 1 to 50 characters)")
    if first is None or last is None or last < first:
        raise StudyError("起止日期无效：应为 年-月-日，且结束不早于开始 (invalid dates: YYYY-MM-DD, end on or after start)")
    for other in waves(form_id):
        if other.name == name:
            raise StudyError(f"调查期“{name}”已存在 (wave '{name}' exists)")
        if first <= other.end and other.start <= last:
            raise StudyError(f"与调查期“{other.name}”（{other.start}～{other.end}）重叠 "
                             f"(overlaps wave '{other.name}')")
    db.session.add(Wave(questionnaire_id=questionnaire.id, name=name, starts_on=first, ends_on=last))
    db.session.commit()
    return WaveSpec(name, first, last)


# --- administrative inputs ---------------------------------------------------

@dataclass(frozen=True)
class InputsImported:
    """What importing administrative inputs did."""

    rows: int
    values: int
    questionnaires: list[str]


def import_admin_inputs(text: str, source: str, form_id: str | None = None) -> InputsImported:
    """Store administrative figures from CSV text, all of it or nothing.

    Columns: ``questionnaire`` (unless ``form_id`` is given), ``unit`` (one of its
    channel codes, such as a 警务区), ``period`` (one of its waves), then one column per measure
    (``cases``, ``population``, ``visits`` …) holding non-negative numbers. A
    figure imported again for the same unit, period and measure replaces the old.

    :raises StudyError: listing every bad row and column.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in (reader.fieldnames or [])]
    needed = [c for c in ADMIN_KEY_COLUMNS if not (c == "questionnaire" and form_id)]
    missing = [c for c in needed if c not in header]
    measures = [h for h in header if h and h not in ADMIN_KEY_COLUMNS]
    if missing or not measures:
        raise StudyError(f"{source}: 缺少列 (missing columns): {', '.join(missing or ['<measure>'])}")
    rows, errors = _admin_rows(reader, source, form_id, measures)
    if errors:
        raise StudyError("\n".join(errors))
    return _store_admin_rows(rows)


@dataclass(frozen=True)
class _Known:
    """What an input row may name for one questionnaire: its channels and its waves."""

    questionnaire: Questionnaire | None
    units: frozenset[str] = frozenset()
    periods: frozenset[str] = frozenset()


def _known(form_id: str) -> _Known:
    questionnaire = catalogue.find(form_id)
    if questionnaire is None or questionnaire.current_version is None:
        return _Known(None)
    channels = from_definition(questionnaire.current_version.definition).channels
    return _Known(questionnaire, frozenset(c.code for c in channels), frozenset(w.name for w in waves(form_id)))


def _admin_rows(reader: csv.DictReader, source: str, form_id: str | None, measures: list[str]):
    rows, errors, known = [], [], {}
    for line, record in enumerate(reader, start=2):
        record = {(k or "").strip(): (v or "").strip() for k, v in record.items()}
        form = form_id or record.get("questionnaire", "")
        if form not in known:
            known[form] = _known(form)
        where = f"{source}: 第{line}行 (row {line})"
        errors += _key_errors(where, form, record, known[form])
        for measure in measures:
            value = _number(record.get(measure, ""))
            if value is None and record.get(measure, ""):
                errors.append(f"{where}, {measure}: “{record[measure]}”不是非负数 (not a non-negative number)")
            elif value is not None and known[form].questionnaire is not None:
                rows.append((known[form].questionnaire.id, record["unit"], record["period"], measure, value))
    return rows, errors


def _key_errors(where: str, form: str, record: dict[str, str], known: _Known) -> list[str]:
    """A row must name a questionnaire, one of its channels and one of its waves."""
    if known.questionnaire is None:
        return [f"{where}: 问卷“{form}”不存在 (no questionnaire '{form}')"]
    errors = []
    unit, period = record.get("unit", ""), record.get("period", "")
    if unit not in known.units:
        errors.append(f"{where}: “{unit}”不是问卷的渠道编码 (unit '{unit}' is not a channel of {form}: "
                      f"{', '.join(sorted(known.units)) or '-'})")
    if period not in known.periods:
        errors.append(f"{where}: “{period}”不是已有的调查期 (period '{period}' is not a wave of {form}: "
                      f"{', '.join(sorted(known.periods)) or '-'}; create it with `wave create`)")
    return errors


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _store_admin_rows(rows: list[tuple[int, str, str, str, float]]) -> InputsImported:
    for questionnaire_id, unit, period, measure, value in rows:
        db.session.execute(delete(AdminInput).where(
            AdminInput.questionnaire_id == questionnaire_id, AdminInput.unit == unit,
            AdminInput.period == period, AdminInput.measure == measure))
        db.session.add(AdminInput(questionnaire_id=questionnaire_id, unit=unit, period=period,
                                  measure=measure, value=value))
    db.session.commit()
    forms = db.session.scalars(select(Questionnaire.form_id).where(
        Questionnaire.id.in_({r[0] for r in rows}))).all()
    return InputsImported(len({r[:3] for r in rows}), len(rows), sorted(forms))


def admin_inputs(form_id: str) -> pd.DataFrame:
    """A questionnaire's administrative figures: columns unit, period, measure, value."""
    rows = db.session.execute(select(AdminInput.unit, AdminInput.period, AdminInput.measure, AdminInput.value)
                              .where(AdminInput.questionnaire_id == _questionnaire(form_id).id)
                              .order_by(AdminInput.unit, AdminInput.period, AdminInput.measure)).all()
    import pandas as pd   # only when inputs are read: the CLI and the web app start without pandas

    return pd.DataFrame(rows, columns=["unit", "period", "measure", "value"])
