"""Researcher accounts and their API tokens."""

from __future__ import annotations

import datetime as dt
import hashlib

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from surveyapp.models.base import Base, UTCDateTime, utcnow


ROLES = ("researcher", "field_worker")


class Researcher(UserMixin, Base):
    """An account: a researcher (reads responses) or a field worker (takes interviews)."""

    __tablename__ = "researcher"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    role: Mapped[str] = mapped_column(String(20), default="researcher", server_default="researcher")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="researcher")

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def can_read_responses(self) -> bool:
        """Field workers take interviews; only researchers read responses."""
        return self.role == "researcher"

    def set_password(self, password: str) -> None:
        """Store a scrypt hash of ``password``, never the password."""
        self.password_hash = generate_password_hash(password, method="scrypt")

    def check_password(self, password: str) -> bool:
        """Whether ``password`` matches the stored hash."""
        return check_password_hash(self.password_hash, password)


def token_digest(token: str) -> str:
    """The stored form of an API token: its SHA-256 (tokens are long and random)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class ApiToken(Base):
    """A bearer token for scripts; only its digest is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    researcher_id: Mapped[int] = mapped_column(ForeignKey("researcher.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    researcher: Mapped[Researcher] = relationship(back_populates="tokens")
