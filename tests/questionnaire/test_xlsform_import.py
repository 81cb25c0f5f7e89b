"""Six realistic XLSForms: each loads into the expected model, is accepted by
pyxform itself, and validates a correct and an incorrect answer set.

Together the forms use every supported question type, every column and every
expression function and operator (checked by the coverage tests at the end).
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from pyxform.xls2xform import convert

from surveyapp.questionnaire import load_file
from surveyapp.questionnaire.compiled import compile_questionnaire, expression_cells
from surveyapp.questionnaire.schema import Group, groups
from surveyapp.questionnaire.validate import validate
from tests.questionnaire.xlsforms import write_xlsform

TODAY = "2026-03-20"
ZH, EN = "label::中文 (zh)", "label::English (en)"

AGREE5 = [("1", "非常不同意", "Strongly disagree"), ("2", "不同意", "Disagree"), ("3", "一般", "Neutral"),
          ("4", "同意", "Agree"), ("5", "非常同意", "Strongly agree")]

# --- 1. 社区居民安全感调查: bilingual, Likert matrix, exclusive choice, channels, study ----
RESIDENTS = {
    "survey": [
        ("type", "name", ZH, EN, "hint::中文 (zh)", "hint::English (en)", "required",
         "required_message::中文 (zh)", "required_message::English (en)", "constraint",
         "constraint_message::中文 (zh)", "constraint_message::English (en)", "appearance", "calculation"),
        ("note", "intro", "欢迎参加本次社区安全感调查。", "Welcome to the community safety survey."),
        ("acknowledge", "consent", "我已了解调查目的并同意参加", "I understand and agree to take part",
         None, None, "yes", "请先确认同意", "Please agree first"),
        ("integer", "age", "您的年龄", "Your age", "周岁", "Years", "yes", None, None,
         ". >= 16 and . <= 120", "年龄应在16到120岁之间", "Age must be between 16 and 120"),
        ("select_one gender", "gender", "您的性别", "Gender", None, None, None, None, None, None, None, None,
         "minimal"),
        ("begin_group", "safety", "您对以下说法的同意程度", "How far do you agree", None, None, None, None, None,
         None, None, None, "table-list"),
        ("select_one agree5", "s_day", "白天独自走在社区里感到安全", "Safe alone in the day", None, None, "yes"),
        ("select_one agree5", "s_night", "夜间独自走在社区里感到安全", "Safe alone at night", None, None, "yes"),
        ("select_one agree5", "s_home", "晚上独自在家感到安全", "Safe at home at night", None, None, "yes"),
        ("end_group",),
        ("calculate", "safety_score", None, None, None, None, None, None, None, None, None, None, None,
         "(number(${s_day}) + number(${s_night}) + number(${s_home})) div 3"),
        ("select_multiple worries", "worries", "您最担心的治安问题（可多选）", "Your safety worries"),
        ("text", "comment", "您对社区治安的其他意见", "Other comments", None, None, None, None, None, None,
         None, None, "multiline"),
    ],
    "choices": [
        ("list_name", "name", ZH, EN, "exclusive"),
        ("gender", "m", "男", "Male"), ("gender", "f", "女", "Female"),
        *[("agree5", *row) for row in AGREE5],
        ("worries", "theft", "入室盗窃", "Burglary"), ("worries", "fraud", "电信网络诈骗", "Phone fraud"),
        ("worries", "traffic", "交通安全", "Traffic"), ("worries", "none", "都不担心", "None", "yes"),
        ("channels", "donghu", "东湖社区", "Donghu"), ("channels", "xishan", "西山社区", "Xishan"),
    ],
    "settings": [
        ("form_title", "form_id", "version", "default_language", "allow_multiple", "study_organisation",
         "study_purpose", "study_population", "study_period", "study_sampling", "study_contact"),
        ("社区居民安全感调查", "residents_safety", "2026031501", "中文 (zh)", "no", "某市公安局东城分局",
         "了解居民安全感", "辖区16岁以上常住居民", "2026年3月", "stratified", "办公室 0000-0000000"),
    ],
}

# --- 2. 被害经历调查: Chinese only, or_other, expression-required, date, decimal -----------
VICTIMS = {
    "survey": [
        ("type", "name", "label", "required", "required_message", "relevant", "constraint",
         "constraint_message", "calculation", "appearance"),
        ("select_multiple crimes", "crimes", "过去一年您是否遭遇过以下情况？", "yes"),
        ("select_one yn", "reported", "您是否报警？", None, None,
         "count-selected(${crimes}) > 0 and not(selected(${crimes}, 'none'))"),
        ("select_one why or_other", "why_not", "没有报警的主要原因", None, None, "${reported} = 'no'"),
        ("date", "incident_date", "最近一次发生的日期", None, None,
         "${crimes} != '' and not(selected(${crimes}, 'none'))",
         ". <= today() and . >= '2025-01-01'", "日期应在2025年1月1日到今天之间"),
        ("decimal", "loss", "经济损失（元）", "selected(${crimes}, 'fraud') or selected(${crimes}, 'theft')",
         "遭遇诈骗或盗窃时请填写损失金额", "not(selected(${crimes}, 'none'))", ". >= 0 and . < 10000000"),
        ("calculate", "victim", None, None, None, None, None, None, "if(selected(${crimes}, 'none'), 0, 1)"),
        ("calculate", "n_crimes", None, None, None, None, None, None,
         "count-selected(${crimes}) - if(selected(${crimes}, 'none'), 1, 0)"),
        ("text", "detail", "请简要描述经过", None, None, "${victim} = 1", "string-length(.) >= 5",
         "请至少写5个字", None, "multiline"),
    ],
    "choices": [
        ("list_name", "name", "label", "exclusive"),
        ("crimes", "theft", "盗窃"), ("crimes", "fraud", "电信网络诈骗"), ("crimes", "assault", "殴打或伤害"),
        ("crimes", "none", "以上都没有", "yes"),
        ("yn", "yes", "是"), ("yn", "no", "否"),
        ("why", "minor", "损失太小"), ("why", "useless", "觉得报警没用"), ("why", "fear", "害怕报复"),
    ],
    "settings": [("form_title", "form_id"), ("被害经历调查", "victimisation")],
}

# --- 3. 警民接触与满意度: choice_filter cascade, rank, regex, default, likert ---------------
CONTACT = {
    "survey": [
        ("type", "name", ZH, EN, "required", "relevant", "choice_filter", "constraint",
         "constraint_message::中文 (zh)", "constraint_message::English (en)", "default", "appearance"),
        ("select_one street", "street", "您居住的街道", "Street", "yes"),
        ("select_one community", "community", "您居住的社区", "Community", "yes", None, "street = ${street}"),
        ("select_one grid", "grid", "所在警务区", "Police grid", None, None, "community = ${community}"),
        ("integer", "contacts", "过去一年与民警接触的次数", "Contacts with police last year", None, None, None,
         ". >= 0 and . <= 365", "次数应在0到365之间", "Between 0 and 365", "0"),
        ("select_one contact", "contact_type", "最近一次接触的原因", "Reason of last contact", None,
         "${contacts} > 0"),
        ("select_one sat5", "satisfaction", "您对那次接触的满意度", "Satisfaction", None, "${contacts} >= 1",
         None, None, None, None, None, "likert"),
        ("rank priorities", "priorities", "请按重要性对以下警务工作排序", "Rank these police tasks"),
        ("text", "officer", "如记得，请填写民警警号", "Officer number, if known", None, None, None,
         "regex(., '^[0-9]{6}$')", "警号为6位数字", "Six digits"),
    ],
    "choices": [
        ("list_name", "name", ZH, EN, "street", "community"),
        ("street", "s1", "东城街道", "East"), ("street", "s2", "西城街道", "West"),
        ("community", "c11", "一社区", "C11", "s1"), ("community", "c12", "二社区", "C12", "s1"),
        ("community", "c21", "三社区", "C21", "s2"),
        ("grid", "g111", "一警务区", "G111", None, "c11"), ("grid", "g121", "二警务区", "G121", None, "c12"),
        ("grid", "g211", "三警务区", "G211", None, "c21"), ("grid", "g212", "四警务区", "G212", None, "c21"),
        ("contact", "report", "报警求助", "Reported"), ("contact", "traffic", "交通事故处理", "Traffic"),
        ("contact", "admin", "办理证件", "Paperwork"),
        *[("sat5", code, zh, en) for code, zh, en in AGREE5],
        ("priorities", "patrol", "街面巡逻", "Patrol"), ("priorities", "fraud", "反诈宣传", "Anti-fraud"),
        ("priorities", "traffic", "交通管理", "Traffic"), ("priorities", "dispute", "矛盾纠纷调解", "Mediation"),
        ("channels", "grid1", "一警务区", "Grid 1"), ("channels", "grid2", "二警务区", "Grid 2"),
    ],
    "settings": [("form_title", "form_id", "default_language"), ("警民接触与满意度调查", "police_contact", "zh")],
}

# --- 4. 社区巡逻记录: arithmetic, int/concat/coalesce/true/false, NaN handling ------------
PATROL = {
    "survey": [
        ("type", "name", "label", "hint", "required", "relevant", "constraint", "constraint_message",
         "calculation", "default"),
        ("date", "patrol_date", "巡逻日期", "年-月-日", "yes", None, ". <= today()", "日期不能晚于今天", None,
         "2026-03-01"),
        ("select_one team", "team", "巡逻队", None, "true()"),
        ("integer", "hours", "巡逻时长（小时）", None, "yes", None, ". > 0 and . mod 2 >= 0 and . <= 24",
         "时长应在1到24小时之间"),
        ("decimal", "distance", "巡逻里程（公里）", None, None, None, ". >= 0"),
        ("calculate", "speed", None, None, None, None, None, None, "${distance} div ${hours}"),
        ("calculate", "km", None, None, None, None, None, None, "int(${distance})"),
        ("calculate", "long_shift", None, None, None, None, None, None, "if(${hours} >= 8, true(), false())"),
        ("calculate", "overtime", None, None, None, None, None, None,
         "if(${hours} - 8 > 0, (${hours} - 8) * 1.5, 0)"),
        ("calculate", "code", None, None, None, None, None, None, "concat(${team}, '-', ${patrol_date})"),
        ("integer", "incidents", "处置警情数", None, "false()", None, ". >= 0", None, None, "0"),
        ("text", "remark", "备注", None, None, "true()"),
        ("calculate", "remark_or_none", None, None, None, None, None, None, "coalesce(${remark}, '无')"),
        ("note", "check", "请核对后提交"),
    ],
    "choices": [("list_name", "name", "label"), ("team", "t1", "一队"), ("team", "t2", "二队")],
    "settings": [
        ("form_title", "form_id", "allow_multiple", "study_organisation", "study_sampling"),
        ("社区巡逻记录", "patrol_log", "yes", "东城派出所", "convenience"),
    ],
}

# --- 5. 反诈宣传效果评估: select_multiple or_other with exclusive, second matrix, regex ---
FRAUD = {
    "survey": [
        ("type", "name", ZH, EN, "required", "relevant", "constraint", "appearance", "calculation"),
        ("acknowledge", "consent", "我同意参与本次调查", "I agree to take part", "yes"),
        ("select_multiple source or_other", "source", "您从哪些渠道了解过反诈知识？", "Where did you learn "
         "about fraud?", "yes"),
        ("begin_group", "knowledge", "请判断以下说法", "True or false?", None,
         "not(selected(${source}, 'none'))", None, "table-list"),
        ("select_one tf", "k1", "公检法不会通过电话要求转账", "Police never ask for transfers by phone"),
        ("select_one tf", "k2", "刷单返利都是诈骗", "Paid-review jobs are scams"),
        ("end_group",),
        ("calculate", "score", None, None, None, None, None, None,
         "(if(${k1} = 'true', 1, 0) + if(${k2} = 'true', 1, 0)) * 50"),
        ("text", "phone", "愿意接收反诈提醒的手机号", "Mobile number for alerts", None, None,
         "regex(., '^1[0-9]{10}$') and string-length(.) = 11"),
        ("integer", "calls", "过去一个月接到可疑电话的次数", "Suspicious calls last month", None, None, ". >= 0"),
    ],
    "choices": [
        ("list_name", "name", ZH, EN, "exclusive"),
        ("source", "app", "国家反诈中心APP", "Anti-fraud app"), ("source", "police", "民警上门宣传", "Police visit"),
        ("source", "media", "新闻媒体", "News"), ("source", "none", "没有了解过", "Nowhere", "yes"),
        ("tf", "true", "正确", "True"), ("tf", "false", "错误", "False"), ("tf", "dk", "不知道", "Don't know"),
    ],
    "settings": [("form_title", "form_id", "default_language"), ("反诈宣传效果评估", "anti_fraud", "中文 (zh)")],
}

# --- 6. 校园周边安全: English default, nested groups with relevance -----------------------
SCHOOL = {
    "survey": [
        ("type", "name", EN, ZH, "required", "relevant", "constraint", "appearance"),
        ("select_one role", "role", "Your role", "您的身份", "yes"),
        ("begin_group", "parents", "For parents", "家长填写", None, "${role} = 'parent'"),
        ("integer", "child_age", "Child's age", "孩子的年龄", "yes", None, ". >= 3 and . <= 18"),
        ("begin_group", "commute", "The way to school", "上学路上", None, "${child_age} < 12"),
        ("select_one yn", "escorted", "Is the child escorted?", "是否有人接送", "yes"),
        ("select_multiple risks", "risks", "Risks on the way", "路上的风险", None, None, None, "minimal"),
        ("end_group",),
        ("end_group",),
        ("select_one yn", "seen_patrol", "Seen the school patrol?", "是否见过护学岗民警"),
        ("text", "suggestion", "Suggestions", "您的建议"),
    ],
    "choices": [
        ("list_name", "name", EN, ZH),
        ("role", "parent", "Parent", "家长"), ("role", "teacher", "Teacher", "教师"),
        ("role", "resident", "Resident", "周边居民"),
        ("yn", "yes", "Yes", "是"), ("yn", "no", "No", "否"),
        ("risks", "traffic", "Traffic", "交通"), ("risks", "strangers", "Strangers", "陌生人"),
        ("risks", "bullying", "Bullying", "校园欺凌"),
    ],
    "settings": [
        ("form_title", "form_id", "default_language", "study_organisation", "study_sampling", "study_period"),
        ("School surroundings safety", "school_safety", "English (en)", "市公安局治安支队", "cluster", "2026 spring"),
    ],
}

FORMS = {"residents": RESIDENTS, "victims": VICTIMS, "contact": CONTACT, "patrol": PATROL, "fraud": FRAUD,
         "school": SCHOOL}


@pytest.fixture(scope="module")
def paths(tmp_path_factory) -> dict[str, Path]:
    """Every form written once as an .xlsx file."""
    directory = tmp_path_factory.mktemp("xlsforms")
    return {name: write_xlsform(directory, name, **sheets) for name, sheets in FORMS.items()}


@pytest.fixture(scope="module")
def forms(paths):
    """Every form loaded."""
    return {name: load_file(path) for name, path in paths.items()}


def check(form, answers):
    """Validate ``answers`` against a loaded form on a fixed day."""
    return validate(compile_questionnaire(form), answers, today=TODAY)


def codes(result) -> dict[str, str]:
    """{field: error code} of a validation."""
    return {e.field: e.code for e in result.errors}


@pytest.mark.parametrize("name", sorted(FORMS))
def test_pyxform_accepts(paths, name):
    """Does pyxform itself convert the workbook without raising?"""
    result = convert(xlsform=str(paths[name]), validate=False)
    assert "<h:html" in result.xform


# --- 1. residents -----------------------------------------------------------------------

def test_residents_model(forms):
    """Does the bilingual residents form load with its matrix, languages, channels and study?"""
    q = forms["residents"]
    assert q.form_id == "residents_safety" and q.version == "2026031501"
    assert q.default_language == "zh" and q.languages == ("zh", "en")
    assert q.title == {"zh": "社区居民安全感调查"}
    types = {x.name: x.type for x in q.questions()}
    assert types == {"intro": "note", "consent": "acknowledge", "age": "integer", "gender": "select_one",
                     "s_day": "select_one", "s_night": "select_one", "s_home": "select_one",
                     "safety_score": "calculate", "worries": "select_multiple", "comment": "text"}
    matrix = next(g for g in groups(q.items) if g.name == "safety")
    assert matrix.is_matrix and {c.list_name for c in matrix.children} == {"agree5"}
    assert [c.value for c in q.choices["worries"] if c.exclusive] == ["none"]
    assert "channels" not in q.choices
    assert [(c.code, c.label) for c in q.channels] == [("donghu", {"zh": "东湖社区", "en": "Donghu"}),
                                                     ("xishan", {"zh": "西山社区", "en": "Xishan"})]
    assert q.study.organisation == "某市公安局东城分局" and q.study.sampling == "stratified"
    assert q.study.period == "2026年3月" and q.allow_multiple is False
    age = q.question("age")
    assert age.hint == {"zh": "周岁", "en": "Years"} and age.required == "true()"
    assert age.constraint_message == {"zh": "年龄应在16到120岁之间", "en": "Age must be between 16 and 120"}
    assert q.question("consent").required_message == {"zh": "请先确认同意", "en": "Please agree first"}
    assert q.question("comment").appearance == "multiline" and q.question("gender").appearance == "minimal"


def test_residents_valid(forms):
    """Does a complete residents answer pass and store the computed safety score?"""
    result = check(forms["residents"], {
        "consent": True, "age": "34", "gender": "f", "s_day": "5", "s_night": "2", "s_home": "5",
        "worries": ["theft", "fraud"], "comment": "  希望夜间多巡逻 "})
    assert result.ok, result.errors
    assert result.values == {"consent": True, "age": 34, "gender": "f", "s_day": "5", "s_night": "2",
                             "s_home": "5", "safety_score": 4, "worries": ["theft", "fraud"],
                             "comment": "希望夜间多巡逻"}


def test_residents_invalid(forms):
    """Does a bad residents answer give the age, matrix, exclusivity and consent errors?"""
    result = check(forms["residents"], {"age": 15, "s_day": "6", "s_night": "3", "worries": ["none", "theft"],
                                        "intro": "x"})
    assert codes(result) == {"consent": "required", "age": "constraint", "s_day": "invalid_choice",
                             "s_home": "required", "worries": "exclusive_choice", "intro": "not_answerable"}
    errors = {e.field: e for e in result.errors}
    assert errors["age"].text("en") == "Age must be between 16 and 120"
    assert errors["consent"].text("zh") == "请先确认同意"
    assert result.values["safety_score"] is None  # NaN from the missing rows is not stored


# --- 2. victims -------------------------------------------------------------------------

def test_victims_model(forms):
    """Does or_other add the 'other' text question and does the unnamed language become zh?"""
    q = forms["victims"]
    assert q.languages == ("zh",) and q.title == {"zh": "被害经历调查"}
    why = q.question("why_not")
    assert why.or_other and why.list_name == "why"
    other = q.question("why_not_other")
    assert other.type == "text" and other.required == "true()"
    assert other.relevant == "selected(${why_not}, 'other')"
    assert q.question("loss").required == "selected(${crimes}, 'fraud') or selected(${crimes}, 'theft')"
    assert q.question("loss").required_message == {"zh": "遭遇诈骗或盗窃时请填写损失金额"}
    assert [x.name for x in q.questions() if x.type == "calculate"] == ["victim", "n_crimes"]


def test_victims_valid(forms):
    """Does a victim's answer with an 'other' reason pass and compute victim and n_crimes?"""
    result = check(forms["victims"], {
        "crimes": "fraud theft", "reported": "no", "why_not": "other", "why_not_other": "不知道怎么报",
        "incident_date": "2026-01-05", "loss": "1200.50", "detail": "接到假冒客服电话被骗"})
    assert result.ok, result.errors
    assert result.values == {"crimes": ["fraud", "theft"], "reported": "no", "why_not": "other",
                             "why_not_other": "不知道怎么报", "incident_date": "2026-01-05", "loss": 1200.5,
                             "victim": 1, "n_crimes": 2, "detail": "接到假冒客服电话被骗"}


