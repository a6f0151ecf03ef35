"""Pooled connections: one that sat idle is pinged before use, so a connection that died
meanwhile is replaced without failing anyone; one in steady use is not pinged (that
round trip on every webhook is what pool_pre_ping cost)."""

import time

import pytest
import sqlalchemy as sa

from app.extensions import db, ping_when_idle

IDLE = 0.3


@pytest.fixture
def engine(app):
    """A pool of one connection, pinged after IDLE seconds, on the tests' database."""
    with app.app_context():
        url = db.engine.url
    engine = sa.create_engine(url, pool_size=1, max_overflow=0)
    ping_when_idle(engine, after=IDLE)
    yield engine
    engine.dispose()


def backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(sa.text("SELECT pg_backend_pid()"))


def terminate(app, pid: int) -> None:
    with app.app_context(), db.engine.connect() as admin:
        admin.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.commit()


@pytest.mark.postgres_only
def test_a_connection_that_died_while_idle_is_replaced_before_use(app, engine):
    pid = backend_pid(engine)
    terminate(app, pid)
    time.sleep(IDLE + 0.1)

    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT 1")) == 1
    assert backend_pid(engine) != pid


@pytest.mark.postgres_only
def test_a_connection_in_steady_use_is_not_pinged(app, engine):
    pid = backend_pid(engine)
    terminate(app, pid)

    # Straight back into use: no ping, so the dead connection surfaces as an error once …
    with pytest.raises(sa.exc.DBAPIError) as raised, engine.connect() as connection:
        connection.scalar(sa.text("SELECT 1"))
    assert raised.value.connection_invalidated
    # … and SQLAlchemy has replaced it for the next user.
    assert backend_pid(engine) != pid
