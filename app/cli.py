"""Command line: `flask --app app <command>`."""

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.conversation.flow import FLOWS_DIR, FlowError, get_flow


def register_cli(app: Flask) -> None:
    """Attach the project's commands to the app's `flask` CLI."""
    from app.cli_api import register_api_cli
    from app.cli_staff import register_staff_cli
    from app.cli_tasks import register_task_cli
    from app.demo import register_demo_cli
    from app.jobs.worker import register_worker_cli

    app.cli.add_command(flows)
    register_demo_cli(app)
    register_worker_cli(app)
    register_task_cli(app)
    register_staff_cli(app)
    register_api_cli(app)


@click.group(cls=AppGroup)
def flows() -> None:
    """Conversation flows."""


@flows.command("recordings")
@click.argument("language")
def flows_recordings(language: str) -> None:
    """List the recordings a language without a voice needs: file, then what it says."""
    from app import i18n
    from app.channels.voice_twiml import prompt_key, recordable

    folder = current_app.config["VOICE_RECORDINGS_DIR"] / language
    for text in recordable(get_flow("voice")):
        path = folder / f"{prompt_key(text)}.mp3"
        mark = "ok     " if path.is_file() else "missing"
        click.echo(f"{mark} {path}\n        {text}\n        {_said(i18n, language, text)}")


def _said(i18n, language: str, text: str) -> str:
    """The translation a recording should say (the menu's options: with their key)."""
    import re

    found = re.search(r"\d+(?=\.$)", text)
    if found:
        msgid = text[: found.start()] + "{digit}" + text[found.end() :]
        return i18n.gettext(language, msgid).format(digit=found.group())
    return i18n.gettext(language, text)


@flows.command("check")
def flows_check() -> None:
    """Check every flow and the code's texts in every enabled language; exit 1 on any problem."""
    from app.conversation.check import LANGUAGE_MENU_SEGMENTS, check_all

    languages = current_app.config["LANGUAGES"]
    flows, problems = [], []
    for path in sorted(FLOWS_DIR.glob("*.yaml")):
        try:
            flows.append(get_flow(path.stem))
        except FlowError as error:
            problems.append(str(error))
    report = check_all(flows, languages)
    problems += report.problems
    click.echo(f"{'language':<10}{'translated':>12}{'reviewed':>10}{'unreviewed':>12}"
               f"{'longest SMS':>13}{'language menu':>15}")  # fmt: skip
    for language, row in report.summary.items():
        click.echo(f"{language:<10}{f'{row.translated}/{row.total}':>12}{row.reviewed:>10}"
                   f"{row.unreviewed:>12}{row.longest:>13}{row.menu:>15}")  # fmt: skip
    click.echo(f"(SMS in segments; the language menu may take {LANGUAGE_MENU_SEGMENTS}.)")
    for problem in problems:
        click.echo(f"PROBLEM {problem}", err=True)
    if problems:
        click.echo(f"{len(problems)} problems.", err=True)
        raise SystemExit(1)
    click.echo("All flows are complete.")
