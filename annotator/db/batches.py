"""Reading a large result a batch at a time, by id: each batch one query past the last id seen,
so no row is read twice and memory stays flat on any project size."""

from __future__ import annotations

from typing import Iterator

from sqlalchemy.orm import Session


def by_id(session: Session, query, id_column, size: int) -> Iterator[list]:
    """The query's rows, `size` at a time in `id_column` order; the query selects that id first."""
    after = None
    while True:
        rows = session.execute((query if after is None else query.where(id_column > after))
                               .order_by(id_column).limit(size)).all()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def one_snapshot(session: Session) -> None:
    """On PostgreSQL, every batch's reads from the same snapshot, when the caller has not begun
    reading already. (A SQLite transaction is one snapshot already.)"""
    import warnings

    from sqlalchemy.exc import SAWarning

    if session.get_bind().dialect.name != "postgresql":
        return
    with warnings.catch_warnings():  # a connection of the caller's transaction is in use: its rules stand
        warnings.filterwarnings("ignore", "Connection is already established", SAWarning)
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
