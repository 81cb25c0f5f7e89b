"""Tests of the bundled questionnaires and of the XLSForm writer (no app, no database)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from pyxform import xls2xform

from surveyapp.questionnaire import checksum, load_file, load_text, to_definition
from surveyapp.questionnaire.compiled import Compiled, compile_questionnaire
from surveyapp.questionnaire.loader import questionnaire_files
from surveyapp.questionnaire.schema import Group
from surveyapp.questionnaire.validate import validate
from surveyapp.questionnaire.xlsform_writer import write_xlsform

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "questionnaires"
YAML_FILE = BUNDLED / "community_safety.yaml"
XLSX_FILE = BUNDLED / "community_safety.xlsx"
ANSWERS_FILE = ROOT / "tests" / "data" / "community_safety_answers.json"
TODAY = "2025-08-01"

TINY = """\
form_id: tiny
title: {zh: 小问卷, en: Tiny survey}
version: "3"
default_language: zh
allow_multiple: true
study: {organisation: 测试派出所, sampling: quota, period: 2025年8月}
channels:
  - {code: c1, label: {zh: 一社区, en: Community 1}}
survey:
  - {type: acknowledge, name: consent, label: 我同意, required: yes}
  - type: begin_group
    name: sec_a
    label: {zh: 基本, en: Basics}
    relevant: ${consent}
    children:
      - {type: integer, name: age, label: 年龄, constraint: ". >= 16 and . <= 120",
         constraint_message: {zh: 年龄应在16到120之间, en: Age must be 16 to 120}, default: 30}
      - {type: select_one street, name: street, label: 街道, hint: {zh: 先选街道, en: Street first}}
      - {type: select_one community, name: community, label: 社区, choice_filter: "street = ${street}"}
      - {type: select_multiple harm or_other, name: harm, label: 受害, required: true,
         required_message: {zh: 必答, en: Required}}
      - {type: select_one yn, name: reported, label: 报案, required: "${age} > 17",
         relevant: "count-selected(${harm}) > 0 and not(selected(${harm}, 'none'))"}
      - type: begin_group
        name: grid
        appearance: table-list
        label: 评价
        children:
          - {type: select_one yn, name: grid_a, label: 甲}
          - {type: select_one yn, name: grid_b, label: 乙}
  - {type: calculate, name: victim, calculation: "if(selected(${harm}, 'none'), 0, 1)"}
  - {type: rank street, name: ranking, label: 排序}
  - {type: date, name: when, label: 日期}
  - {type: decimal, name: amount, label: 金额}
  - {type: note, name: bye, label: "=谢谢"}
  - {type: text, name: comment, label: 意见, appearance: multiline}
choices:
  street:
    - {name: s1, label: 东街道}
    - {name: s2, label: 西街道}
  community:
    - {name: c1, label: 一社区, street: s1}
    - {name: c2, label: 二社区, street: s2, zone: north}
  harm:
    - {name: theft, label: 盗窃}
    - {name: none, label: {zh: 都没有, en: None}, exclusive: true}
  yn:
    - {name: "1", label: 是}
    - {name: "2", label: 否}
