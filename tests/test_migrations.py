"""Migrations: one head, and the models and the migrated schema agree on both backends."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Migrate

from app.extensions import db


def test_there_is_exactly_one_migration_head(app):
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_migrated_schema_matches_the_models(app):
    with app.app_context(), db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []


def test_migrate_extension_is_configured(app):
    assert isinstance(app.extensions["migrate"].migrate, Migrate)
