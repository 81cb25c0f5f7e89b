"""Bundled study 3: 单位安全保卫工作调查 → 安全保卫调研报告, built from simulated responses.

One response per organisation; the channels are the unit categories (学校、医疗机构、农贸市场、
工厂企业、其他重点单位). The simulated units tell a story: hospitals and schools are well run,
farmers' markets clearly weaker; emergency plans, drills, alarms and guard licences fall short;
visitor registration slips between the two half-year waves. The report of 2026H2 against 2026H1
must have the sections of the genre, state a base for every figure, word non-significant changes
as such, fire the rules the data call for, and render in every format.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from surveyapp import reports, responses, simulate, studies
from surveyapp.analysis.plan_file import load_plan_file
from surveyapp.questionnaire import load_file
from surveyapp.reporting.document import ItemList
from tests.builders import import_file
from tests.conftest import ROOT
from tests.reporting.checks import assert_wording_follows_significance, paragraphs, render_every_format

QUESTIONNAIRE = ROOT / "questionnaires" / "unit_security.yaml"
PLAN = ROOT / "questionnaires" / "unit_security.analysis.yaml"
UTC = dt.timezone.utc
WAVES = {"2026H1": (dt.datetime(2026, 4, 1, tzinfo=UTC), dt.datetime(2026, 5, 29, tzinfo=UTC)),
         "2026H2": (dt.datetime(2026, 10, 9, tzinfo=UTC), dt.datetime(2026, 11, 27, tzinfo=UTC))}
UNITS = 170          # organisations answering in each wave

# Base distributions of the ordered questions (substantive codes in list order), first wave.
SCALES = {
    "b1_force": (0.30, 0.45, 0.17, 0.08),
    "b3_adequacy": (0.15, 0.50, 0.28, 0.07),
    "b4_licensed": (0.28, 0.30, 0.20, 0.15, 0.07),
    "b5_training": (0.15, 0.35, 0.30, 0.15, 0.05),
    "b6_night": (0.35, 0.30, 0.17, 0.13, 0.05),
    "c1_cctv": (0.55, 0.30, 0.10, 0.02, 0.03),
    "c1_access": (0.40, 0.32, 0.13, 0.05, 0.10),
    "c1_perimeter": (0.38, 0.32, 0.18, 0.05, 0.07),
    "c1_alarm": (0.38, 0.30, 0.14, 0.06, 0.12),
    "c1_fire": (0.55, 0.33, 0.09, 0.02, 0.01),
    "c2_coverage": (0.40, 0.38, 0.15, 0.07),
    "c3_storage": (0.40, 0.42, 0.12, 0.06),
    "c4_equipment": (0.55, 0.35, 0.10),
    "d1_plan": (0.60, 0.28, 0.12),
    "d2_visitor": (0.62, 0.20, 0.12, 0.06),
    "d3_keyarea": (0.55, 0.33, 0.12),
    "d4_report": (0.62, 0.25, 0.10, 0.03),
    "d5_police": (0.30, 0.40, 0.22, 0.08),
    "e1_drill": (0.22, 0.28, 0.24, 0.15, 0.11),
    "e3_drill_police": (0.30, 0.45, 0.25),
    "e4_staff_training": (0.35, 0.35, 0.22, 0.08),
    "f2_reported": (0.65, 0.28, 0.07),
}
# What changed by the second wave: visitor registration slipped, drills picked up a little.
SECOND_WAVE = {"d2_visitor": (0.42, 0.28, 0.18, 0.12), "e1_drill": (0.27, 0.29, 0.22, 0.13, 0.09)}
WEIGHTS = {
    "a2_size": {"1": 0.35, "2": 0.35, "3": 0.20, "4": 0.10},
    "a3_station": {"p1": 0.30, "p2": 0.25, "p3": 0.25, "p4": 0.20},
    "b2_staff": {1: 0.08, 2: 0.20, 3: 0.18, 4: 0.14, 6: 0.14, 8: 0.10, 12: 0.08, 20: 0.05, 35: 0.03},
    "e2_drill_items": {"1": 0.90, "2": 0.45, "3": 0.35, "4": 0.25, "5": 0.30, "6": 0.08},
    "f1_incidents": {"1": 0.30, "2": 0.08, "3": 0.10, "4": 0.09, "5": 0.04, "6": 0.08, "7": 0.05, "8": 0.55},
    "g1_needs": {"1": 0.55, "2": 0.50, "3": 0.35, "4": 0.30, "5": 0.30, "6": 0.25, "7": 0.15},
}
# Relative number of units, overall level and local weak spots of each category.
CATEGORIES = {
    "school": (1.3, 0.35, {"c1_alarm": 0.2, "e1_drill": 0.4, "d2_visitor": 0.3}),
    "hospital": (0.6, 0.55, {"c1_alarm": 0.3, "b6_night": 0.3}),
    "market": (0.8, -0.75, {"d2_visitor": -0.4, "c1_access": -0.5, "c1_perimeter": -0.4, "c1_fire": -0.3,
                            "d1_plan": -0.3}),
    "factory": (1.2, 0.0, {"e4_staff_training": 0.2}),
    "other_unit": (0.5, 0.1, {}),
}
SUGGESTIONS = (
    "希望派出所每学期来学校指导一次应急演练，特别是防范持刀伤害的科目。",
    "市场是开放式的，早市人多车多，保安只有两个人，巡逻顾不过来。",
    "监控设备用了七八年，很多摄像头夜里拍不清，更换经费一直申请不下来。",
    "保安公司派来的人经常换，年纪偏大，培训跟不上。",
    "建议把单位的监控接入公安平台，出了事调录像更方便。",
    "一键报警装置装了以后没人来测试过，不知道还能不能用。",
    "希望提供预案的范本，我们自己写的不太规范。",
    "门诊高峰人多，纠纷时有发生，希望警务室民警高峰时段能在岗。",
    "厂区围墙有几处破损，已经报修还没修好，晚上巡查压力大。",
    "消防方面的检查很多，治安防范方面的指导相对少一些。",
    "有事可以联系我们保卫科，电话13900000000。",
    "希望多组织反诈宣传进企业，员工被骗的情况时有发生。",
    "没有意见。",
    "无",
)
EXPECTED_PROBLEMS = {"应急演练开展不经常", "应急预案修订不及时", "一键式紧急报警装置完好率不高",
                     "保安员持证上岗率不高", "访客登记落实率较上期下降", "个别类别单位安保工作整体水平明显低于其他类别",
                     "部分单位近一年内部发生过治安案事件"}
"""The rules that fire on the simulated data (7 of the layout's 8: the staff-training fall is not significant)."""


def unit_profile(wave: str) -> simulate.Profile:
    """Simulated organisations of ``wave``: categories with different levels, a slight improvement by 2026H2."""
    scales = {**SCALES, **(SECOND_WAVE if wave == "2026H2" else {})}
    return simulate.Profile(
        channel_weights={code: size for code, (size, _, _) in CATEGORIES.items()},
        channel_shift={code: shift for code, (_, shift, _) in CATEGORIES.items()},
        channel_item_shift={code: items for code, (_, _, items) in CATEGORIES.items()},
        wave_shift={"2026H2": 0.1}, scales=scales, weights=WEIGHTS,
        attitude_links={"f1_incidents": 0.6}, dont_know=0.02, speeders=0.03, straightliners=0.02,
        open_text=0.35, interview=0.0, item_nonresponse=0.0,
        open_answers={"g2_suggest": SUGGESTIONS, "*": SUGGESTIONS})


def store_wave(wave: str, seed: int, n: int = UNITS) -> None:
    target = responses.find_target("unit_security")
    compiled = responses.compiled_version(target.version_id, target.checksum)
    start, end = WAVES[wave]
    items = (responses.Prepared(r.answers, r.channel, r.started_at, r.submitted_at, r.mode)
             for r in simulate.simulate(compiled, n, seed, unit_profile(wave), wave=wave, start=start, end=end))
    responses.store_batch("unit_security", items)


def build_report():
    """Import the study, store both waves and build the 2026H2 report against 2026H1."""
    import_file(QUESTIONNAIRE)
    studies.import_plan(PLAN)
    store_wave("2026H1", 31)
    store_wave("2026H2", 32)
    return reports.build("unit_security", wave="2026H2", compare_with="2026H1")


@pytest.fixture
def report(app):
    return build_report()


def _problems(report) -> list[str]:
    return [item for block in report.sections[2].blocks if isinstance(block, ItemList) for item in block.items]


def test_the_study_files_check_and_fit_together():
    """Do the questionnaire and the plan load, and is the layout the one picked for the form?"""
    form = load_file(QUESTIONNAIRE)
    plan = load_plan_file(PLAN, form)
    assert form.form_id == plan.form_id == "unit_security" and not form.allow_multiple
    assert 25 <= len([q for q in form.questions() if q.type not in ("note", "calculate")]) <= 35
    assert {c.code for c in form.channels} == {c.value for c in form.choices["unit_type"]}
    assert plan.min_n == 10 and [w.name for w in plan.waves] == ["2026H1", "2026H2"]
    assert not plan.indicator("incident_rate").higher_is_better
    asked = " ".join(str(q.label) for q in form.questions())
    assert not re.search("姓名|手机号|电话号码|单位名称", asked.replace("不询问单位名称、填报人姓名和联系方式", ""))


def test_the_report_has_the_sections_of_the_genre(report):
    """一…六 in order, the results in the order 人防 → 物防技防 → 制度预案 → 演练培训 → 案事件, numbered tables."""
    assert [s.label + s.title for s in report.sections] == [
        "一、调研基本情况", "二、调研结果", "三、存在的主要问题", "四、原因分析", "五、对策建议", "六、结论"]
    results = [c.title for c in report.sections[1].children]
    assert [t[:2] for t in results[:5]] == ["人防", "物防", "制度", "应急", "近一"]
    assert [c.label for c in report.sections[1].children] == ["（一）", "（二）", "（三）", "（四）", "（五）", "（六）", "（七）"]
    assert [s.label for s in report.appendices] == ["附件1", "附件2", "附件3"]
    numbers = [t.number for t in report.tables()]
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) >= 14
    assert [f.number for f in report.figures()] == list(range(1, len(report.figures()) + 1))
    assert all(t.rows for t in report.tables()), [t.caption for t in report.tables() if not t.rows]
    assert report.title == "某区公安分局治安管理大队（示例）关于辖区重点单位安全保卫工作情况的调研报告"
    assert report.subtitle.startswith("——基于2026年下半年") and report.subtitle.endswith("家单位问卷调查的分析")
    assert report.meta["n_received"] == UNITS and report.meta["n_valid"] < UNITS   # speeders screened out
    text = "\n".join(paragraphs(report))
    assert "每个单位填报一份" in text and "分层抽样" in text


