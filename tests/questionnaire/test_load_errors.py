"""Broken questionnaire files: every problem is reported with its file, location,
question and message code, in Chinese and English, and all problems at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from surveyapp.questionnaire import Problem, QuestionnaireError, load_file, load_text
from surveyapp.questionnaire.builder import build_checked
from surveyapp.questionnaire.loader import check_file
from surveyapp.questionnaire.yaml_source import read_yaml
from surveyapp.questionnaire.messages import MESSAGES
from tests.questionnaire.xlsforms import choices_sheet, corrupt_xlsx, settings_sheet, write_xlsform

BROKEN = Path(__file__).resolve().parents[1] / "data" / "broken"

HEAD = """\
form_id: broken
choices:
  yn:
    - {name: "yes", label: 是}
    - {name: "no", label: 否}
  street:
    - {name: s1, label: 东街道, region: north}
survey:
  - {type: integer, name: age, label: 年龄}
"""


def problems(text: str, source: str = "broken.yaml") -> list[Problem]:
    """The problems load_text reports for YAML ``text`` (it must fail)."""
    with pytest.raises(QuestionnaireError) as info:
        load_text(text, source)
    return info.value.problems


def notices(text: str, source: str = "broken.yaml") -> list[Problem]:
    """The notices of YAML ``text`` (it must load)."""
    return build_checked(read_yaml(text, source)).notices


def file_problems(path: Path) -> list[Problem]:
    """The problems load_file reports for ``path`` (it must fail)."""
    with pytest.raises(QuestionnaireError) as info:
        load_file(path)
    return info.value.problems


def line_of(text: str, needle: str) -> str:
    """'line N' of the first line of ``text`` containing ``needle``."""
    return next(f"line {n}" for n, line in enumerate(text.splitlines(), 1) if needle in line)


def assert_renders(problem: Problem) -> None:
    """Both languages render, differ, and name the file, location and question."""
    zh, en = problem.text("zh"), problem.text("en")
    assert zh and en and zh != en
    for text in (zh, en):
        assert problem.source in text and problem.location in text
        assert problem.question is None or f"'{problem.question}'" in text
    assert problem.location in str(problem)


def only(found: list[Problem], code: str, location: str, question: str | None, /, **params) -> Problem:
    """The single problem with ``code``; checks its location, question and params."""
    matching = [p for p in found if p.code == code]
    assert len(matching) == 1, found
    problem = matching[0]
    assert (problem.location, problem.question) == (location, question), problem
    assert params.items() <= problem.params.items(), problem.params
    assert_renders(problem)
    return problem


# --- one broken row, YAML ---------------------------------------------------------------

ROW_CASES = [
    # (id, rows appended to HEAD, needle of the reported line, question, code, params)
    ("unknown_type", "  - {type: integr, name: bad, label: 错}", "integr", "bad", "unknown_type",
     {"type": "integr"}),
    ("unsupported_geopoint", "  - {type: geopoint, name: bad, label: 位置}", "geopoint", "bad",
     "unsupported_feature", {"feature": {"zh": "定位题（geopoint）", "en": "location questions (geopoint)"}}),
    ("nested_repeat", "  - {type: begin_repeat, name: outer, label: 外, children: [{type: begin_repeat, "
     "name: bad, label: 内, children: [{type: integer, name: x, label: 数}]}]}", "name: bad", "bad",
     "unsupported_feature", {"feature": {"zh": "嵌套的重复组（repeat 中再套 repeat）", "en": "a repeat inside a repeat"}}),
    ("missing_type", "  - {name: bad, label: 无题型}", "无题型", "bad", "missing_type", {}),
    ("missing_name", "  - {type: integer, label: 无名称}", "无名称", None, "missing_name", {}),
    ("bad_name_digit", "  - {type: integer, name: 2bad, label: 名称}", "2bad", "2bad", "bad_name",
     {"name": "2bad"}),
    ("bad_name_space", "  - {type: integer, name: 'age two', label: 名称}", "age two", "age two", "bad_name", {}),
    ("bad_name_dash", "  - {type: integer, name: '-age', label: 名称}", "-age", "-age", "bad_name", {}),
    ("missing_label", "  - {type: integer, name: bad}", "name: bad", "bad", "missing_label", {}),
    ("missing_label_note", "  - {type: note, name: bad}", "name: bad", "bad", "missing_label", {}),
    ("select_without_list", "  - {type: select_one, name: bad, label: 无列表}", "无列表", "bad", "missing_list",
     {"type": "select_one"}),
    ("rank_without_list", "  - {type: rank, name: bad, label: 排序}", "排序", "bad", "missing_list",
     {"type": "rank"}),
    ("unknown_list", "  - {type: select_multiple nolist, name: bad, label: 错}", "nolist", "bad",
     "unknown_list", {"list": "nolist"}),
    ("calculate_without_calculation", "  - {type: calculate, name: bad}", "name: bad", "bad",
     "missing_calculation", {}),
    ("bad_default_integer", "  - {type: integer, name: bad, label: 错, default: abc}", "default", "bad",
     "bad_default", {"value": "abc"}),
    ("bad_default_date", "  - {type: date, name: bad, label: 错, default: '2026-02-30'}", "default", "bad",
     "bad_default", {"value": "2026-02-30"}),
    ("bad_default_choice", "  - {type: select_one yn, name: bad, label: 错, default: maybe}", "default", "bad",
     "bad_default", {"value": "maybe"}),
    ("filter_on_non_select", "  - {type: integer, name: bad, label: 错, choice_filter: \"name = 'x'\"}",
     "choice_filter", "bad", "filter_on_non_select", {}),
    ("unknown_reference", "  - {type: integer, name: bad, label: 错, relevant: '${agee} > 18'}", "agee", "bad",
     "unknown_reference", {"column": "relevant", "ref": "agee"}),
    ("later_reference", "  - {type: integer, name: bad, label: 错, relevant: '${after} > 1'}\n"
     "  - {type: integer, name: after, label: 后}", "name: bad", "bad", "later_reference",
     {"column": "relevant", "ref": "after"}),
    ("constraint_later_reference", "  - {type: integer, name: bad, label: 错, constraint: '. < ${after}'}\n"
     "  - {type: integer, name: after, label: 后}", "name: bad", "bad", "later_reference",
     {"column": "constraint", "ref": "after"}),
    ("bare_name", "  - {type: integer, name: bad, label: 错, relevant: 'age > 18'}", "name: bad", "bad",
     "bare_name", {"column": "relevant", "name": "age"}),
    ("required_not_yes_no", "  - {type: integer, name: bad, label: 错, required: maybe}", "maybe", "bad",
     "bad_boolean", {"column": "required", "value": "maybe"}),
    ("empty_list", "  - {type: select_one empty, name: bad, label: 错}\nchoices_extra: here",
     "select_one empty", "bad", "empty_list", {"list": "empty"}),
    ("or_other_clash", "  - {type: select_one yn or_other, name: bad, label: 错}\n"
     "  - {type: text, name: bad_other, label: 其他}", "bad_other", "bad_other", "or_other_clash",
     {"name": "bad_other"}),
]


def _with_rows(rows: str) -> str:
    if "choices_extra" in rows:  # the empty_list case also declares an empty list
        rows = rows.split("\n")[0]
        return HEAD.replace("choices:\n", "choices:\n  empty: []\n") + rows + "\n"
    return HEAD + rows + "\n"


@pytest.mark.parametrize("case", ROW_CASES, ids=[c[0] for c in ROW_CASES])
def test_row_problem(case):
    """Is each broken survey row reported at its line, with its question and message code?"""
    _, rows, needle, question, code, params = case
    text = _with_rows(rows)
    found = problems(text)
    only(found, code, line_of(text, needle), question, **params)


def test_empty_list_is_allowed_when_unused():
    """Is a declared but unused empty choice list harmless (only using it is a problem)?"""
    q = load_text(HEAD.replace("choices:\n", "choices:\n  empty: []\n"), "ok.yaml")
    assert "empty" not in q.choices


@pytest.mark.parametrize("column,cell", [
    ("relevant", "${age} >"), ("constraint", ". >= 16 and"), ("calculation", "if(${age} > 1, 1)"),
    ("choice_filter", "name = 's1"), ("required", "${age} > (1"),
])
def test_bad_expression(column, cell):
    """Does an expression that does not parse name its column and the parser's reason?"""
    qtype = {"calculation": "calculate", "choice_filter": "select_one street"}.get(column, "integer")
    text = HEAD + f"  - {{type: {qtype}, name: bad, label: 错, {column}: \"{cell}\"}}\n"
    problem = only(problems(text), "bad_expression", line_of(text, "name: bad"), "bad", column=column)
    assert problem.params["detail"]
    assert column in problem.text("en") and column in problem.text("zh")


