"""XLSForms written the many ways pyxform accepts (openpyxl-built workbooks): header case, spaces
and aliases, type aliases, languages, XML names, settings, metadata rows, the refused features
named with their row, and rosters valid and invalid."""

from __future__ import annotations

import pytest

from surveyapp.questionnaire import QuestionnaireError, load_file
from surveyapp.questionnaire.compiled import compile_questionnaire
from surveyapp.questionnaire.loader import check_file
from surveyapp.questionnaire.schema import Repeat
from surveyapp.questionnaire.validate import validate
from tests.questionnaire.xlsforms import choices_sheet, settings_sheet, write_xlsform

YN = {"yn": [("yes", "是"), ("no", "否")]}


def load(tmp_path, survey, choices=None, settings=None, name="form"):
    return load_file(write_xlsform(tmp_path, name, survey, choices, settings))


def refused(tmp_path, survey, choices=None, settings=None, extra=None):
    with pytest.raises(QuestionnaireError) as info:
        load_file(write_xlsform(tmp_path, "refused", survey, choices, settings, extra))
    return info.value.problems


@pytest.mark.parametrize("header, language", [
    (("type", "name", "label"), None),
    (("Type", "Name", "Label"), None),
    (("TYPE", " name ", "label"), None),
    (("type", "name", "label:English"), "en"),
    (("type", "name", "label::English"), "en"),
    (("type", "name", "label::English (en)"), "en"),
    (("type", "name", "label::中文 (zh)"), "zh"),
    (("type", "name", "label::Chinese (zh)"), "zh"),
])
def test_survey_header_spellings(tmp_path, header, language):
    """Header case, stray spaces and every label:language spelling read the same question."""
    form = load(tmp_path, [header, ("select_one yn", "q1", "是否满意")], choices_sheet(YN, ("list_name", "name",
                                                                                          header[2])))
    question = form.question("q1")
    assert question is not None and question.type == "select_one" and question.list_name == "yn"
    assert "是否满意" in question.label.values()
    if language:
        assert question.label.get(language) == "是否满意"
        assert form.choices["yn"][0].label.get(language) == "是"


@pytest.mark.parametrize("list_header", ["list_name", "list name", "List Name", "LIST_NAME"])
def test_choices_list_name_spellings(tmp_path, list_header):
    form = load(tmp_path, [("type", "name", "label"), ("select_one yn", "q1", "问")],
                choices_sheet(YN, (list_header, "name", "label")))
    assert [c.value for c in form.choices["yn"]] == ["yes", "no"]


@pytest.mark.parametrize("spelling, kind, extra", [
    ("select one from yn", "select_one", {}),
    ("select_one yn", "select_one", {}),
    ("select all that apply from yn", "select_multiple", {}),
    ("select_multiple yn", "select_multiple", {}),
    ("select one yn or specify other", "select_one", {"or_other": True}),
    ("select_one yn or_other", "select_one", {"or_other": True}),
    ("int", "integer", {}),
    ("integer", "integer", {}),
    ("string", "text", {}),
    ("text", "text", {}),
    ("dateTime", "datetime", {}),
    ("datetime", "datetime", {}),
    ("date", "date", {}),
    ("time", "time", {}),
    ("decimal", "decimal", {}),
    ("note", "note", {}),
    ("calculate", "calculate", {}),
])
def test_type_aliases(tmp_path, spelling, kind, extra):
    row = ("type", "name", "label", "calculation")
    form = load(tmp_path, [row, (spelling, "q1", "问", "1 + 1" if spelling == "calculate" else None)],
                choices_sheet(YN))
    question = form.question("q1")
    assert question.type == kind, (spelling, question.type)
    for key, value in extra.items():
        assert getattr(question, key) == value


def test_phone_number_is_text_with_a_digits_check(tmp_path):
    """pyxform's `phone number` type: a text answer that only takes digits (asked, so stored)."""
    form = load(tmp_path, [("type", "name", "label"), ("phone number", "tel", "联系电话")])
    compiled = compile_questionnaire(form)
    assert form.question("tel").type == "text"
    assert validate(compiled, {"tel": "13800000000"}).ok
    assert not validate(compiled, {"tel": "call me"}).ok