def test_every_indicator_sentence_states_its_base_and_interval(report):
    """Each clause "X为…" of an indicator paragraph carries its interval and its base of valid answers."""
    plan = studies.plan_for("unit_security")
    labels = [i.label["zh"] for i in plan.indicators if i.kind != "admin"]
    found = set()
    for paragraph in paragraphs(report):
        if not paragraph.startswith("调查显示，"):
            continue
        for clause in paragraph.removeprefix("调查显示，").split("；"):
            label = next(lab for lab in labels if clause.startswith(lab + "为"))
            found.add(label)
            assert re.search(r"为[\d.]+(%|分)（95%置信区间[\d.%～分]+，有效回答[\d,]+份）", clause), clause
    assert len(found) >= 25


def test_a_change_that_is_not_significant_is_never_called_a_rise_or_a_fall(report):
    """Every 提高/下降 has p < 0.05 and every 变化不显著 has p ≥ 0.05, in text and in the tables."""
    text = "\n".join(paragraphs(report))
    assert_wording_follows_significance(text)
    assert re.search(r"访客登记落实率为[^；]+较2026年上半年下降[\d.]+个百分点（p", text)
    for table in report.tables():
        if "显著性" in table.header:
            column = table.header.index("显著性")
            for row in table.rows:
                clause = next(c for c in re.split("；|调查显示，", text) if c.startswith(row[0] + "为"))
                assert ("变化不显著" in clause) == (row[column] == "不显著"), clause


