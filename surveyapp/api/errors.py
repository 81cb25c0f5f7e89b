"""JSON error bodies for the API: never an HTML page, never a stack trace."""

from __future__ import annotations

from flask import jsonify

from surveyapp.i18n import request_language
from surveyapp.questionnaire.messages import message
from surveyapp.questionnaire.validate import FieldError


def json_error(status: int, code: str, **params):
    """A ``{"error": {"code", "message"}}`` response with ``status``."""
    body = {"error": {"code": code, "message": message(code, request_language(), **params)}}
    return jsonify(body), status


def field_errors(errors: list[FieldError]):
    """A 422 listing each error beside its field."""
    language = request_language()
    body = {"errors": [{"field": e.field, "code": e.code, "message": e.text(language)} for e in errors]}
    return jsonify(body), 422
