"""The residents' survey pages."""

from surveyapp.survey.views import bp

__all__ = ["bp"]
