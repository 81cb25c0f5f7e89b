"""A stored response: every answer of one submission, as one JSON document.

One document per response (not one row per answer) keeps a submission a
single INSERT, and reading 100k responses for analysis a single query.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from surveyapp.models.base import Base, JSONDocument, UTCDateTime, utcnow

MODES = ("self", "interview")


class Response(Base):
    """One complete submission for one questionnaire version."""

    __tablename__ = "response"
    __table_args__ = (
        Index("uq_response_submission_key", "questionnaire_id", "submission_key", unique=True),
        Index("ix_response_questionnaire_submitted", "questionnaire_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"), index=True)
    channel: Mapped[str | None] = mapped_column(String(100))
    answers: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    submission_key: Mapped[str] = mapped_column(String(100))
    body_digest: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(20), default="self")
    field_worker_id: Mapped[int | None] = mapped_column(ForeignKey("researcher.id"))