def test_range_and_hidden(tmp_path):
    form = load(tmp_path, [("type", "name", "label", "parameters"),
                           ("range", "score", "打分", "start=0 end=10 step=2"),
                           ("hidden", "secret", None, None)])
    compiled = compile_questionnaire(form)
    assert form.question("score").parameters == {"start": "0", "end": "10", "step": "2"}
    assert validate(compiled, {"score": 4}).ok
    assert not validate(compiled, {"score": 5}).ok and not validate(compiled, {"score": 12}).ok
    assert form.question("secret").type == "hidden"


@pytest.mark.parametrize("name", ["hh-safety", "a.b", "_private", "Q1", "x-1.2"])
def test_xml_names(tmp_path, name):
    """Names as XML allows them: letters, digits, _, - and . (and not a leading digit)."""
    form = load(tmp_path, [("type", "name", "label"), ("integer", name, "问")])
    assert form.question(name) is not None


@pytest.mark.parametrize("name", ["1abc", "has space", "a/b"])
def test_names_xml_refuses(tmp_path, name):
    found = refused(tmp_path, [("type", "name", "label"), ("integer", name, "问")])
    assert any(p.location == "sheet 'survey' row 2" for p in found), found


@pytest.mark.parametrize("value, expected", [("Chinese (zh)", "zh"), ("中文 (zh)", "zh"), ("English (en)", "en"),
                                             ("English", "en")])
def test_default_language_as_name_or_name_code(tmp_path, value, expected):
    form = load(tmp_path, [("type", "name", "label::English (en)", "label::中文 (zh)"),
                           ("integer", "age", "Age", "年龄")],
                settings=settings_sheet(form_id="lang", default_language=value))
    assert form.default_language == expected


def test_settings(tmp_path):
    """form_title, form_id, version and allow_choice_duplicates are read; style is ignored."""
    form = load(tmp_path, [("type", "name", "label"), ("select_one yn", "q1", "问")],
                choices_sheet({"yn": [("yes", "是"), ("yes", "是的"), ("no", "否")]}),
                settings_sheet(form_title="我的问卷", form_id="my_form", version="2026.3",
                               allow_choice_duplicates="yes", style="pages theme-grid"))
    assert form.form_id == "my_form" and form.version == "2026.3"
    assert "我的问卷" in form.title.values()
    assert [c.value for c in form.choices["yn"]] == ["yes", "yes", "no"]


def test_duplicate_choices_need_the_setting(tmp_path):
    found = refused(tmp_path, [("type", "name", "label"), ("select_one yn", "q1", "问")],
                    choices_sheet({"yn": [("yes", "是"), ("yes", "是的")]}))
    assert any(p.code == "duplicate_choice" for p in found), [p.code for p in found]


def test_metadata_rows_feed_timing_or_are_never_collected(tmp_path):
    """start/end/today are the response's own timing; device and subscriber data are never collected,
    with one notice in the check report."""
    path = write_xlsform(tmp_path, "meta", [
        ("type", "name", "label"), ("start", "started", None), ("end", "ended", None), ("today", "day", None),
        ("deviceid", "device", None), ("simserial", "sim", None), ("subscriberid", "sub", None),
        ("phonenumber", "phone", None), ("username", "user", None), ("email", "mail", None),
        ("audit", "audit", None), ("integer", "age", "年龄")])
    built = check_file(path)
    types = {q.name: q.type for q in built.questionnaire.questions()}
    assert types["started"] == "start" and types["ended"] == "end" and types["day"] == "today"
    private = {"device": "deviceid", "sim": "simserial", "sub": "subscriberid", "phone": "phonenumber",
               "user": "username", "mail": "email", "audit": "audit"}
    assert {name: types[name] for name in private} == private
    (notice,) = [n for n in built.notices if "never collected" in n.text("en")]
    assert all(kind in notice.text("en") for kind in private.values()) and "不会被采集" in notice.text("zh")
    compiled = compile_questionnaire(built.questionnaire)
    assert validate(compiled, {"age": 30}).ok
    for name in private:     # a client that sends device data is refused, nothing of it kept
        result = validate(compiled, {"age": 30, name: "imei:123"})
        assert not result.ok and name not in result.values and result.errors[0].field == name


