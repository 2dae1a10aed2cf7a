"""A database's identity: a random id made on first use, so a bundle can name the database
it came from and a check-in into any other database is refused."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from annotator.db.models import DatabaseInfo


def database_id(session: Session) -> str:
    found = session.scalar(select(DatabaseInfo.database_id).where(DatabaseInfo.id == 1))
    if found:
        return found
    # Two clients may both be first: the insert keeps whichever lands first, and both read it.
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(DatabaseInfo).values(id=1, database_id=str(uuid.uuid4())).on_conflict_do_nothing(index_elements=["id"])
    )
    return session.scalar(select(DatabaseInfo.database_id).where(DatabaseInfo.id == 1))