def test_bad_expression_on_group():
    """Is a group's unparseable relevance reported at the group's line and name?"""
    text = HEAD + "  - type: begin_group\n    name: grp\n    label: 组\n    relevant: \"(${age}\"\n" \
                  "    children:\n      - {type: integer, name: inner, label: 内}\n"
    only(problems(text), "bad_expression", line_of(text, "type: begin_group"), "grp", column="relevant")


def test_cycle_between_calculates():
    """Do two calculates that refer to each other give one cycle naming both?"""
    text = HEAD + "  - {type: calculate, name: a, calculation: '${b} + 1'}\n" \
                  "  - {type: calculate, name: b, calculation: '${a} + 1'}\n"
    problem = only(problems(text), "cycle", line_of(text, "name: a,"), "a")
    assert problem.params["path"] == "a → b → a"


def test_relevant_referring_to_itself():
    """Is a relevance on the question itself both a later reference and a cycle?"""
    text = HEAD + "  - {type: integer, name: self_ref, label: 自己, relevant: '${self_ref} > 1'}\n"
    found = problems(text)
    only(found, "cycle", line_of(text, "self_ref"), "self_ref", path="self_ref → self_ref")
    only(found, "later_reference", line_of(text, "self_ref"), "self_ref", ref="self_ref")