REFUSED = [
    ("image", "photo"), ("photo", "photo2"), ("audio", "voice"), ("video", "clip"), ("file", "upload"),
    ("background-audio", "bg"), ("barcode", "code"), ("geopoint", "where"), ("geotrace", "route"),
    ("geoshape", "area"), ("osm", "map"), ("select_one_from_file places.csv", "place"),
    ("select_multiple_from_file places.csv", "places"), ("select_one_external yn", "ext"),
]


def test_every_refused_feature_is_named_with_its_row_all_at_once(tmp_path):
    survey = [("type", "name", "label", "calculation", "appearance"), ("integer", "age", "年龄", None, None)]
    survey += [(kind, name, "问", None, None) for kind, name in REFUSED]
    survey += [("calculate", "looked_up", None, "pulldata('hh', 'age', 'id', ${age})", None),
               ("select_one yn", "searched", "问", None, "search('people')")]
    found = refused(tmp_path, survey, choices_sheet(YN))
    rows = {p.location for p in found if p.code == "unsupported_feature"}
    expected = {f"sheet 'survey' row {n}" for n in range(3, 3 + len(REFUSED) + 2)}
    assert rows == expected, sorted(expected - rows)
    for problem in found:
        assert problem.text("zh").count("暂不支持") == 1, problem.text("zh")


def test_entities_sheet_is_refused(tmp_path):
    found = refused(tmp_path, [("type", "name", "label"), ("integer", "age", "年龄")],
                    extra={"entities": [("dataset", "label"), ("people", "${age}")]})
    assert any(p.code == "unsupported_feature" for p in found), [p.code for p in found]


ROSTER = [
    ("type", "name", "label", "repeat_count", "constraint", "relevant"),
    ("integer", "hh_size", "家庭人数", None, ". >= 1 and . <= 6", None),
    ("begin repeat", "member", "家庭成员", "${hh_size}", None, None),
    ("select_one sex", "m_sex", "性别", None, None, None),
    ("integer", "m_age", "年龄", None, ". >= 0 and . <= 110", None),
    ("select_one yn", "m_work", "是否工作", None, None, "${m_age} >= 16"),
    ("end repeat", None, None, None, None, None),
]
SEX = {"sex": [("f", "女"), ("m", "男")], **YN}


def roster(tmp_path):
    form = load(tmp_path, ROSTER, choices_sheet(SEX), name="roster")
    return form, compile_questionnaire(form)


def test_roster_model(tmp_path):
    form, _ = roster(tmp_path)
    (repeat,) = form.repeats()
    assert isinstance(repeat, Repeat) and repeat.name == "member" and repeat.count == "${hh_size}"
    assert [q.name for q in repeat.questions()] == ["m_sex", "m_age", "m_work"]


def test_roster_valid(tmp_path):
    _, compiled = roster(tmp_path)
    result = validate(compiled, {"hh_size": 2, "member": [{"m_sex": "f", "m_age": 41, "m_work": "yes"},
                                                          {"m_sex": "m", "m_age": 9}]})
    assert result.ok, result.errors
    assert result.values["member"][1] == {"m_sex": "m", "m_age": 9}


@pytest.mark.parametrize("answers, field", [
    ({"hh_size": 2, "member": [{"m_sex": "f", "m_age": 41}]}, "member"),                       # too few
    ({"hh_size": 1, "member": [{"m_sex": "f", "m_age": 41}, {"m_sex": "m", "m_age": 9}]}, "member"),
    ({"hh_size": 2, "member": [{"m_sex": "f", "m_age": 41}, {"m_sex": "m", "m_age": 140}]}, "member[2].m_age"),
    ({"hh_size": 1, "member": [{"m_sex": "f", "m_age": 9, "m_work": "yes"}]}, "member[1].m_work"),
])
def test_roster_invalid(tmp_path, answers, field):
    """Wrong entry count, a constraint inside an entry, an answer to a question its entry skips."""
    _, compiled = roster(tmp_path)
    result = validate(compiled, answers)
    assert not result.ok
    assert field in {e.field for e in result.errors}, [(e.field, e.code) for e in result.errors]
