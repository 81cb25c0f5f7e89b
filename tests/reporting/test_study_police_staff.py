"""Bundled study 4: the staff survey 警务人员工作状况调查 → 警务调研报告, from simulated responses.

Two half-year waves are simulated with a profile that tells a story: long hours and non-policing
tasks everywhere, police vehicles as the weak point of equipment, a tired workforce, community
officers seldom out in their beats, one police station (南桥派出所) whose staff feel little
supported, and job satisfaction falling in the second half-year. The report of 2026H2 against
2026H1 must show that story with the genre's structure and honest statistical wording.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re

import pytest

from surveyapp import reports, responses, simulate, studies
from surveyapp.analysis.plan_file import load_plan_file
from surveyapp.questionnaire import load_file
from surveyapp.reporting.document import ItemList
from surveyapp.reporting.layout import layout_path, load_layout
from tests.builders import import_file
from tests.conftest import ROOT
from tests.reporting.checks import assert_wording_follows_significance, paragraphs

FORM = ROOT / "questionnaires" / "police_staff.yaml"
PLAN = ROOT / "questionnaires" / "police_staff.analysis.yaml"
UTC = dt.timezone.utc
# Fieldwork windows inside the plan's waves (2026H1: Jan–Jun, 2026H2: Jul–Dec).
WAVES = {"2026H1": (dt.datetime(2026, 3, 2, tzinfo=UTC), dt.datetime(2026, 3, 27, tzinfo=UTC)),
         "2026H2": (dt.datetime(2026, 9, 7, tzinfo=UTC), dt.datetime(2026, 10, 9, tzinfo=UTC))}

# --- the simulated bureau -------------------------------------------------------------------

# Ordinal base distributions (most to least favourable code) at shift 0.
SCALES = {
    "b1_hours": (0.10, 0.28, 0.32, 0.20, 0.10),        # 超时工作率 ≈ 62%
    "b2_overtime": (0.06, 0.26, 0.36, 0.20, 0.12),
    "b4_nonpolice": (0.22, 0.38, 0.26, 0.14),          # 非警务负担率 ≈ 40%
    "b5_rest": (0.18, 0.30, 0.30, 0.15, 0.07),
    "c1_bodycam": (0.30, 0.40, 0.20, 0.07, 0.03),
    "c1_mobile": (0.25, 0.38, 0.24, 0.09, 0.04),
    "c1_vehicle": (0.10, 0.25, 0.33, 0.20, 0.12),      # the weak point: ≈ 68%
    "c1_gear": (0.20, 0.38, 0.27, 0.10, 0.05),
    "c1_office": (0.15, 0.33, 0.30, 0.15, 0.07),
    "c2_sufficiency": (0.12, 0.50, 0.28, 0.08, 0.02),
    "d1_training": (0.15, 0.30, 0.30, 0.18, 0.07),
    "d2_usefulness": (0.24, 0.46, 0.23, 0.05, 0.02),   # 培训有效率 ≈ 70%: no problem here
    "d4_promotion": (0.18, 0.40, 0.25, 0.12, 0.05),
    "e1_support": (0.25, 0.38, 0.25, 0.08, 0.04),
    "e2_stress": (0.06, 0.18, 0.40, 0.26, 0.10),       # 高压力比例 ≈ 36%
    "e3_counselling": (0.15, 0.35, 0.25, 0.25),
    "e4_balance": (0.08, 0.32, 0.38, 0.16, 0.06),
    "e5_overall": (0.18, 0.38, 0.30, 0.10, 0.04),
    "f1_visits": (0.10, 0.32, 0.33, 0.18, 0.07),       # 走访达标率 ≈ 42%
    "f2_days": (0.20, 0.28, 0.30, 0.15, 0.07),
}
STATION_POSTS = {"1": 0.24, "2": 0.20, "3": 0.10, "4": 0.0, "5": 0.36, "6": 0.10}
WEIGHTS = {
    "a2_service": {"1": 0.25, "2": 0.35, "3": 0.25, "4": 0.15},
    "a3_age": {"1": 0.22, "2": 0.38, "3": 0.28, "4": 0.12},
    "b3_reasons": {"1": 0.55, "2": 0.45, "3": 0.40, "4": 0.35, "5": 0.30, "6": 0.45},
    "d3_needs": {"1": 0.35, "2": 0.50, "3": 0.35, "4": 0.30, "5": 0.30, "6": 0.40},
    "f3_obstacles": {"1": 0.55, "2": 0.45, "3": 0.50, "4": 0.30, "5": 0.25, "6": 0.15, "7": 0.05},
    "g1_needs": {"1": 0.50, "2": 0.45, "3": 0.40, "4": 0.30, "5": 0.20, "6": 0.30, "7": 0.25, "8": 0.45},
}
# channel: (responses per wave, overall shift, post mix, item shifts)
UNITS = {
    "p01": (85, 0.15, STATION_POSTS, {}),
    "p02": (75, 0.05, STATION_POSTS, {}),
    "p03": (70, 0.0, STATION_POSTS, {"f1_visits": -0.3}),
    "p04": (80, -0.35, STATION_POSTS, {"e1_support": -0.7, "d4_promotion": -0.3}),
    "d01": (60, 0.10, {"3": 0.62, "5": 0.28, "6": 0.10}, {"c1_vehicle": 0.2}),
    "d02": (90, -0.05, {"4": 0.58, "5": 0.36, "6": 0.06}, {"c1_vehicle": 0.3, "b4_nonpolice": 0.2}),
}
# The second half-year: more security assignments, a little worse overall, satisfaction down.
WAVE_SHIFT = {"2026H1": 0.0, "2026H2": -0.12}
WAVE_ITEMS = {"2026H1": {}, "2026H2": {"e5_overall": -0.35, "b1_hours": -0.15, "b5_rest": -0.2}}
SUGGESTIONS = (
    "希望严格落实轮休补休，连续加班后能保证休息。",
    "非警务的事情太多，各种检查和报表占了大量时间，希望分局出面协调清理。",
    "所里的警车车况差，出警时经常要等车，希望尽快更新。",
    "培训能不能多一些实战演练和案例讲解，少一些念文件。",
    "辅警待遇偏低，人员流动快，新人刚熟悉业务就走了。",
    "希望领导多听听一线的意见，谈心谈话不要走过场。",
    "社区民警经常被抽去值班办案，下社区的时间没有保证。",
    "心理疏导很有必要，但希望保护隐私，不要让单位知道是谁去咨询。",
    "值班备勤的办公室太挤，夜里休息条件差。",
    "晋升评优希望更公开透明，向一线倾斜。",
    "没有意见。",
    "无",
)

EXPECTED_PROBLEMS = ("超时工作较为普遍", "非警务活动占用工作时间较多", "警用车辆保障不足", "部分民警辅警工作压力大",
                     "社区民警入户走访不足", "个别单位民警辅警对组织支持的评价明显偏低", "工作满意率较上期明显下降")
NOT_EXPECTED = ("教育培训的针对性和实效性不强",)


def _profile(compiled, wave: str, channel: str) -> simulate.Profile:
    """One unit in one wave: its post mix, its level and local problems, the wave's drift."""
    _size, shift, posts, items = UNITS[channel]
    base = simulate.default_profile(compiled)
    return dataclasses.replace(
        base, scales=SCALES, weights={**WEIGHTS, "a1_post": posts}, mood=WAVE_SHIFT[wave],
        channel_shift={channel: shift}, channel_item_shift={channel: {**items, **WAVE_ITEMS[wave]}},
        wave_shift={}, wave_channel_shift={}, attitude_links={}, interview=0.0, speeders=0.03,
        straightliners=0.02, open_text=0.2, dont_know_items={"b4_nonpolice": 2.0, "e3_counselling": 2.0},
        open_answers={"g2_suggestions": SUGGESTIONS})