def test_group_relevance_on_its_own_question():
    """Is a group relevance that uses a question inside the group a later reference?"""
    text = HEAD + "  - type: begin_group\n    name: grp\n    label: 组\n    relevant: \"${inner} = 1\"\n" \
                  "    children:\n      - {type: integer, name: inner, label: 内}\n"
    only(problems(text), "later_reference", line_of(text, "begin_group"), "grp", ref="inner")


def test_duplicate_name_names_both_rows():
    """Does a duplicate name report the second row and the first row's line?"""
    text = HEAD + "  - {type: text, name: age, label: 又一个年龄}\n"
    problem = only(problems(text), "duplicate_name", line_of(text, "又一个年龄"), "age",
                   first=line_of(text, "name: age, label: 年龄"))
    assert line_of(text, "name: age, label: 年龄") in problem.text("en")


def test_duplicate_group_and_question_name():
    """Is a group named like an earlier question a duplicate too?"""
    text = HEAD + "  - type: begin_group\n    name: age\n    label: 组\n" \
                  "    children:\n      - {type: integer, name: inner, label: 内}\n"
    only(problems(text), "duplicate_name", line_of(text, "begin_group"), "age")


def test_unbalanced_and_unclosed_groups():
    """Are an end_group without a begin and a begin_group without an end both reported?"""
    text = HEAD + "  - {type: end_group}\n  - {type: begin_group, name: open_grp, label: 组}\n" \
                  "  - {type: integer, name: inner, label: 内}\n"
    found = problems(text)
    only(found, "unbalanced_group", line_of(text, "end_group"), None)
    only(found, "unclosed_group", line_of(text, "open_grp"), "open_grp", name="open_grp")


def test_matrix_rows_on_different_lists():
    """Is a table-list group whose rows use two lists shown as a plain group, with a notice?"""
    text = HEAD + "  - type: begin_group\n    name: grid\n    label: 矩阵\n    appearance: table-list\n" \
                  "    children:\n      - {type: select_one yn, name: r1, label: 一}\n" \
                  "      - {type: select_one street, name: r2, label: 二}\n"
    problem = only(notices(text), "matrix_row", line_of(text, "begin_group"), "grid")
    assert problem.params["detail"] == "street, yn"