def test_victims_non_victim(forms):
    """Does 'none of these' make the follow-ups irrelevant and compute victim = 0?"""
    result = check(forms["victims"], {"crimes": ["none"]})
    assert result.ok and result.values == {"crimes": ["none"], "victim": 0, "n_crimes": 0}


def test_victims_invalid(forms):
    """Do a missing loss, a missing 'other' text, a future date and an irrelevant answer all fail?"""
    result = check(forms["victims"], {
        "crimes": ["fraud"], "reported": "yes", "why_not": "fear", "why_not_other": "",
        "incident_date": "2026-04-01", "detail": "被骗"})
    assert codes(result) == {"why_not": "not_relevant", "incident_date": "constraint", "loss": "required",
                             "detail": "constraint"}
    errors = {e.field: e for e in result.errors}
    assert errors["loss"].text("zh") == "遭遇诈骗或盗窃时请填写损失金额"
    assert errors["incident_date"].text("zh") == "日期应在2025年1月1日到今天之间"
    other = check(forms["victims"], {"crimes": ["theft"], "reported": "no", "why_not": "other", "loss": 0})
    assert codes(other) == {"why_not_other": "required"}


# --- 3. contact -------------------------------------------------------------------------

def test_contact_model(forms):
    """Does the cascade keep its filter columns and the rank list, with 'zh' as default language?"""
    q = forms["contact"]
    assert q.default_language == "zh" and q.languages == ("zh", "en")
    assert q.question("community").choice_filter == "street = ${street}"
    assert {c.value: c.columns for c in q.choices["community"]} == {
        "c11": {"street": "s1"}, "c12": {"street": "s1"}, "c21": {"street": "s2"}}
    assert q.choices["grid"][0].columns == {"community": "c11"}
    assert q.question("priorities").type == "rank" and q.question("priorities").list_name == "priorities"
    assert q.question("contacts").default == "0" and q.question("satisfaction").appearance == "likert"
    assert [c.code for c in q.channels] == ["grid1", "grid2"]
    assert q.study.sampling == "convenience"


