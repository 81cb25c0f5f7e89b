"""The flask commands: check, import, list, users, export, and the schema guard."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from surveyapp import create_app
from surveyapp.extensions import db
from surveyapp.models import QuestionnaireVersion, Researcher
from tests.builders import TINY_VALID
from tests.conftest import DATA, ROOT

BROKEN = """form_id: broken
title: 坏问卷
survey:
  - {type: select_one nolist, name: q1, label: 一}
  - {type: integer, name: q1, label: 二, relevant: "${q9} = 1"}
"""


def test_check_good_file(runner):
    """Does check accept a good file and say what it found?"""
    result = runner.invoke(args=["questionnaire", "check", str(DATA / "tiny.yaml")])
    assert result.exit_code == 0 and "OK" in result.output and "tiny" in result.output


def test_check_bad_file_reports_every_problem(runner, tmp_path):
    """Does check print every problem with file, line and question, and exit non-zero?"""
    bad = tmp_path / "broken.yaml"
    bad.write_text(BROKEN, encoding="utf-8")
    result = runner.invoke(args=["questionnaire", "check", "--lang", "en", str(bad)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert any("broken.yaml: line 4: question 'q1'" in line and "'nolist' does not exist" in line for line in lines)
    assert any("line 5" in line and "duplicate name 'q1'" in line for line in lines)
    assert any("line 5" in line and "'q9', which does not exist" in line for line in lines)


def test_import_file_then_unchanged_then_changed(runner, app, tmp_path):
    """Does importing create version 1, do nothing when unchanged, and add version 2 when changed?"""
    path = tmp_path / "tiny.yaml"
    path.write_text((DATA / "tiny.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert "new version 1" in runner.invoke(args=["questionnaire", "import", str(path)]).output
    assert "unchanged (version 1)" in runner.invoke(args=["questionnaire", "import", str(path)]).output
    path.write_text(path.read_text(encoding="utf-8").replace("label: 意见", "label: 您的意见"), encoding="utf-8")
    assert "new version 2" in runner.invoke(args=["questionnaire", "import", str(path)]).output
    assert db.session.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 2


def test_import_bad_file_stores_nothing(runner, tmp_path):
    """Is a bad file rejected whole, with its report and a non-zero exit?"""
    bad = tmp_path / "broken.yaml"
    bad.write_text(BROKEN, encoding="utf-8")
    result = runner.invoke(args=["questionnaire", "import", str(bad)])
    assert result.exit_code == 1 and "broken.yaml" in result.output
    assert db.session.scalar(select(func.count()).select_from(QuestionnaireVersion)) == 0


def test_import_directory_and_list_links(runner):
    """Does importing the bundled folder work, and list print survey and channel links?"""
    result = runner.invoke(args=["questionnaire", "import", str(ROOT / "questionnaires")])
    assert result.exit_code == 0, result.output
    listing = runner.invoke(args=["questionnaire", "list", "--links"]).output
    assert "community_safety" in listing and "/s/community_safety?c=" in listing


def test_user_create_prints_password_once(runner, app):
    """Does user create make an account with a hashed password and print it once?"""
    result = runner.invoke(args=["user", "create", "carol"])
    assert result.exit_code == 0
    password = result.output.split("shown once): ")[1].strip()
    carol = db.session.scalar(select(Researcher).where(Researcher.username == "carol"))
    assert carol.check_password(password) and password not in carol.password_hash
    assert runner.invoke(args=["user", "create", "carol"]).exit_code == 1


def test_ensure_admin_only_once(runner):
    """Does ensure-admin create an account the first time only?"""
    assert "admin /" in runner.invoke(args=["user", "ensure-admin"]).output
    assert runner.invoke(args=["user", "ensure-admin"]).output == ""


def test_export_to_stdout_and_file(runner, client, tiny, tmp_path):
    """Does export write the CSV to stdout, or to a file with its codebook?"""
    client.post("/api/v1/questionnaires/tiny/responses", json={"answers": TINY_VALID})
    out = runner.invoke(args=["responses", "export", "tiny", "--format", "csv"]).output
    rows = list(csv.DictReader(io.StringIO(out.lstrip("\ufeff"))))
    assert len(rows) == 1 and rows[0]["age"] == "30"
    target, book = tmp_path / "out.csv", tmp_path / "book.csv"
    result = runner.invoke(args=["responses", "export", "tiny", "--output", str(target), "--codebook", str(book)])
    assert result.exit_code == 0
    assert target.read_text(encoding="utf-8-sig").splitlines()[1].startswith(rows[0]["response_id"])
    assert "harm/theft" in book.read_text(encoding="utf-8-sig")


def test_close_and_open(runner, tiny):
    """Do close and open change whether the questionnaire takes responses?"""
    assert runner.invoke(args=["questionnaire", "close", "tiny"]).exit_code == 0
    assert "closed" in runner.invoke(args=["questionnaire", "list"]).output
    assert runner.invoke(args=["questionnaire", "open", "nope"]).exit_code == 1


@pytest.mark.parametrize("command", [["questionnaire", "list"], ["user", "create", "x"],
                                     ["responses", "export", "tiny"]])
def test_missing_database_is_explained(tmp_path, command):
    """On a database with no schema, do commands say to run db upgrade instead of a stack trace?"""
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}", "SECRET_KEY": "x"})
    result = app.test_cli_runner().invoke(args=command)
    assert result.exit_code == 1
    assert "flask --app surveyapp db upgrade" in result.output
    assert "Traceback" not in result.output


def test_schedule(runner, client, tiny):
    """Does a closing time in the past close the questionnaire to submissions?"""
    result = runner.invoke(args=["questionnaire", "schedule", "tiny", "--closes", "2020-01-01"])
    assert result.exit_code == 0
    resp = client.post("/api/v1/questionnaires/tiny/responses", json={"answers": TINY_VALID})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "closed"
    runner.invoke(args=["questionnaire", "schedule", "tiny", "--opens", "2999-01-01"])
    resp = client.post("/api/v1/questionnaires/tiny/responses", json={"answers": TINY_VALID})
    assert resp.json["error"]["code"] == "not_yet_open"