"""


@pytest.fixture(scope="module")
def from_yaml():
    """The bundled questionnaire, loaded from its YAML file."""
    return load_file(YAML_FILE)


@pytest.fixture(scope="module")
def compiled(from_yaml) -> Compiled:
    """The bundled questionnaire, ready for validation."""
    return compile_questionnaire(from_yaml)


@pytest.fixture
def answers() -> dict[str, Any]:
    """A fresh copy of the shared complete answer set."""
    return json.loads(ANSWERS_FILE.read_text(encoding="utf-8"))


def error_fields(compiled: Compiled, answers: dict[str, Any]) -> dict[str, str]:
    """{question: error code} of validating ``answers``."""
    return {e.field: e.code for e in validate(compiled, answers, today=TODAY).errors}


def sheet_values(path: Path) -> dict[str, list[tuple]]:
    """Every sheet of a workbook as rows of cell values."""
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}
    finally:
        book.close()


# --- the bundled files -----------------------------------------------------------

@pytest.mark.parametrize("path", questionnaire_files(BUNDLED), ids=lambda p: p.name)
def test_every_bundled_file_loads(path):
    """Does every file in questionnaires/ load without problems?"""
    assert load_file(path).questions()


def test_yaml_and_xlsform_are_the_same_model(from_yaml):
    """Do the YAML and the XLSForm load to the same model?"""
    from_xlsx = load_file(XLSX_FILE)
    assert from_xlsx == from_yaml
    assert checksum(to_definition(from_xlsx)) == checksum(to_definition(from_yaml))


def test_bundled_xlsx_is_up_to_date(from_yaml, tmp_path):
    """Is the bundled workbook what the writer makes of the YAML today?"""
    fresh = tmp_path / "fresh.xlsx"
    write_xlsform(from_yaml, fresh)
    assert sheet_values(fresh) == sheet_values(XLSX_FILE)


def test_pyxform_accepts_the_bundled_xlsx():
    """Does pyxform itself convert the bundled workbook to an XForm?"""
    result = xls2xform.convert(xlsform=str(XLSX_FILE), validate=False)
    assert "<h:title>社区治安与警务满意度调查</h:title>" in result.xform
    assert 'nodeset="instance(\'community\')/root/item[street =' in result.xform


@pytest.mark.skipif(shutil.which("java") is None, reason="ODK Validate needs java")
def test_odk_validate_accepts_the_bundled_xlsx():
    """Does ODK Validate (JavaRosa, through pyxform) accept the bundled workbook?"""
    xls2xform.convert(xlsform=str(XLSX_FILE), validate=True)


def test_bundled_questionnaire_shape(from_yaml):
    """Has the bundled questionnaire its sections, languages, channels and study metadata?"""
    sections = [item.name for item in from_yaml.items if isinstance(item, Group)]
    assert sections == ["intro", "a_profile", "b_safety", "c_problems", "d_officer", "e_satisfaction",
                        "f_prevention", "g_comments"]
    assert from_yaml.languages == ("zh", "en")
    assert len(from_yaml.channels) == 7
    assert from_yaml.study.population == "本辖区16周岁以上常住居民"
    assert from_yaml.study.sampling == "convenience"


def test_every_bundled_text_is_bilingual(from_yaml):
    """Is every label, hint, message and choice label in both Chinese and English?"""
    texts = [getattr(q, column) for q in from_yaml.questions()
             for column in ("label", "hint", "constraint_message", "required_message")]
    texts += [c.label for choices in from_yaml.choices.values() for c in choices]
    texts += [c.label for c in from_yaml.channels]
    assert all(set(text) == {"zh", "en"} for text in texts if text)


# --- validating answers to the bundled questionnaire -----------------------------

def test_complete_answer_set_passes(compiled, answers):
    """Does the shared complete answer set validate, computing the calculations?"""
    result = validate(compiled, answers, today=TODAY)
    assert result.errors == []
    assert result.values["c3_victim"] == 1
    assert result.values["f1_protected"] == 1


def test_cascade_rejects_a_community_of_another_street(compiled, answers):
    """Is a community outside the chosen street (街道→社区) rejected?"""
    answers.update(a4_street="s1", a4_community="c201")
    assert error_fields(compiled, answers) == {"a4_community": "invalid_choice"}


def test_exclusive_choice_cannot_be_combined(compiled, answers):
    """Is 以上都没有 together with another option rejected?"""
    answers["f1_measures"] = ["1", "7"]
    assert error_fields(compiled, answers) == {"f1_measures": "exclusive_choice"}


def test_non_victim_cannot_answer_c4(compiled, answers):
    """Is C4 rejected from a respondent who suffered no harm (C3 = 都没有)?"""
    answers["c3_harm"] = ["7"]
    assert error_fields(compiled, answers) == {"c4_reported": "not_relevant", "c4_reason": "not_relevant"}


def test_non_victim_without_c4_passes(compiled, answers):
    """Does a non-victim who skips C4 pass, with the victim flag 0?"""
    answers["c3_harm"] = ["7"]
    del answers["c4_reported"], answers["c4_reason"]
    result = validate(compiled, answers, today=TODAY)
    assert result.errors == [] and result.values["c3_victim"] == 0


def test_no_police_contact_skips_e3(compiled, answers):
    """Is the E3 matrix rejected when E2 = 否, and not required then?"""
    answers["e2_contact"] = "2"
    assert set(error_fields(compiled, answers)) == {"e3_speed", "e3_attitude", "e3_outcome", "e3_ease"}
    for name in ("e3_speed", "e3_attitude", "e3_outcome", "e3_ease"):
        del answers[name]
    assert error_fields(compiled, answers) == {}


def test_g1_over_200_characters_is_rejected(compiled, answers):
    """Is a G1 answer longer than 200 characters rejected with the questionnaire's message?"""
    answers["g1_improve"] = "路" * 201
    errors = validate(compiled, answers, today=TODAY).errors
    assert [(e.field, e.code) for e in errors] == [("g1_improve", "constraint")]
    assert errors[0].text("zh") == "请不要超过200字"