def test_contact_valid(forms):
    """Does a consistent cascade with a full ranking pass?"""
    result = check(forms["contact"], {
        "street": "s2", "community": "c21", "grid": "g212", "contacts": 3, "contact_type": "traffic",
        "satisfaction": 4, "priorities": ["fraud", "patrol", "dispute", "traffic"], "officer": "012345"})
    assert result.ok, result.errors
    assert result.values["satisfaction"] == "4" and result.values["contacts"] == 3
    assert result.values["priorities"] == ["fraud", "patrol", "dispute", "traffic"]


def test_contact_invalid(forms):
    """Do a community outside the street, a partial ranking and a bad officer number fail?"""
    result = check(forms["contact"], {
        "street": "s1", "community": "c21", "grid": "g211", "contacts": 0, "contact_type": "report",
        "priorities": ["fraud", "patrol"], "officer": "12345"})
    assert codes(result) == {"community": "invalid_choice", "grid": "invalid_choice",
                             "contact_type": "not_relevant", "priorities": "expected_ranking",
                             "officer": "constraint"}
    officer = next(e for e in result.errors if e.field == "officer")
    assert (officer.text("zh"), officer.text("en")) == ("警号为6位数字", "Six digits")


# --- 4. patrol --------------------------------------------------------------------------

def test_patrol_model(forms):
    """Does the patrol log keep its defaults, expression-required cells and allow_multiple?"""
    q = forms["patrol"]
    assert q.allow_multiple is True and q.study.organisation == "东城派出所"
    assert q.question("patrol_date").default == "2026-03-01"
    assert q.question("team").required == "true()" and q.question("incidents").required is None
    assert q.question("remark").relevant == "true()" and q.question("check").type == "note"


