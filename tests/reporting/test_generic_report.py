"""A questionnaire nobody wrote a plan or a layout for (tests/data/campus_safety.yaml) gets a full
调研报告: the plan read off its answer lists, the generic layout, problems that are the weakest
evaluations as recounted from the CSV export, and every format.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from surveyapp import reports, responses, simulate
from surveyapp.analysis.derived_plan import derive_plan, describe
from surveyapp.questionnaire import load_file
from surveyapp.reporting.document import ItemList
from tests.builders import import_file
from tests.conftest import DATA
from tests.reporting.checks import paragraphs, render_every_format

CAMPUS = DATA / "campus_safety.yaml"
UTC = dt.timezone.utc
# Favourable share by design: the gate and night-time safety are weak, fraud prevention (its list
# runs from 很不满意 to 很满意) is middling, patrols and daytime safety are strong.
SCALES = {
    "safe_day": (0.45, 0.35, 0.12, 0.05, 0.03),
    "safe_night": (0.15, 0.25, 0.30, 0.20, 0.10),
    "sat_patrol": (0.40, 0.38, 0.12, 0.06, 0.04),
    "sat_gate": (0.10, 0.22, 0.33, 0.22, 0.13),
    "sat_fraud": (0.08, 0.14, 0.30, 0.28, 0.17, 0.03),    # 很不满意 … 很满意, then 不了解
    "agree_help": (0.35, 0.40, 0.17, 0.08),
}
LIKERT = {"safe_day": ("1", "2"), "safe_night": ("1", "2"), "sat_patrol": ("1", "2"), "sat_gate": ("1", "2"),
          "sat_fraud": ("4", "5"), "agree_help": ("1", "2")}
EXCLUDED = {"safe_day": "9", "safe_night": "9", "sat_patrol": "9", "sat_gate": "9", "sat_fraud": "6",
            "agree_help": "9"}
N = 600


def campus_profile() -> simulate.Profile:
    return simulate.Profile(scales=SCALES, channel_shift={"u1": 0.3, "u2": 0.1, "u3": 0.0, "u4": -0.6},
                            speeders=0.0, straightliners=0.0, item_nonresponse=0.0, open_text=0.4,
                            weights={"years": {1: 0.3, 2: 0.3, 3: 0.2, 4: 0.1, 10: 0.1}})


def store(n: int = N, seed: int = 7, profile: simulate.Profile | None = None,
          period: tuple[dt.datetime, dt.datetime] = (dt.datetime(2026, 10, 8, tzinfo=UTC),
                                                     dt.datetime(2026, 11, 20, tzinfo=UTC))) -> None:
    target = responses.find_target("campus_safety")
    compiled = responses.compiled_version(target.version_id, target.checksum)
    items = (responses.Prepared(r.answers, r.channel, r.started_at, r.submitted_at, r.mode)
             for r in simulate.simulate(compiled, n, seed, profile or campus_profile(), start=period[0], end=period[1]))
    responses.store_batch("campus_safety", items)


@pytest.fixture
def campus(app):
    import_file(CAMPUS)
    store()
    return reports.build("campus_safety")


def test_the_plan_is_read_off_the_answer_lists():
    """Likert lists either way round give a favourable rate and a score; 说不清/不了解 stay out."""
    form = load_file(CAMPUS)
    plan = derive_plan(form)
    kinds = {m.question: m.kind for m in describe(form)}
    assert kinds == {"role": "category", "gender": "category", "years": "number", "safe_day": "likert",
                     "safe_night": "likert", "victim": "yesno", "worries": "multiple", "sat_patrol": "likert",
                     "sat_gate": "likert", "sat_fraud": "likert", "agree_help": "likert", "advice": "open"}
    for question, positive in LIKERT.items():
        rate, score = plan.indicator(f"{question}_rate"), plan.indicator(f"{question}_score")
        assert rate.positive == positive and rate.exclude == (EXCLUDED[question],)
        assert max(score.scores, key=score.scores.get) == positive[-1 if question == "sat_fraud" else 0]
        assert EXCLUDED[question] not in score.scores
    assert plan.indicator("sat_gate_rate").label == {"zh": "校门出入管理满意率"}
    assert plan.indicator("agree_help_score").scores == {"1": 100.0, "2": 66.7, "3": 33.3, "4": 0.0}
    assert plan.indicator("victim_rate").positive == ("1",)


def _recounted_rates(runner, tmp_path) -> dict[str, float]:
    """Favourable shares from the CSV export, counted by hand."""
    output = tmp_path / "campus.csv"
    result = runner.invoke(args=["responses", "export", "campus_safety", "--format", "csv", "--output", str(output)])
    assert result.exit_code == 0, result.output
    text = output.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    rates = {}
    for question, positive in LIKERT.items():
        valid = [r[question] for r in rows if r[question] and r[question] != EXCLUDED[question]]
        rates[question] = sum(v in positive for v in valid) / len(valid)
    return rates


def test_the_problems_are_the_weakest_items_recounted_from_the_export(campus, runner, tmp_path):
    rates = _recounted_rates(runner, tmp_path)
    average = sum(rates.values()) / len(rates)
    weakest = [q for q in sorted(rates, key=rates.get) if rates[q] < average][:3]
    labels = {q: derive_plan(load_file(CAMPUS)).indicator(f"{q}_rate").label["zh"] for q in rates}
    problems = [i for b in campus.sections[2].blocks if isinstance(b, ItemList) for i in b.items]
    named = [q for q in rates if any(labels[q] + "在本次调查" in item for item in problems)]
    assert sorted(named) == sorted(weakest) and weakest
    for question in weakest:
        item = next(i for i in problems if labels[question] + "在本次调查" in i)
        assert f"{labels[question]}为{rates[question] * 100:.1f}%" in item
    suggestions = campus.sections[4].children
    assert any(s.title.startswith("聚焦评价偏低") for s in suggestions)   # 北校区 is clearly lowest
    for section in suggestions:
        body = section.blocks[0].text
        assert body.startswith("针对") and "力争下一期" in body, body
    causes = [i for b in campus.sections[3].blocks if isinstance(b, ItemList) for i in b.items]
    assert causes and all("进一步核实" in c for c in causes)


def test_the_generic_report_has_the_sections_of_the_genre(campus):
    assert [s.label + s.title for s in campus.sections] == [
        "一、调研基本情况", "二、调研结果", "三、存在的主要问题", "四、原因分析", "五、对策建议", "六、结论"]
    assert [c.title for c in campus.sections[1].children] == [
        "基本情况", "安全感受", "对校园警务工作的评价", "各调查点比较", "意见建议"]
    assert campus.title.startswith("某市公安局文化保卫支队（测试）") and campus.title.endswith("校园及周边安全状况调研报告")
    text = "\n".join(paragraphs(campus))
    assert "校门出入管理满意率为" in text and "在最担心的校园安全问题中，排在前三位的依次是" in text
    assert re.search(r"在本校学习或工作的年数平均为[\d.]+（95%置信区间", text)
    assert "意见建议中，提及较多的主题" in text
    captions = [t.caption for t in campus.tables()]
    assert any("提及率" in c for c in captions) and any("排名" in c for c in captions)
    assert campus.meta["layout"] == "campus_safety_generic" and campus.meta["n_valid"] == N


def test_the_generic_report_renders_in_every_format(campus, tmp_path):
    rendered = render_every_format(campus)
    assert "附件3" in rendered["md"]
    (tmp_path / "campus_safety.pdf").write_bytes(rendered["pdf"])


def test_too_few_responses_and_none_are_said_in_a_sentence(app, runner):
    import_file(CAMPUS)
    result = runner.invoke(args=["report", "build", "campus_safety", "--output", "/tmp/x.docx"])
    assert result.exit_code == 1 and "还没有答卷" in result.output and "Traceback" not in result.output
    store(n=4)
    result = runner.invoke(args=["report", "build", "campus_safety", "--output", "/tmp/x.docx"])
    assert result.exit_code == 1 and "只有4份答卷" in result.output


def test_scaffold_writes_files_whose_edits_change_the_report(app, runner, tmp_path):
    """The plan and layout written by `questionnaire scaffold`, edited, change the report with no code change."""
    app.config["REPORT_LAYOUTS"] = str(tmp_path / "layouts")
    import_file(CAMPUS)
    store(n=200)
    result = runner.invoke(args=["questionnaire", "scaffold", "campus_safety", "--plan-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    plan_file, layout_file = tmp_path / "campus_safety.analysis.yaml", tmp_path / "layouts" / "campus_safety.yaml"
    assert f"{plan_file}: 分析方案" in result.output and f"{layout_file}: 报告模板" in result.output
    again = runner.invoke(args=["questionnaire", "scaffold", "campus_safety", "--plan-dir", str(tmp_path)])
    assert again.exit_code == 1 and "文件已存在" in again.output and "Traceback" not in again.output
    plan_file.write_text(plan_file.read_text(encoding="utf-8").replace("校门出入管理满意率", "门禁管理满意率"),
                         encoding="utf-8")
    layout_file.write_text(layout_file.read_text(encoding="utf-8")
                           .replace("校门出入管理满意率", "门禁管理满意率")
                           .replace("title: '{organisation}{period}校园及周边安全状况调研报告'",
                                    "title: 关于校园安全的调研报告"), encoding="utf-8")
    imported = runner.invoke(args=["questionnaire", "import", str(plan_file)])
    assert imported.exit_code == 0, imported.output
    report = reports.build("campus_safety")
    assert report.title == "关于校园安全的调研报告" and report.meta["layout"] == "campus_safety"
    text = "\n".join(paragraphs(report))
    assert "门禁管理满意率为" in text and "校门出入管理满意率" not in text


def test_a_missing_cjk_font_is_a_sentence_naming_the_package(app, runner, tmp_path, monkeypatch):
    """On a machine whose only chart font is DejaVu Sans, `report build` says to install fonts-noto-cjk."""
    from surveyapp.reporting import charts
    monkeypatch.setattr(charts, "FAMILIES", ["DejaVu Sans"])
    charts._coverage.cache_clear()
    try:
        import_file(CAMPUS)
        store(n=60)
        result = runner.invoke(args=["report", "build", "campus_safety", "--output", str(tmp_path / "r.docx")])
    finally:
        charts._coverage.cache_clear()
    assert result.exit_code == 1, result.output
    assert "缺少中文字体" in result.output and "apt-get install fonts-noto-cjk" in result.output
    assert "Traceback" not in result.output and "MissingGlyph" not in result.output


def test_waves_give_significance_aware_changes_and_a_fall_becomes_a_problem(app):
    """Two waves: the gate's satisfaction falls clearly, daytime safety hardly moves; only the
    significant fall is a problem, and no change is worded beyond its test."""
    from dataclasses import replace
    from surveyapp import studies
    from tests.reporting.checks import assert_wording_follows_significance
    import_file(CAMPUS)
    studies.create_wave("campus_safety", "2026秋", "2026-09-01", "2026-10-31")
    studies.create_wave("campus_safety", "2026冬", "2026-11-01", "2026-12-31")
    store(n=500, seed=1, period=(dt.datetime(2026, 9, 2, tzinfo=UTC), dt.datetime(2026, 10, 28, tzinfo=UTC)))
    later = replace(campus_profile(), scales={**SCALES, "sat_gate": (0.04, 0.12, 0.30, 0.32, 0.22)})
    store(n=500, seed=2, profile=later,
          period=(dt.datetime(2026, 11, 2, tzinfo=UTC), dt.datetime(2026, 12, 20, tzinfo=UTC)))
    report = reports.build("campus_safety", wave="2026冬", compare_with="2026秋")
    text = "\n".join(paragraphs(report))
    assert_wording_follows_significance(text)
    assert re.search(r"校门出入管理满意率为[^；]+较2026秋下降[\d.]+个百分点（p", text), text[:3000]
    problems = [i for b in report.sections[2].blocks if isinstance(b, ItemList) for i in b.items]
    assert any("校门出入管理满意率较上期明显下降" in p for p in problems), problems
    assert not any("白天在校园内安全感率较上期" in p for p in problems)
    table = next(t for t in report.tables() if "显著性" in t.header)
    assert table.header[-3:] == ("上期", "变化", "显著性")


def test_open_answers_counted_are_views_not_contact_details(tmp_path):
    """Suggestions and multiline boxes are open answers; a name, address or phone box is not."""
    from surveyapp.questionnaire import load_text
    form = load_text("""
