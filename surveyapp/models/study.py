"""What analysis needs beside the responses: waves and administrative inputs."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from surveyapp.models.base import Base, UTCDateTime, utcnow


class Wave(Base):
    """A named fieldwork period (2026Q3): a response belongs to the wave of its submit date."""

    __tablename__ = "wave"
    __table_args__ = (UniqueConstraint("questionnaire_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    starts_on: Mapped[dt.date] = mapped_column(Date)
    ends_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AdminInput(Base):
    """One administrative figure (cases, population, visits…) for a unit and period."""

    __tablename__ = "admin_input"
    __table_args__ = (UniqueConstraint("questionnaire_id", "unit", "period", "measure"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaire.id"), index=True)
    unit: Mapped[str] = mapped_column(String(100))
    period: Mapped[str] = mapped_column(String(50))
    measure: Mapped[str] = mapped_column(String(100))
    value: Mapped[float]
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