def test_matrix_with_a_non_select_row():
    """Is a table-list group with an integer row a plain group, with a notice naming that row?"""
    text = HEAD + "  - type: begin_group\n    name: grid\n    label: 矩阵\n    appearance: table-list\n" \
                  "    children:\n      - {type: select_one yn, name: r1, label: 一}\n" \
                  "      - {type: integer, name: r2, label: 二}\n"
    only(notices(text), "matrix_row", line_of(text, "begin_group"), "grid", detail="r2")
    assert load_text(text).items[1].appearance is None  # shown as a plain group


def test_bad_default_detail_is_translated():
    """Does a bad default explain itself in the reader's language?"""
    text = HEAD + "  - {type: integer, name: bad, label: 错, default: abc}\n"
    problem = only(problems(text), "bad_default", line_of(text, "name: bad"), "bad")
    assert "请输入整数" in problem.text("zh") and "enter a whole number" in problem.text("en")
    assert "请" not in problem.text("en")


# --- choices, settings, study, channels (YAML) ------------------------------------------

def test_duplicate_choice_value():
    """Is a repeated value in one list reported at the repeating choice's line?"""
    text = HEAD.replace('    - {name: "no", label: 否}', '    - {name: "no", label: 否}\n'
                        '    - {name: "yes", label: 对}')
    only(problems(text), "duplicate_choice", line_of(text, "对"), None, list="yn", value="yes")


def test_choice_without_label_or_name():
    """Are a choice without a label and one without a name reported at their lines?"""
    text = HEAD.replace('    - {name: "no", label: 否}', '    - {name: "no"}\n    - {label: 无值}')
    found = problems(text)
    only(found, "missing_choice_name", line_of(text, "无值"), None)
    text = HEAD.replace('    - {name: "no", label: 否}', '    - {name: "no"}')
    only(notices(text), "missing_choice_label", line_of(text, '{name: "no"}'), None, list="yn", value="no")
    assert load_text(text).choices["yn"][1].label == {"zh": "no"}  # pyxform accepts it; its code is shown


def test_choice_exclusive_not_yes_no():
    """Is an 'exclusive' cell that is not yes/no reported instead of read as no?"""
    text = HEAD.replace('{name: "no", label: 否}', '{name: "no", label: 否, exclusive: sometimes}')
    only(problems(text), "bad_boolean", line_of(text, "sometimes"), None, column="exclusive")


def test_bad_sampling_at_study_line():
    """Is an unknown sampling type reported at the study mapping's line?"""
    text = "study: {organisation: 测试所, sampling: snowball}\n" + HEAD
    only(problems(text), "bad_sampling", "line 1", None, value="snowball")
    text = HEAD.replace("choices:", "study:\n  sampling: random\n  colour: red\nchoices:")
    found = problems(text)
    only(found, "bad_sampling", line_of(text, "sampling: random"), None, value="random")
    only(found, "unknown_key", line_of(text, "sampling: random"), None, key="study.colour")


def test_study_not_a_mapping():
    """Is a study that is not a mapping a problem rather than a crash?"""
    only(problems("study: 测试派出所\n" + HEAD), "not_a_mapping", "line 1", None)
    only(problems("study: [a, b]\n" + HEAD), "not_a_mapping", "line 1", None)


def test_duplicate_and_incomplete_channels():
    """Are a repeated channel code and a channel without a label reported at their lines?"""
    text = HEAD + "channels:\n  - {code: c1, label: 一社区}\n  - {code: c1, label: 二社区}\n  - {code: c3}\n"
    found = problems(text)
    only(found, "duplicate_channel", line_of(text, "二社区"), None, code="c1")
    only(found, "bad_channel", line_of(text, "code: c3"), None)


def test_settings_problems():
    """Are a bad form_id, an unknown top-level key and a non yes/no allow_multiple reported?"""
    text = HEAD.replace("form_id: broken", "form_id: 问卷 1\ncolour: blue\nallow_multiple: often")
    found = problems(text)
    only(found, "bad_form_id", "line 1", None, value="问卷 1")
    only(found, "unknown_key", "line 1", None, key="colour")
    only(found, "bad_boolean", "line 1", None, column="allow_multiple", value="often")


