"""Extension objects, created unbound and attached to the app in `create_app`."""

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
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
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        dbapi_connection.execute("PRAGMA busy_timeout=5000")

    @event.listens_for(engine, "begin")
    def _begin(connection):
        connection.exec_driver_sql("BEGIN")
