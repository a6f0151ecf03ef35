"""Samtale: local life by SMS and ordinary phone call."""

import logging
from datetime import timedelta

from flask import Flask

from app.config import Config
from app.extensions import (
    csrf,
    db,
    login_manager,
    migrate,
    ping_when_idle,
    use_real_sqlite_transactions,
)


def _secret_key_given(app: Flask, overrides: dict | None) -> bool:
    return app.config["SECRET_KEY_FROM_ENV"] or "SECRET_KEY" in (overrides or {})


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
    if not app.config["SIMULATOR_MODE"] and not _secret_key_given(app, overrides):
        raise RuntimeError(
            "SECRET_KEY must be set when Twilio credentials are: every process of the "
            "service must sign sessions and call links with the same key"
        )
    _derive_session_settings(app, overrides or {})
    if app.config["TRUSTED_PROXY_COUNT"] > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            use_real_sqlite_transactions(db.engine)
        ping_when_idle(db.engine)
    migrate.init_app(app, db, directory=str(Config.MIGRATIONS_DIR), render_as_batch=True)

    from app import models  # noqa: F401 - registers the tables with the metadata
    from app.api import bp as api_bp
    from app.channels import bp as channels_bp
    from app.health import bp as health_bp
    from app.simulator import bp as simulator_bp
    from app.staff import bp as staff_bp

    login_manager.init_app(app)
    csrf.init_app(app)
    # Twilio signs its webhooks; the simulator's JSON endpoints have no staff session.
    csrf.exempt(channels_bp)
    csrf.exempt(simulator_bp)
    # The API authenticates by bearer token only, never by the session cookie.
    csrf.exempt(api_bp)

    app.register_blueprint(channels_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(api_bp)
    if app.config["SIMULATOR_ENABLED"]:
        app.register_blueprint(simulator_bp)

    from app.cli import register_cli

    register_cli(app)
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)  # it logs bodies
    return app


def _derive_session_settings(app: Flask, overrides: dict) -> None:
    """Session lifetime and cookie security follow the settings they depend on."""
    if "PERMANENT_SESSION_LIFETIME" not in overrides:
        minutes = app.config["STAFF_SESSION_MINUTES"]
        app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=minutes)
    if "SESSION_COOKIE_SECURE" not in overrides:
        app.config["SESSION_COOKIE_SECURE"] = app.config["PUBLIC_BASE_URL"].startswith("https://")