def _store(wave: str, seed: int) -> None:
    target = responses.find_target("police_staff")
    compiled = responses.compiled_version(target.version_id, target.checksum)
    start, end = WAVES[wave]
    for offset, (channel, (size, *_rest)) in enumerate(UNITS.items()):
        profile = _profile(compiled, wave, channel)
        items = (responses.Prepared(r.answers, r.channel, r.started_at, r.submitted_at, r.mode)
                 for r in simulate.simulate(compiled, size, seed + offset, profile, channels=[channel], wave=wave,
                                            start=start, end=end))
        responses.store_batch("police_staff", items)


@pytest.fixture
def report(app):
    """The report of 2026H2 against 2026H1."""
    import_file(FORM)
    studies.import_plan(PLAN)
    _store("2026H1", 100)
    _store("2026H2", 200)
    return reports.build("police_staff", wave="2026H2", compare_with="2026H1")


def _problems(report) -> tuple[str, ...]:
    return next(b for b in report.sections[2].blocks if isinstance(b, ItemList)).items


# --- the files ----------------------------------------------------------------------------------

def test_the_questionnaire_is_anonymous_and_coarse():
    """Does the staff questionnaire ask nothing that identifies a person, and say so in its consent text?"""
    form = load_file(FORM)
    intro = form.question("intro_note").label["zh"]
    assert "无法追溯到个人" in intro and "不记名" in intro
    assert 4 <= len(form.channels) <= 6
    assert all(c.label["zh"].endswith(("派出所", "大队")) for c in form.channels)
    texts = [q.name for q in form.questions() if q.type == "text"]
    assert texts == ["g2_suggestions"]
    assert not any(q.type in ("integer", "decimal", "date") for q in form.questions())
    assert 25 <= len([q for q in form.questions() if q.type not in ("note",)]) <= 35