def test_patrol_valid(forms):
    """Are speed, km, overtime, code and remark_or_none computed and stored?"""
    result = check(forms["patrol"], {"patrol_date": "2026-03-19", "team": "t2", "hours": "10",
                                     "distance": 12.5, "incidents": "2"})
    assert result.ok, result.errors
    assert result.values == {"patrol_date": "2026-03-19", "team": "t2", "hours": 10, "distance": 12.5,
                             "speed": 1.25, "km": 12, "long_shift": True, "overtime": 3, "code": "t2-2026-03-19",
                             "incidents": 2, "remark_or_none": "无"}


def test_patrol_invalid(forms):
    """Do zero hours, a future date and a note answer fail, leaving speed unset (NaN)?"""
    result = check(forms["patrol"], {"patrol_date": "2026-03-21", "team": "t1", "hours": 0,
                                     "distance": "5", "check": "ok", "remark": "正常"})
    assert codes(result) == {"patrol_date": "constraint", "hours": "constraint", "check": "not_answerable"}
    assert result.values["speed"] is None and result.values["overtime"] == 0
    assert result.values["long_shift"] is False
    assert result.values["remark_or_none"] == "正常"


# --- 5. fraud ---------------------------------------------------------------------------

def test_fraud_model(forms):
    """Is the second matrix a group with relevance, and does or_other work on a select_multiple?"""
    q = forms["fraud"]
    knowledge = next(g for g in groups(q.items) if g.name == "knowledge")
    assert isinstance(knowledge, Group) and knowledge.is_matrix
    assert knowledge.relevant == "not(selected(${source}, 'none'))"
    assert q.question("source").or_other and q.question("source_other").type == "text"
    assert q.question("consent").type == "acknowledge"


