"""pyxform's own example forms (tests/data/pyxform_corpus): a corpus nobody here wrote.

Every form that pyxform converts must import, or be refused only for a feature the
platform does not support; every form that imports must come back unchanged from
``questionnaire export`` as XLSForm (which pyxform converts again) and as YAML.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import pytest
from pyxform import xls2xform

from surveyapp.questionnaire import QuestionnaireError, checksum, load_file, to_definition
from surveyapp.questionnaire.loader import SUFFIXES
from surveyapp.questionnaire.xlsform_writer import write_xlsform
from surveyapp.questionnaire.yaml_writer import dump_yaml
from tests.conftest import DATA

CORPUS = DATA / "pyxform_corpus"
FORMS = sorted(p for p in CORPUS.glob("*/*") if p.suffix.lower() in SUFFIXES)
# pyxform converts it without checking the calculation, which is not an expression (an
# unterminated string); the loader names the row and the fault instead.
INVALID = {"bad_calc.xlsx": "bad_expression"}
# Problems that may come along with a refused feature (the fields of that feature missing).
ALONG_WITH_FEATURES = {"unsupported_feature", "no_questions", "unknown_reference", "later_reference"}


def pyxform_converts(path: Path) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.disable(logging.CRITICAL)
        try:
            xls2xform.convert(xlsform=str(path), validate=False)
            return True
        except Exception:  # noqa: BLE001 - any pyxform failure means "pyxform does not convert it"
            return False
        finally:
            logging.disable(logging.NOTSET)


def test_the_corpus_is_there():
    """Are the forms copied from pyxform present (85 files, 79 in formats pyxform reads)?"""
    assert len(FORMS) >= 75


@pytest.mark.parametrize("path", FORMS, ids=lambda p: p.name)
def test_every_form_pyxform_converts_imports_or_names_a_refused_feature(path, tmp_path):
    if not pyxform_converts(path):
        # pyxform refuses it: loading must still end in a located report or a form, never a traceback.
        try:
            load_file(path)
        except QuestionnaireError as exc:
            assert exc.report("zh")
        return
    try:
        form = load_file(path)
    except QuestionnaireError as exc:
        codes = {p.code for p in exc.problems}
        if path.name in INVALID:
            assert INVALID[path.name] in codes
            return
        assert "unsupported_feature" in codes, exc.report("en")
        assert codes <= ALONG_WITH_FEATURES, exc.report("en")
        assert all(p.location for p in exc.problems), exc.report("en")
        return
    digest = checksum(to_definition(form))
    workbook = tmp_path / f"{path.stem}.xlsx"
    write_xlsform(form, workbook)
    assert checksum(to_definition(load_file(workbook))) == digest
    assert pyxform_converts(workbook)
    text = tmp_path / f"{path.stem}.yaml"
    text.write_text(dump_yaml(form), encoding="utf-8")
    assert checksum(to_definition(load_file(text))) == digest


def test_corpus_counts():
    """How many forms pyxform converts, and how many of those import (given in the closing note)."""
    converted = [p for p in FORMS if pyxform_converts(p)]
    imported = []
    for path in converted:
        try:
            load_file(path)
            imported.append(path)
        except QuestionnaireError:
            pass
    print(f"pyxform converts {len(converted)} of {len(FORMS)} corpus forms; {len(imported)} import")
    assert len(imported) >= 49
