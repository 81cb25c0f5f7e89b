"""The questionnaire format: model, file readers, expressions and validation.

Pure Python: nothing here imports Flask or the database.
"""

from surveyapp.questionnaire.errors import Problem, QuestionnaireError
from surveyapp.questionnaire.loader import load_file, load_text
from surveyapp.questionnaire.schema import Questionnaire, checksum, from_definition, to_definition

__all__ = ["Problem", "Questionnaire", "QuestionnaireError", "checksum", "from_definition",
           "load_file", "load_text", "to_definition"]