def test_fraud_valid(forms):
    """Does an answer with 'other' and its text pass and compute the knowledge score?"""
    result = check(forms["fraud"], {"consent": "yes", "source": ["app", "other"], "source_other": "社区讲座",
                                    "k1": "true", "k2": "dk", "phone": "13800138000", "calls": "0"})
    assert result.ok, result.errors
    assert result.values["score"] == 50 and result.values["source"] == ["app", "other"]


def test_fraud_invalid(forms):
    """Do 'none' with 'other', answers in the hidden matrix and a bad phone all fail?"""
    result = check(forms["fraud"], {"consent": False, "source": ["none", "other"], "k1": "true",
                                    "phone": "1380013800", "calls": -1})
    assert codes(result) == {"consent": "expected_acknowledge", "source": "exclusive_choice",
                             "phone": "constraint", "calls": "constraint"}
    hidden = check(forms["fraud"], {"consent": True, "source": ["none"], "k1": "true"})
    assert codes(hidden) == {"k1": "not_relevant"}


# --- 6. school --------------------------------------------------------------------------

def test_school_model(forms):
    """Does an English-default form list its languages English first, with nested groups?"""
    q = forms["school"]
    assert q.default_language == "en" and q.languages == ("en", "zh")
    assert q.title == {"en": "School surroundings safety"}
    parents = q.items[1]
    assert isinstance(parents, Group) and parents.relevant == "${role} = 'parent'"
    assert isinstance(parents.children[1], Group) and parents.children[1].name == "commute"
    assert q.study.sampling == "cluster" and q.study.period == "2026 spring"


