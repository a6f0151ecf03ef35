"""Command line: `flask --app app <command>`."""

from flask import Flask


def register_cli(app: Flask) -> None:
    """Attach the project's commands to the app's `flask` CLI."""