form_id: open_kinds
survey:
  - {type: text, name: advice, label: 您有什么意见建议？}
  - {type: text, name: story, label: 请描述经过, appearance: multiline}
  - {type: text, name: address, label: 您的住址}
  - {type: text, name: tel, label: 其他联系方式, constraint: "regex(., '^[0-9]+$')"}
""", "open_kinds.yaml")
    assert [m.question for m in describe(form) if m.kind == "open"] == ["advice", "story"]


def test_roster_questions_become_indicators_over_entries(app, runner, tmp_path):
    """The household roster questionnaire's generic report rates members' victimisation over member
    entries: the base is the member rows of `responses export --table member`."""
    import_file(DATA / "household_roster.yaml")
    assert runner.invoke(args=["responses", "simulate", "household_roster", "--n", "120", "--seed", "4"]).exit_code == 0
    report = reports.build("household_roster")
    output = tmp_path / "member.csv"
    result = runner.invoke(args=["responses", "export", "household_roster", "--format", "csv", "--table", "member",
                                 "--output", str(output)])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8").lstrip("\ufeff"))))
    victims = [r["m_victim"] for r in rows if r["m_victim"]]    # every response's entries, flagged ones included
    assert "家庭成员" in [c.title for c in report.sections[1].children]
    text = "\n".join(paragraphs(report))
    match = re.search(r"遭受过盗窃、诈骗等侵害的比例（按家庭成员计）为([\d.]+)%（95%置信区间[^，]+，有效回答([\d,]+)份）", text)
    assert match, text[:2000]
    n = int(match[2].replace(",", ""))
    assert n <= len(victims) and n > report.meta["n_valid"]        # entries, more than respondents
    render_every_format(report)
