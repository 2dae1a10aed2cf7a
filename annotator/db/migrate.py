"""Alembic, run from inside the package so an installed (or frozen) app can upgrade its own database."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# Indexes with expressions (DESC columns) that Alembic cannot reflect and compare on SQLite.
# They are written by hand in the migrations, and a test checks their definition instead.
HAND_WRITTEN_INDEXES = {"ix_items_claim"}


# Tables only a team database has, made by migration 0007 with no model: the server's own settings.
SERVER_ONLY_TABLES = {"server_settings"}


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    if type_ == "table" and name in SERVER_ONLY_TABLES:
        return False
    return not (type_ == "index" and name in HAND_WRITTEN_INDEXES)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


def is_current(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