def test_c2_allows_at_most_three(compiled, answers):
    """Is a fourth C2 factor rejected by count-selected(.) <= 3?"""
    answers["c2_factors"] = ["1", "2", "3", "4"]
    del answers["c2_factors_other"]
    assert error_fields(compiled, answers) == {"c2_factors": "constraint"}


def test_household_size_is_bounded(compiled, answers):
    """Is a household of 21 people rejected?"""
    answers["a6_household"] = 21
    assert error_fields(compiled, answers) == {"a6_household": "constraint"}


def test_consent_is_required(compiled, answers):
    """Is an answer set without the consent tick rejected with the block message?"""
    del answers["consent"]
    errors = validate(compiled, answers, today=TODAY).errors
    assert [(e.field, e.code) for e in errors] == [("consent", "required")]
    assert "16" in errors[0].text("zh")


# --- the writer --------------------------------------------------------------------

def test_round_trip_through_the_writer(tmp_path):
    """Does a YAML questionnaire written as XLSForm load back to the same model?"""
    source = tmp_path / "tiny.yaml"
    source.write_text(TINY, encoding="utf-8")
    original = load_file(source)
    target = tmp_path / "tiny.xlsx"
    write_xlsform(original, target)
    assert load_file(target) == original
    assert checksum(to_definition(load_file(target))) == checksum(to_definition(original))


def test_writer_leaves_out_generated_other_rows(tmp_path):
    """Does the writer write `or_other` types and no generated NAME_other rows?"""
    target = tmp_path / "tiny.xlsx"
    write_xlsform(load_text(TINY, "tiny.yaml"), target)
    survey = sheet_values(target)["survey"]
    names = [row[1] for row in survey[1:]]
    assert "harm_other" not in names
    assert survey[names.index("harm") + 1][:2] == ("select_multiple harm or_other", "harm")


def test_writer_columns_and_settings(tmp_path):
    """Are labels in `label::Chinese (zh)` columns, required as yes, and settings complete?"""
    target = tmp_path / "tiny.xlsx"
    write_xlsform(load_text(TINY, "tiny.yaml"), target)
    sheets = sheet_values(target)
    survey = dict(zip(sheets["survey"][0], sheets["survey"][1]))
    assert survey["label::Chinese (zh)"] == "我同意" and survey["required"] == "yes"
    settings = dict(zip(*sheets["settings"]))
    assert settings["form_title"] == "小问卷" and settings["translated_title::English (en)"] == "Tiny survey"
    assert settings["allow_multiple"] == "yes" and settings["study_sampling"] == "quota"
    assert ["channels", "c1", "一社区", "Community 1"] == [v for v in sheets["choices"][-1] if v]


def test_text_starting_with_equals_is_not_a_formula(tmp_path):
    """Is a label starting with '=' stored as text, not as a spreadsheet formula?"""
    target = tmp_path / "tiny.xlsx"
    write_xlsform(load_text(TINY, "tiny.yaml"), target)
    assert load_file(target).question("bye").label == {"zh": "=谢谢"}


def test_pyxform_accepts_what_the_writer_makes(tmp_path):
    """Does pyxform convert what the writer makes of the tiny example, translated title included?"""
    target = tmp_path / "tiny.xlsx"
    write_xlsform(load_text(TINY, "tiny.yaml"), target)
    xls2xform.convert(xlsform=str(target), validate=False)


def test_writer_refuses_a_choice_list_called_channels(tmp_path):
    """Is a choice list named `channels` refused, since the workbook keeps the channels there?"""
    text = TINY.replace("  yn:\n", "  channels:\n").replace("select_one yn", "select_one channels")
    with pytest.raises(ValueError, match="channels"):
        write_xlsform(load_text(text, "tiny.yaml"), tmp_path / "tiny.xlsx")