def test_school_valid(forms):
    """Does a parent of a young child answer the nested group and pass?"""
    result = check(forms["school"], {"role": "parent", "child_age": 8, "escorted": "yes",
                                     "risks": ["traffic", "strangers"], "seen_patrol": "no"})
    assert result.ok, result.errors
    teacher = check(forms["school"], {"role": "teacher", "suggestion": "增加护学岗"})
    assert teacher.ok and teacher.values == {"role": "teacher", "suggestion": "增加护学岗"}


def test_school_invalid(forms):
    """Does the inner group's relevance hide its questions, and is the parent's age required?"""
    older = check(forms["school"], {"role": "parent", "child_age": 14, "escorted": "no"})
    assert codes(older) == {"escorted": "not_relevant"}
    teacher = check(forms["school"], {"role": "teacher", "child_age": 30})
    assert codes(teacher) == {"child_age": "not_relevant"}
    parent = check(forms["school"], {"role": "parent"})
    assert codes(parent) == {"child_age": "required"}


# --- coverage of the six forms together -----------------------------------------------

ALL_TYPES = {"select_one", "select_multiple", "rank", "integer", "decimal", "text", "date", "note",
             "calculate", "acknowledge"}
FUNCTIONS = {"selected", "count-selected", "string-length", "regex", "if", "coalesce", "today", "int",
             "number", "concat", "true", "false", "not"}
