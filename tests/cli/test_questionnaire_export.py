"""``questionnaire export ID [--version N] --format xlsx|yaml --output FILE``: the round trip."""

from __future__ import annotations

import pytest
from pyxform import xls2xform

from surveyapp.questionnaire import load_file
from tests.builders import import_file
from tests.conftest import DATA, ROOT

FORMS = [ROOT / "questionnaires" / "community_safety.yaml", ROOT / "questionnaires" / "police_staff.yaml",
         DATA / "household_roster.yaml", DATA / "tiny.yaml"]


@pytest.mark.parametrize("fmt", ["xlsx", "yaml"])
@pytest.mark.parametrize("source", FORMS, ids=lambda p: p.stem)
def test_export_imports_again_as_the_same_version(runner, tmp_path, source, fmt):
    """Does the exported file import again as the same version (same checksum, no new version)?"""
    imported = import_file(source)
    target = tmp_path / f"{imported.form_id}.{fmt}"
    result = runner.invoke(args=["questionnaire", "export", imported.form_id, "--format", fmt,
                                 "--output", str(target)])
    assert result.exit_code == 0, result.output
    again = runner.invoke(args=["questionnaire", "import", str(target)])
    assert f"{imported.form_id} unchanged (version 1)" in again.output, again.output
    if fmt == "xlsx":
        xls2xform.convert(xlsform=str(target), validate=False)


def test_export_an_older_version(runner, tmp_path):
    """Does --version N write that version, and an unknown version or form say so in one line?"""
    source = tmp_path / "tiny.yaml"
    text = (DATA / "tiny.yaml").read_text(encoding="utf-8")
    source.write_text(text, encoding="utf-8")
    import_file(source)
    source.write_text(text.replace("title: 小问卷", "title: 小问卷（第二版）"), encoding="utf-8")
    assert import_file(source).version == 2
    old = tmp_path / "old.yaml"
    assert runner.invoke(args=["questionnaire", "export", "tiny", "--version", "1", "--format", "yaml",
                               "--output", str(old)]).exit_code == 0
    assert load_file(old) == load_file(DATA / "tiny.yaml")
    missing = runner.invoke(args=["questionnaire", "export", "tiny", "--version", "7", "--output", str(old)])
    assert missing.exit_code == 1 and "没有第7版" in missing.output and "Traceback" not in missing.output
    nobody = runner.invoke(args=["questionnaire", "export", "nope", "--output", str(old)])
    assert nobody.exit_code == 1 and "没有问卷“nope”" in nobody.output


def test_roster_survives_the_round_trip(tmp_path):
    """Are the repeat groups, their count and the questions inside them written and read back?"""
    from surveyapp.questionnaire.xlsform_writer import write_xlsform
    form = load_file(DATA / "household_roster.yaml")
    target = tmp_path / "roster.xlsx"
    write_xlsform(form, target)
    back = load_file(target)
    member = back.repeats()[0]
    assert (member.name, member.count) == ("member", "${hh_size}")
    assert [q.name for q in member.questions()] == ["m_sex", "m_age", "m_victim", "m_crime"]
    assert back == form


def test_check_shows_notices(runner, tmp_path):
    """Does `questionnaire check` accept private metadata with one notice naming the fields?"""
    source = tmp_path / "meta.yaml"
    source.write_text("form_id: meta\ntitle: 元数据\nsurvey:\n  - {type: start, name: started}\n"
                      "  - {type: deviceid, name: dev}\n  - {type: username, name: who}\n"
                      "  - {type: integer, name: n, label: 人数}\n", encoding="utf-8")
    result = runner.invoke(args=["questionnaire", "check", str(source)])
    assert result.exit_code == 0, result.output
    notices = [line for line in result.output.splitlines() if "注意" in line]
    assert len(notices) == 1 and "deviceid、username" in notices[0]
