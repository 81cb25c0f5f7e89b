"""The JSON API for integrations, offline collectors and load tests."""

from surveyapp.api.views import bp

__all__ = ["bp"]