def test_structure_problems():
    """Are a survey that is not a list, scalar rows and a questionnaire without questions reported?"""
    only(problems("form_id: x\nsurvey: {a: 1}\n"), "not_a_list", "line 1", None, key="survey")
    text = "form_id: x\nsurvey:\n  - just text\n  - {type: integer, name: a, label: A}\n"
    only(problems(text), "not_a_mapping", "line 3", None)
    only(problems("form_id: x\nsurvey: []\n"), "no_questions", "line 1", None)
    only(problems("- a\n- b\n"), "not_a_mapping", "line 1", None)
    text = "form_id: x\nchoices:\n  yn: {name: y}\nsurvey:\n  - {type: integer, name: a, label: A}\n"
    only(problems(text), "not_a_list", "line 3", None, key="yn")


def test_non_text_cells_do_not_crash():
    """Do numbers and booleans in expression cells load as expressions instead of crashing?"""
    text = "form_id: x\nsurvey:\n  - {type: integer, name: a, label: A, constraint: 5, appearance: 7}\n" \
           "  - {type: calculate, name: c, calculation: 10}\n" \
           "  - {type: begin_group, name: g, label: G, relevant: false, children: [{type: note, name: n, " \
           "label: N}]}\n  - {type: acknowledge, name: ok, label: OK, default: yes}\n"
    q = load_text(text)
    assert q.question("a").constraint == "5" and q.question("a").appearance == "7"
    assert q.question("c").calculation == "10" and q.items[2].relevant == "false()"
    assert q.question("ok").default == "true"


# --- unreadable and unsupported files ---------------------------------------------------

def test_yaml_syntax_error_has_its_line():
    """Does a YAML syntax error name the file and the line where parsing failed?"""
    path = BROKEN / "syntax_error.yaml"
    problem = only(file_problems(path), "unreadable", "line 6", None)
    assert problem.source == "syntax_error.yaml"
    assert "flow mapping" in problem.params["detail"]


def test_yaml_not_utf8(tmp_path):
    """Is a YAML file that is not UTF-8 unreadable rather than a crash?"""
    path = tmp_path / "gbk.yaml"
    path.write_bytes("form_id: 问卷".encode("gbk"))
    only(file_problems(path), "unreadable", "", None)


@pytest.mark.parametrize("content", [b"PK\x03\x04 not really", b"", None], ids=["bytes", "empty", "junk_zip"])
def test_corrupt_xlsx(tmp_path, content):
    """Is a damaged .xlsx reported as unreadable (not a crash)?"""
    path = corrupt_xlsx(tmp_path, "damaged", content)
    problem = only(file_problems(path), "unreadable", "", None)
    assert problem.source == "damaged.xlsx" and problem.params["detail"]


def test_missing_xlsx_file(tmp_path):
    """Does a missing .xlsx say the file does not exist (not 'not a zip file')?"""
    problem = only(file_problems(tmp_path / "gone.xlsx"), "unreadable", "", None)
    assert "No such file" in problem.params["detail"]


@pytest.mark.parametrize("name,suffix", [("form.txt", ".txt"), ("form.docx", ".docx"), ("README", "README")])
def test_unsupported_suffix(tmp_path, name, suffix):
    """Is a file with another suffix rejected by name?"""
    path = tmp_path / name
    path.write_text("x", encoding="utf-8")
    only(file_problems(path), "unsupported_file", "", None, suffix=suffix)


# --- XLSForm locations ------------------------------------------------------------------

SURVEY_HEAD = ("type", "name", "label", "relevant", "choice_filter", "appearance", "default")
YN = {"yn": [("yes", "是"), ("no", "否")]}


def xlsx_problems(tmp_path, survey, choices=None, settings=None) -> list[Problem]:
    """Write a workbook and return the problems loading it reports."""
    sheet = choices_sheet(YN) if choices is None else choices
    return file_problems(write_xlsform(tmp_path, "broken", [SURVEY_HEAD, *survey], sheet, settings))


