"""Error handlers: JSON under /api, a plain page elsewhere; never a stack trace."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from surveyapp.api.errors import json_error


def handle_http(exc: HTTPException):
    """4xx/5xx from Werkzeug, in the form the client expects."""
    if not request.path.startswith("/api/"):
        return render_template("error.html", error=exc), exc.code
    if isinstance(exc, RequestEntityTooLarge):
        return json_error(413, "too_large", limit=current_app.config["MAX_CONTENT_LENGTH"])
    if exc.code == 404:
        return json_error(404, "not_found")
    return jsonify({"error": {"code": f"http_{exc.code}", "message": exc.description}}), exc.code


def handle_unexpected(exc: Exception):
    """An unexpected failure: logged in full, answered with a plain 500."""
    current_app.logger.exception("unhandled error on %s", request.path)
    return handle_http(InternalServerError())


def init_app(app: Flask) -> None:
    """Register the handlers on ``app``."""
    app.register_error_handler(HTTPException, handle_http)
    if not app.testing:
        app.register_error_handler(Exception, handle_unexpected)
