"""Database set-up: SQLite pragmas, and a plain check that the schema is current."""

from __future__ import annotations

import os
import sqlite3

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, event, inspect

MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """WAL for concurrent readers, a busy timeout for writers, and enforced keys."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def head_revision() -> str:
    """The newest migration shipped with the code."""
    config = AlembicConfig()
    config.set_main_option("script_location", MIGRATIONS)
    return ScriptDirectory.from_config(config).get_current_head()


def schema_state(engine: Engine) -> str:
    """'missing', 'behind', 'current' or 'unknown' (a revision this code does not know)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return "missing"
        current = MigrationContext.configure(connection).get_current_revision()
    head = head_revision()
    if current == head:
        return "current"
    config = AlembicConfig()
    config.set_main_option("script_location", MIGRATIONS)
    known = {rev.revision for rev in ScriptDirectory.from_config(config).walk_revisions()}
    return "behind" if current in known or current is None else "unknown"


SCHEMA_ADVICE = {
    "missing": "数据库尚未创建：请先运行 flask --app surveyapp db upgrade"
               " (the database has no schema yet: run `flask --app surveyapp db upgrade`)",
    "behind": "数据库结构不是最新版本：请运行 flask --app surveyapp db upgrade"
              " (the database schema is behind: run `flask --app surveyapp db upgrade`)",
    "unknown": "数据库结构比当前程序更新，请升级 SurveyApp"
               " (the database was migrated by a newer SurveyApp; upgrade the code)",
}

