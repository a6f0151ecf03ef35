"""`INSERT … ON CONFLICT DO NOTHING`, on the databases that have it (PostgreSQL, SQLite).

One statement that lets the database's unique index decide: no read-then-write race
and no savepoint to recover from a lost one. Hot paths use it (the inbound webhook's
MessageSid, a fan-out's dedup keys); other dialects get None and keep the slow path.
"""

from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db

_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_or_skip(table, *unique):
    """An INSERT into `table` (a Table, or a mapped class for an ORM INSERT that can
    return its objects) that skips a row whose `unique` columns are taken; None when the
    session's database cannot do that in one statement."""
    insert = _INSERTS.get(db.session.get_bind().dialect.name)
    if insert is None:
        return None
    return insert(table).on_conflict_do_nothing(index_elements=list(unique))
