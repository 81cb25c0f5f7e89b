"""Which language a request is answered in."""

from __future__ import annotations

from flask import current_app, request

LANGUAGES = ("zh", "en")


def request_language() -> str:
    """``?lang=`` if given, else the browser's preference, else the configured default."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES, default=current_app.config["LANGUAGE"])