def test_xlsx_row_numbers_count_blank_rows(tmp_path):
    """Is a problem after a blank row reported at the sheet row a researcher sees?"""
    found = xlsx_problems(tmp_path, [("integer", "age", "年龄"), None, ("integr", "bad", "错")])
    only(found, "unknown_type", "sheet 'survey' row 4", "bad", type="integr")
    assert found[0].source == "broken.xlsx"


def test_xlsx_row_problems(tmp_path):
    """Are row problems in a workbook reported at their sheet rows, all at once?"""
    found = xlsx_problems(tmp_path, [
        ("integer", "age", "年龄"),
        ("geopoint", "where", "地点"),
        ("integer", None, "无名称"),
        ("select_one nolist", "q1", "问题"),
        ("integer", "age", "重复"),
        ("select_one yn", "q2", "问题", "${agee} > 1", "region = 'x'"),
        ("integer", "q3", "问题", None, None, None, "abc"),
        (None, "q4", "无题型"),
    ])
    only(found, "unsupported_feature", "sheet 'survey' row 3", "where")
    only(found, "missing_name", "sheet 'survey' row 4", None)
    only(found, "unknown_list", "sheet 'survey' row 5", "q1", list="nolist")
    only(found, "duplicate_name", "sheet 'survey' row 6", "age", first="sheet 'survey' row 2")
    only(found, "unknown_reference", "sheet 'survey' row 7", "q2", ref="agee")
    only(found, "bad_default", "sheet 'survey' row 8", "q3", value="abc")
    only(found, "missing_type", "sheet 'survey' row 9", "q4")
    assert len(found) == 7


def test_xlsx_groups_and_matrix(tmp_path):
    """Is an unclosed group reported at its begin_group row (and a bad matrix only noticed)?"""
    found = xlsx_problems(tmp_path, [
        ("begin_group", "grid", "矩阵", None, None, "table-list"),
        ("select_one yn", "r1", "一"),
        ("text", "r2", "二"),
        ("end_group",),
        ("begin_group", "open_grp", "组"),
        ("integer", "inner", "内"),
    ])
    assert not [p for p in found if p.code == "matrix_row"]
    only(found, "unclosed_group", "sheet 'survey' row 6", "open_grp")


def test_xlsx_choice_problems(tmp_path):
    """Are duplicate values, missing labels and missing list names reported at choices rows?"""
    sheet = [("list_name", "name", "label"), ("yn", "yes", "是"), ("yn", "no", None), None,
             ("yn", "yes", "对"), (None, "x", "无列表")]
    found = xlsx_problems(tmp_path, [("select_one yn", "q", "问题")], choices=sheet)
    only(found, "duplicate_choice", "sheet 'choices' row 5", None, list="yn", value="yes")
    only(found, "missing_choice_list_name", "sheet 'choices' row 6", None)


def test_xlsx_settings_and_channels(tmp_path):
    """Are a bad sampling and a duplicate channel reported at their settings and choices rows?"""
    sheet = choices_sheet({**YN, "channels": [("c1", "一社区"), ("c1", "二社区")]})
    settings = settings_sheet(form_id="broken", study_sampling="snowball", study_budget="1000")
    found = xlsx_problems(tmp_path, [("select_one yn", "q", "问题")], choices=sheet, settings=settings)
    only(found, "bad_sampling", "sheet 'settings' row 2", None, value="snowball")
    only(found, "unknown_key", "sheet 'settings' row 2", None, key="study.budget")
    only(found, "duplicate_channel", "sheet 'choices' row 5", None, code="c1")


def test_xlsx_missing_survey_sheet(tmp_path):
    """Is a workbook without a survey sheet (but with others) reported as such?"""
    path = write_xlsform(tmp_path, "nosurvey", None, choices_sheet(YN), settings_sheet(form_id="x"))
    only(file_problems(path), "missing_sheet", "", None, sheet="survey")