def test_the_plan_and_layout_load_against_the_questionnaire():
    """Do the plan and the layout pass their checks, with the burden indicators reversed?"""
    form = load_file(FORM)
    plan = load_plan_file(PLAN, form)
    assert plan.min_n == 20 and [w.name for w in plan.waves] == ["2026H1", "2026H2"]
    reversed_ = {i.name for i in plan.indicators if not i.higher_is_better}
    assert reversed_ == {"overtime_rate", "frequent_overtime_rate", "nonpolice_rate", "high_stress_rate"}
    layout = load_layout(layout_path("police_staff"), form, plan)
    assert 6 <= len(layout.rules) <= 8


# --- the report -----------------------------------------------------------------------------------

def test_the_report_has_the_sections_of_the_genre_in_order(report):
    """Are the numbered sections, subsections, appendices, tables and figures those of a 警务调研报告?"""
    assert [s.label + s.title for s in report.sections] == [
        "一、调研基本情况", "二、调研结果", "三、存在的主要问题", "四、原因分析", "五、对策建议", "六、结论"]
    results = report.sections[1].children
    assert [c.label + c.title for c in results] == [
        "（一）工作负荷", "（二）装备保障", "（三）教育培训与职业发展", "（四）组织支持与身心健康", "（五）社区警务",
        "（六）民警辅警主要诉求"]
    assert [c.label for c in results[3].children] == ["1.", "2."]
    assert [s.label for s in report.appendices] == ["附件1", "附件2", "附件3"]
    numbers = [t.number for t in report.tables()]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 12
    figures = [f.number for f in report.figures()]
    assert figures == list(range(1, len(figures) + 1)) and len(figures) >= 4
    assert report.title == "某区公安分局政治处（示例）2026年下半年警务人员工作状况调研报告"
    assert re.fullmatch(r"——基于[\d,]+份民警辅警有效问卷的分析", report.subtitle)


def test_every_indicator_sentence_carries_its_interval_base_and_table(report):
    """Does each indicator named in the layout appear with value, 95% interval, base and a table reference?"""
    text = "\n".join(paragraphs(report))
    plan = studies.plan_for("police_staff")
    shown = ["overtime_rate", "nonpolice_rate", "rest_rate", "equipment_rate", "equipment_index", "vehicle_rate",
             "training_effective_rate", "support_rate", "satisfaction_rate", "wellbeing_index", "high_stress_rate",
             "counselling_rate", "visit_rate", "beat_days_rate"]
    for name in shown:
        label = re.escape(plan.indicator(name).label["zh"])
        assert re.search(label + r"为[\d.]+(%|分)（95%置信区间[\d.%～分]+，有效回答[\d,]+份）", text), name
    for paragraph in paragraphs(report):
        if re.search(r"有效回答[\d,]+份", paragraph) and not paragraph.startswith("针对"):
            assert re.search(r"（见表\d+）。$", paragraph), paragraph


