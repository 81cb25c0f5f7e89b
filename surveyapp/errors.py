"""Error handlers: JSON under /api, a plain page elsewhere; never a stack trace."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from surveyapp.api.errors import json_error


FRIENDLY = {
    404: "页面不存在。请检查链接是否完整。",
    429: "提交过于频繁，请稍等一分钟后再试。您填写的内容仍保留在页面上，可返回后重新提交。",
    413: "提交的内容过大。",
}


def handle_http(exc: HTTPException):
    """4xx/5xx from Werkzeug, in the form the client expects."""
    if not request.path.startswith("/api/"):
        return render_template("error.html", error=exc, friendly=FRIENDLY.get(exc.code)), exc.code
    if exc.code == 429:
        return json_error(429, "rate_limited")
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