def test_xlsx_duplicate_header_is_unreadable(tmp_path):
    """Is a sheet with two identical column headers unreadable, as pyxform says?"""
    path = write_xlsform(tmp_path, "dup", [("type", "name", "label", "label"), ("integer", "a", "A", "B")])
    problem = only(file_problems(path), "unreadable", "", None)
    assert "Duplicate column header" in problem.params["detail"]


# --- all problems at once, and the report ----------------------------------------------

MANY = [
    ("line 1", None, "unknown_key"), ("line 4", None, "bad_sampling"), ("line 7", None, "duplicate_channel"),
    ("line 9", "age", "bad_expression"), ("line 10", "victim", "unknown_list"),
    ("line 11", "where", "unsupported_feature"), ("line 12", "age", "duplicate_name"),
    ("line 13", "detail", "unknown_reference"), ("line 14", "later", "missing_calculation"),
    ("line 15", "when", "missing_label"),
]


def test_every_problem_at_once():
    """Does a file with ten problems report all ten, structural ones included?"""
    found = file_problems(BROKEN / "many_problems.yaml")
    assert sorted((p.location, p.question, p.code) for p in found) == sorted(MANY)
    for problem in found:
        assert_renders(problem)


def test_report_one_line_per_problem():
    """Does report('en') give one line per problem naming file, location, question and problem?"""
    with pytest.raises(QuestionnaireError) as info:
        load_file(BROKEN / "many_problems.yaml")
    lines = info.value.report("en").splitlines()
    assert len(lines) == len(MANY)
    for line, problem in zip(lines, info.value.problems):
        assert line.startswith(f"many_problems.yaml: {problem.location}: ")
        assert problem.question is None or f"question '{problem.question}'" in line
        assert not re.search(r"[\u4e00-\u9fff]", line.split(": ")[-1]), line
    assert "many_problems.yaml: line 12: question 'age': duplicate name 'age' (first used at line 9)" in lines
    zh = info.value.report("zh").splitlines()
    assert "many_problems.yaml: line 12: 题目 'age': 名称“age”重复（首次出现在line 9）" in zh
    assert str(info.value) == info.value.report()


def test_every_file_problem_code_has_both_languages():
    """Does every message code have a non-empty Chinese and English text?"""
    for code, texts in MESSAGES.items():
        assert texts.get("zh") and texts.get("en") and texts["zh"] != texts["en"], code


def test_report_stays_one_line_per_problem_with_line_breaks():
    """Does a cell with a line break still give one report line per problem?"""
    text = HEAD + '  - {type: integer, name: "two\\nlines", label: 错, default: "a\\nb"}\n'
    with pytest.raises(QuestionnaireError) as info:
        load_text(text, "broken.yaml")
    assert len(info.value.report("en").splitlines()) == len(info.value.problems) == 2
    assert "two lines" in info.value.report("zh")


def test_empty_group_relevance_is_not_a_later_reference():
    """Is an empty group's relevance on an earlier question accepted?"""
    text = HEAD + "  - {type: begin_group, name: g, label: 组, relevant: '${age} > 1'}\n  - {type: end_group}\n"
    assert load_text(text).items[1].relevant == "${age} > 1"


def test_misspelt_row_key_is_reported():
    """Is a misspelt column in a YAML row (requird) a problem rather than silently ignored?"""
    text = "form_id: m\ntitle: M\nsurvey:\n  - {type: text, name: a, label: A, requird: yes}\n"
    with pytest.raises(QuestionnaireError) as caught:
        load_text(text, "m.yaml")
    (problem,) = caught.value.problems
    assert (problem.location, problem.question, problem.code, problem.params) == \
        ("line 4", "a", "unknown_key", {"key": "requird"})


def test_filter_on_a_missing_column_is_a_notice(tmp_path):
    """Is a choice_filter on a column the list lacks loaded (as pyxform does) with a notice that says so?"""
    path = tmp_path / "notice.yaml"
    path.write_text(HEAD + "  - {type: select_one street, name: q, label: 问, choice_filter: \"district = 'x'\"}\n",
                    encoding="utf-8")
    notices = check_file(path).notices
    only(notices, "missing_filter_column", line_of(path.read_text(encoding="utf-8"), "district"), "q",
         column="district", list="street")
