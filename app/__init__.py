"""Samtale: local life by SMS and ordinary phone call."""

import logging

from flask import Flask

from app.config import Config
from app.extensions import db, migrate, use_real_sqlite_transactions


def create_app(overrides: dict | None = None) -> Flask:
    """Build the application; `overrides` replaces configuration keys (tests, scripts)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(Config)
    if overrides:
        app.config.update(overrides)
    # Simulator mode: no Twilio credentials, so outbound messages are stored, not sent.
    app.config["SIMULATOR_MODE"] = not (
        app.config["TWILIO_ACCOUNT_SID"] and app.config["TWILIO_AUTH_TOKEN"]
    )
    app.config.setdefault("SIMULATOR_ENABLED", app.config["SIMULATOR_MODE"])

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            use_real_sqlite_transactions(db.engine)
    migrate.init_app(app, db, directory=str(Config.MIGRATIONS_DIR), render_as_batch=True)

    from app import models  # noqa: F401 - registers the tables with the metadata
    from app.channels import bp as channels_bp
    from app.health import bp as health_bp
    from app.simulator import bp as simulator_bp

    app.register_blueprint(channels_bp)
    app.register_blueprint(health_bp)
    if app.config["SIMULATOR_ENABLED"]:
        app.register_blueprint(simulator_bp)

    from app.cli import register_cli

    register_cli(app)
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # it logs bodies
    return app
