"""Who is asking: a logged-in researcher or a script with an API token."""

from __future__ import annotations

import secrets
from functools import wraps

from flask import request
from flask_login import current_user
from sqlalchemy import select

from surveyapp.extensions import db, login_manager
from surveyapp.models import ApiToken, Researcher
from surveyapp.models.researcher import token_digest


@login_manager.user_loader
def load_researcher(user_id: str) -> Researcher | None:
    """The researcher behind a session cookie."""
    return db.session.get(Researcher, int(user_id)) if user_id.isdigit() else None


def token_researcher() -> Researcher | None:
    """The researcher whose API token is in the Authorization header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.digest == token_digest(token.strip())))
    return row.researcher if row and row.researcher.active else None


def api_researcher() -> Researcher | None:
    """The researcher making an API request, by session or token."""
    if current_user.is_authenticated:
        return current_user
    return token_researcher()


def researcher_api(view):
    """Decorator: the API view needs a researcher (401 without login, 403 for field workers)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        from surveyapp.api.errors import json_error
        researcher = api_researcher()
        if researcher is None:
            return json_error(401, "login_required")
        if not researcher.can_read_responses:
            return json_error(403, "researchers_only")
        return view(*args, **kwargs)
    return wrapped


def create_researcher(username: str, password: str | None = None, role: str = "researcher") -> tuple[Researcher, str]:
    """Add an account; returns it with its password (generated when not given)."""
    password = password or secrets.token_urlsafe(12)
    researcher = Researcher(username=username, role=role)
    researcher.set_password(password)
    db.session.add(researcher)
    db.session.commit()
    return researcher, password


def create_token(researcher: Researcher, name: str = "") -> str:
    """A new API token for ``researcher``; the token itself is shown once, never stored."""
    token = "sa_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(researcher_id=researcher.id, name=name, digest=token_digest(token)))
    db.session.commit()
    return token
