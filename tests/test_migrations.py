"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from surveyapp.database import head_revision, schema_state
from surveyapp.extensions import db
from surveyapp.models import Base


def test_models_match_migrations(app):
    """Does autogenerate find nothing to change after the migrations ran?"""
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []


def test_schema_is_current(app):
    """Is the migrated test database reported as current?"""
    assert schema_state(db.engine) == "current"


def test_schema_from_the_future_is_reported(app):
    """Is a database stamped by an unknown revision reported as such (then restored)?"""
    db.session.execute(text("UPDATE alembic_version SET version_num = 'ffff'"))
    db.session.commit()
    try:
        assert schema_state(db.engine) == "unknown"
    finally:
        db.session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head_revision()})
        db.session.commit()