def test_the_rules_the_data_call_for_fire(report):
    """Drills, plans, alarms, licences, the slip in visitor registration, markets and incidents."""
    problems = _problems(report)
    assert {p for p in EXPECTED_PROBLEMS if any(p in item for item in problems)} == EXPECTED_PROBLEMS
    assert len(problems) == len(EXPECTED_PROBLEMS)
    assert all(re.search(r"\d", item) for item in problems)
    bottom = next(item for item in problems if "个别类别单位" in item)
    assert "农贸市场安保工作综合指数为" in bottom
    causes = [i for b in report.sections[3].blocks if isinstance(b, ItemList) for i in b.items]
    assert len(causes) == len(problems)
    suggestions = report.sections[4].children
    assert len(suggestions) == len(problems)
    for section in suggestions:
        body = section.blocks[0].text
        assert body.startswith("针对") and "力争下一期" in body, body
    assert any("85.0%以上" in s.blocks[0].text for s in suggestions)
    # The fall in staff training is not significant: its `fell` rule stays silent.
    text = "\n".join(paragraphs(report))
    assert re.search(r"全员安全培训率为[^；]+与2026年上半年相比变化不显著（−", text)
    assert not any("全员安全防范培训" in s.title for s in suggestions)


def test_the_ranking_puts_markets_last_and_hospitals_or_schools_first(report):
    ranking = next(t for t in report.tables() if t.key == "ranking_security_index")
    ranked = [row for row in ranking.rows if row[0] != "—"]
    assert ranked[-1][1] == "农贸市场" and ranked[0][1] in ("医疗机构", "学校")


def test_the_report_renders_in_every_format(report, tmp_path):
    """docx, pdf, html and md, with nothing odd (nan, None, empty placeholders) in the text."""
    rendered = render_every_format(report)
    assert "附件3" in rendered["md"]
    (tmp_path / "unit_security.pdf").write_bytes(rendered["pdf"])
