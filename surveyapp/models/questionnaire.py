"""A questionnaire and its immutable versions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from surveyapp.models.base import Base, JSONDocument, UTCDateTime, utcnow

STATUSES = ("open", "closed")


class Questionnaire(Base):
    """A questionnaire, known by its form_id; its content lives in versions."""

    __tablename__ = "questionnaire"

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), default="open")
    opens_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closes_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("questionnaire_version.id", use_alter=True), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The analysis plan (indicators, waves, quality rules) imported from a
    # ``<form>.analysis.yaml`` beside the questionnaire; see surveyapp/analysis/plan.py.
    analysis: Mapped[dict[str, Any] | None] = mapped_column(JSONDocument)

    versions: Mapped[list[QuestionnaireVersion]] = relationship(
        back_populates="questionnaire", foreign_keys="QuestionnaireVersion.questionnaire_id",
        order_by="QuestionnaireVersion.number")
    current_version: Mapped[QuestionnaireVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True)

    def state(self, now: dt.datetime | None = None) -> str:
        """'open', 'closed' or 'not_yet_open' at ``now``."""
        return availability(self.status, self.opens_at, self.closes_at, now)


def availability(status: str, opens_at: dt.datetime | None, closes_at: dt.datetime | None,
                 now: dt.datetime | None = None) -> str:
    """Whether a questionnaire takes responses: 'open', 'closed' or 'not_yet_open'."""
    now = now or utcnow()
    if status != "open" or (closes_at is not None and now >= _aware(closes_at)):
        return "closed"
    if opens_at is not None and now < _aware(opens_at):
        return "not_yet_open"
    return "open"


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)


class QuestionnaireVersion(Base):
    """One imported content of a questionnaire; never changed once stored."""

    __tablename__ = "questionnaire_version"
    __table_args__ = (UniqueConstraint("questionnaire_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id"), index=True)
    number: Mapped[int]
    checksum: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONDocument)
    source_name: Mapped[str] = mapped_column(String(255), default="")
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    questionnaire: Mapped[Questionnaire] = relationship(
        back_populates="versions", foreign_keys=[questionnaire_id])
