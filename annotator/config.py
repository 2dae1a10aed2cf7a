"""Where the database and the data directory are: `--db`, then ANNOTATOR_DATABASE_URL, then a
SQLite file in the platform's user-data directory."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "annotator"
ENV_DATABASE_URL = "ANNOTATOR_DATABASE_URL"
ENV_DATA_DIR = "ANNOTATOR_DATA_DIR"


def data_dir() -> Path:
    """The per-user data directory; ANNOTATOR_DATA_DIR overrides it (tests, portable installs)."""
    override = os.environ.get(ENV_DATA_DIR)
    path = Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def sqlite_url(path: str | os.PathLike) -> str:
    return f"sqlite:///{Path(path).expanduser().resolve()}"


def default_database_url() -> str:
    return sqlite_url(data_dir() / "annotator.sqlite3")


def normalise_url(url: str) -> str:
    """Accept a bare file path (a .sqlite3 or an offline bundle) and plain postgresql:// URLs."""
    if "://" not in url:
        return sqlite_url(url)
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def resolve_database_url(cli_value: str | None = None) -> str:
    if cli_value:
        return normalise_url(cli_value)
    env = os.environ.get(ENV_DATABASE_URL)
    if env:
        return normalise_url(env)
    return default_database_url()


def cache_dir() -> Path:
    """This desktop's cache (media objects, envelopes): the user cache folder, or beside the data
    folder when ANNOTATOR_DATA_DIR names one (so two data folders are two desktops)."""
    override = os.environ.get(ENV_DATA_DIR)
    return Path(override) / "cache" if override else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
