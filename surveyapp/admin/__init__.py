"""The researchers' pages."""

from surveyapp.admin.views import bp

__all__ = ["bp"]