OPERATORS = {"=", "!=", "<", "<=", ">", ">=", "and", "or", "+", "-", "*", "div", "mod", "."}


def test_forms_cover_every_type_and_column(forms):
    """Do the six forms together use every type and every column the brief lists?"""
    questions = [x for q in forms.values() for x in q.questions()]
    assert {x.type for x in questions} == ALL_TYPES
    for column in ("hint", "required_message", "relevant", "constraint", "constraint_message",
                   "choice_filter", "calculation", "default", "appearance"):
        assert any(getattr(x, column) for x in questions), column
    assert any(x.or_other for x in questions) and any(x.required == "true()" for x in questions)
    assert any(x.required not in (None, "true()") for x in questions)
    assert any(x.appearance == "multiline" for x in questions)
    assert any(x.type == "text" and not x.appearance for x in questions)
    assert sum(g.is_matrix for q in forms.values() for g in groups(q.items)) == 2
    assert any(c.exclusive for q in forms.values() for cs in q.choices.values() for c in cs)


def test_forms_cover_every_function_and_operator(forms):
    """Do the six forms' expressions use every function and operator the engine supports?"""
    compiled = [compile_questionnaire(q) for q in forms.values()]
    used = set().union(*(e.functions for c in compiled for e in c.expressions.values()))
    assert used >= FUNCTIONS
    texts = [text for q in forms.values() for _, _, text in expression_cells(q)]
    tokens = set()
    for text in texts:
        stripped = re.sub(r"'[^']*'|\$\{[^}]*\}", " ", text)
        tokens |= set(re.findall(r"!=|<=|>=|[=<>+*.-]|\band\b|\bor\b|\bdiv\b|\bmod\b", stripped))
    assert tokens >= OPERATORS
    assert any("${" in text for text in texts)


