"""Load a questionnaire file (native YAML or XLSForm .xlsx) into the model."""

from __future__ import annotations

from pathlib import Path

from surveyapp.questionnaire.builder import Built, build, build_checked
from surveyapp.questionnaire.errors import Problem, QuestionnaireError
from surveyapp.questionnaire.schema import Questionnaire
from surveyapp.questionnaire import xlsform_source
from surveyapp.questionnaire.xlsform_source import read_xlsform
from surveyapp.questionnaire.yaml_source import read_yaml

YAML_SUFFIXES = {".yaml", ".yml"}
XLSFORM_SUFFIXES = set(xlsform_source.SUFFIXES)
"""Every form pyxform reads: .xlsx, .xlsm, .xls, and its CSV and Markdown forms."""
SUFFIXES = YAML_SUFFIXES | XLSFORM_SUFFIXES
DIRECTORY_SUFFIXES = YAML_SUFFIXES | {".xlsx", ".xlsm", ".xls"}
"""What ``questionnaire import DIR`` picks up: a folder also holds CSV inputs and Markdown notes."""


def load_file(path: str | Path) -> Questionnaire:
    """Read, validate and build the questionnaire in ``path``.

    :raises QuestionnaireError: listing every problem, each with its location.
    """
    return check_file(path).questionnaire


def check_file(path: str | Path) -> Built:
    """Like ``load_file``, with the notices a check report shows beside the questionnaire."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in YAML_SUFFIXES:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise QuestionnaireError([Problem(path.name, "", "unreadable", {"detail": str(exc)})]) from None
        return build_checked(read_yaml(text, path.name))
    if suffix in XLSFORM_SUFFIXES:
        # Read the bytes here: given a path that does not exist, pyxform would
        # parse the path text itself and report "not a zip file".
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise QuestionnaireError([Problem(path.name, "", "unreadable", {"detail": str(exc)})]) from None
        return build_checked(read_xlsform(data, path.name, suffix))
    raise QuestionnaireError([Problem(path.name, "", "unsupported_file", {"suffix": suffix or path.name})])


def load_text(text: str, source: str = "<text>") -> Questionnaire:
    """Build a questionnaire from YAML text (for tests and the browser editor)."""
    return build(read_yaml(text, source))


PLAN_SUFFIX = ".analysis.yaml"
"""An analysis plan sits beside its questionnaire: community_safety.analysis.yaml."""


def questionnaire_files(directory: str | Path) -> list[Path]:
    """The questionnaire files in ``directory``, sorted by name (no recursion)."""
    return sorted(p for p in Path(directory).iterdir()
                  if p.suffix.lower() in DIRECTORY_SUFFIXES and not p.name.startswith(("~$", "."))
                  and not p.name.lower().endswith(PLAN_SUFFIX))


def plan_files(directory: str | Path) -> list[Path]:
    """The analysis plans in ``directory``, sorted by name."""
    return sorted(p for p in Path(directory).iterdir() if p.name.lower().endswith(PLAN_SUFFIX))
