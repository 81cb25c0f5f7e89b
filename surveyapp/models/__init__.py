"""SQLAlchemy models, one module per aggregate."""

from surveyapp.models.base import Base
from surveyapp.models.questionnaire import Questionnaire, QuestionnaireVersion
from surveyapp.models.researcher import ApiToken, Researcher
from surveyapp.models.response import Response
from surveyapp.models.study import AdminInput, Wave

__all__ = ["AdminInput", "ApiToken", "Base", "Questionnaire", "QuestionnaireVersion", "Researcher", "Response", "Wave"]