def test_excel_cell_types(tmp_path):
    """Do Excel booleans, numbers and date cells, spaced type words and mixed case load as meant?"""
    path = write_xlsform(tmp_path, "cells", [
        ("type", "name", "label", "required", "default"),
        ("begin group", "grp", "分组"),
        ("date", "day", "日期", True, datetime.date(2026, 3, 1)),
        ("integer", "n", "人数", False, 5),
        ("decimal", "x", "金额", "TRUE", 2.5),
        ("end group",),
        ("Select_One YN", "s", "选择", "Yes", 1),
    ], [("list name", "name", "label"), ("YN", 1, "是"), ("YN", 2, "否")])
    q = load_file(path)
    assert isinstance(q.items[0], Group) and q.items[0].name == "grp"
    day, n, x, s = q.questions()
    assert (day.required, day.default) == ("true()", "2026-03-01")
    assert (n.required, n.default, x.required, x.default) == (None, "5", "true()", "2.5")
    assert (s.type, s.list_name, s.default) == ("select_one", "YN", "1")
    assert [c.value for c in q.choices["YN"]] == ["1", "2"]


@pytest.mark.parametrize("spelling", ["or_other", "or other", "or specify other"])
def test_or_other_spellings(tmp_path, spelling):
    """Does every or_other spelling pyxform accepts add the 'other' text question?"""
    path = write_xlsform(tmp_path, "other", [("type", "name", "label"), (f"select_one yn {spelling}", "q", "问题")],
                         [("list_name", "name", "label"), ("yn", "yes", "是"), ("yn", "no", "否")])
    convert(xlsform=str(path), validate=False)
    q = load_file(path)
    assert q.question("q").or_other and q.question("q").list_name == "yn"
    assert q.question("q_other").relevant == "selected(${q}, 'other')"
