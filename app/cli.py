"""Command line: `flask --app app <command>`."""

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.conversation.flow import FLOWS_DIR, FlowError, get_flow


def register_cli(app: Flask) -> None:
    """Attach the project's commands to the app's `flask` CLI."""
    from app.cli_staff import register_staff_cli
    from app.cli_tasks import register_task_cli
    from app.demo import register_demo_cli
    from app.jobs.worker import register_worker_cli

    app.cli.add_command(flows)
    register_demo_cli(app)
    register_worker_cli(app)
    register_task_cli(app)
    register_staff_cli(app)


@click.group(cls=AppGroup)
def flows() -> None:
    """Conversation flows."""


@flows.command("check")
def flows_check() -> None:
    """Check every flow in every enabled language; exit 1 on any problem."""
    from app.conversation.check import check

    languages = current_app.config["LANGUAGES"]
    problems = []
    totals: dict[str, list[int]] = {}
    for path in sorted(FLOWS_DIR.glob("*.yaml")):
        try:
            report = check(get_flow(path.stem), languages)
        except FlowError as error:
            problems.append(str(error))
            continue
        problems += report.problems
        for language, (done, total, longest) in report.summary.items():
            row = totals.setdefault(language, [0, 0, 0])
            row[0], row[1], row[2] = row[0] + done, row[1] + total, max(row[2], longest)
    click.echo(f"{'language':<10}{'translated':>14}{'longest SMS (segments)':>26}")
    for language, (done, total, longest) in totals.items():
        click.echo(f"{language:<10}{f'{done}/{total}':>14}{longest:>26}")
    for problem in problems:
        click.echo(f"PROBLEM {problem}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo("All flows are complete.")
