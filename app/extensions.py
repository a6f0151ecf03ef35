"""Extension objects, created unbound and attached to the app in `create_app`."""

import time

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event, exc
from sqlalchemy.orm import DeclarativeBase

# Named constraints keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
# Staff sign-in (app.staff.auth sets the user loader and the sign-in view).
login_manager = LoginManager()
# Every form posts a token. Twilio's webhooks and the simulator's JSON are exempted in
# create_app: Twilio signs its requests instead, and the simulator has no session.
csrf = CSRFProtect()


def use_real_sqlite_transactions(engine) -> None:
    """Make SQLite honour SAVEPOINT and ROLLBACK (pysqlite otherwise commits early).

    SQLAlchemy's documented recipe: the driver stops managing transactions and we
    BEGIN ourselves. WAL lets the web process read while a worker writes.
    """

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA busy_timeout=5000")

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")


# A pooled connection unused for this long is pinged before it is handed out, so one
# that died meanwhile (a database restart, a proxy's idle timeout) is replaced rather
# than failing a request. A connection in steady use is not pinged: SQLAlchemy's
# pool_pre_ping would add a round trip to every webhook, about a tenth of its work.
PING_AFTER_IDLE_SECONDS = 2.0


def ping_when_idle(engine, after: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Pessimistic disconnect handling for connections that sat idle (SQLAlchemy's
    documented "checkout" event recipe); a connection that breaks while in use is
    invalidated, with the rest of the pool, by SQLAlchemy itself."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record):
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy):
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < after:
            return
        dialect = engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.DisconnectionError() from None  # the pool connects afresh
            raise