def test_community_questions_are_based_on_community_officers_only(report):
    """Is 走访达标率 computed over the community officers who answered part F, not over everyone?"""
    text = "\n".join(paragraphs(report))
    valid = int(report.meta["n_valid"])
    match = re.search(r"社区民警走访达标率为[\d.]+%（95%置信区间[^，]+，有效回答([\d,]+)份）", text)
    base = int(match[1].replace(",", ""))
    assert 30 <= base < 0.3 * valid


def test_a_change_that_is_not_significant_is_never_called_a_rise_or_a_fall(report):
    """Is every 提高/下降 backed by p < 0.05, and every non-significant change worded as such?"""
    text = "\n".join(paragraphs(report))
    assert_wording_follows_significance(text)
    assert re.search(r"变化不显著", text) and re.search(r"(提高|下降)[\d.]+(个百分点|分)（p", text)
    for table in report.tables():
        if "显著性" in table.header:
            column = table.header.index("显著性")
            for row in table.rows:
                sentence = next(s for s in text.split("；") if s.startswith(row[0] + "为") or f"，{row[0]}为" in s
                                or f"调查显示，{row[0]}为" in s)
                assert ("变化不显著" in sentence) == (row[column] == "不显著"), sentence


def test_the_expected_rules_fire_and_cite_their_findings(report):
    """Do the problems of the story (and only they) appear, each with its number, cause and targeted suggestion?"""
    problems = _problems(report)
    for expected in EXPECTED_PROBLEMS:
        assert sum(expected in item for item in problems) == 1, expected
    for absent in NOT_EXPECTED:
        assert not any(absent in item for item in problems), absent
    assert len(problems) == len(EXPECTED_PROBLEMS)
    assert all(re.search(r"\d", item) for item in problems)
    assert problems[0].startswith("一是") and problems[-1].endswith("。")
    assert any("南桥派出所" in item for item in problems)
    causes = next(b for b in report.sections[3].blocks if isinstance(b, ItemList)).items
    assert len(causes) == len(problems)
    suggestions = report.sections[4].children
    assert [s.label for s in suggestions] == [f"（{n}）" for n in "一二三四五六七"]
    for section in suggestions:
        text = section.blocks[0].text
        assert text.startswith("针对") and "力争下一期" in text and "{" not in text
    targets = "\n".join(s.blocks[0].text for s in suggestions)
    assert "超时工作率下降至40.0%以下" in targets and "走访达标率提升至60.0%以上" in targets


def test_small_cells_and_units_are_never_shown(report):
    """Are composition cells under 5 hidden, and is no unit below min_n given a rate?"""
    composition = next(t for t in report.tables() if t.key == "composition")
    for row in composition.rows:
        assert row[2] == "—" or int(row[2].replace(",", "")) >= 5, row
    ranking = next(t for t in report.tables() if t.key == "ranking_support_rate")
    for row in ranking.rows:
        assert row[-1] == "样本不足" or int(row[4].replace(",", "")) >= 20, row


def test_the_report_renders_in_every_format_without_stray_values(report, tmp_path):
    """Do docx, pdf, html and md render, and does no 'nan', 'None' or empty table leak into them?"""
    docx, pdf, html = (reports.render(report, fmt) for fmt in ("docx", "pdf", "html"))
    markdown, files = reports.render(report, "md")
    for fmt, data in (("docx", docx), ("pdf", pdf), ("html", html)):
        (tmp_path / f"police_staff.{fmt}").write_bytes(data)
    (tmp_path / "police_staff.md").write_text(markdown, encoding="utf-8")
    assert docx[:2] == b"PK" and pdf[:5] == b"%PDF-" and len(pdf) > 50_000
    assert len(files) == len(report.figures())
    for table in report.tables():
        assert table.rows, table.caption
    page = re.sub(r"<[^>]+>", "", html.decode("utf-8"))
    for text in (page, markdown):
        assert report.title in text and "二、调研结果" in text and "附件1" in text
        assert not re.search(r"\bnan\b|\bNone\b|NaN|\{[a-z_]+\}", text)
