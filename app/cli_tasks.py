"""`flask --app app task …`: create a task, choose whom to ask, send, follow it.

For coordinators, who know their volunteers: numbers are masked where they choose
whom to ask, shown in full in `task show` (they may need to phone someone). Nothing
here logs a number.
"""

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from app.cli_volunteers import (
    coordinator_cli,
    find_coordinator,
    find_volunteer,
    local_time,
    parse_ids,
    parse_minutes,
    parse_tags,
    parse_when,
    volunteer_cli,
)
from app.extensions import db
from app.models import Task
from app.services import task_lifecycle, task_planning, tasks, volunteers
from app.services.people import masked
from app.services.task_planning import TaskError
from app.timeutil import utcnow

task_cli = AppGroup("task", help="Volunteer tasks: create, choose whom to ask, send, follow.")


def register_task_cli(app) -> None:
    """Add the `volunteer`, `coordinator` and `task` command groups."""
    for group in (volunteer_cli, coordinator_cli, task_cli):
        app.cli.add_command(group)


def _task(code: int) -> Task:
    task = tasks.by_code(code)
    if task is None:
        raise click.ClickException(f"no current task has number {code}")
    return task


# --- tasks ----------------------------------------------------------------------------


@task_cli.command("create")
@click.option("--title", required=True, help="Short: 'Kjøring til legen'.")
@click.option("--description", default="", help="One or two sentences.")
@click.option("--at", "starts", required=True, help="Start, local time: '2026-11-24 10:00'.")
@click.option("--place", required=True)
@click.option("--needed", default=1, show_default=True, type=int)
@click.option("--area")
@click.option("--tags", default="", help="Required tags, e.g. driver")
@click.option("--language", help="A language volunteers must speak (their own or a tag).")
@click.option("--expires", help="No more answers after this (default: TASK_EXPIRY_HOURS before).")
@click.option("--coordinator", help="Phone or number of the coordinator responsible.")
@click.option("--contact", help="What accepted volunteers are told (default: coordinator).")
@click.option("--wave-interval", help="Time between waves, e.g. 2h (default TASK_WAVE_INTERVAL).")
@click.option(
    "--notify-unanswered/--no-notify-unanswered",
    default=None,
    help="Tell unanswered volunteers when the task is filled or expires.",
)
def task_create(title, description, starts, place, needed, area, tags, language, expires,
                coordinator, contact, wave_interval, notify_unanswered):  # fmt: skip
    """Create a task; prints its number, which volunteers will answer with."""
    try:
        task = task_planning.create_task(
            find_coordinator(coordinator), title=title, description=description,
            starts_at=parse_when(starts), place=place, now=utcnow(), contact=contact,
            needed=needed, area=area, tags=tags, language=language,
            expires_at=parse_when(expires) if expires else None,
            notify_unanswered=notify_unanswered,
            wave_interval=parse_minutes(wave_interval) if wave_interval else None,
        )  # fmt: skip
    except TaskError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(
        f"Task {task.code} created: {task.title}, {local_time(task.starts_at)}, "
        f"{task.needed} needed. Next: flask --app app task candidates {task.code}"
    )


def _filters(fn):
    for option in reversed([
        click.option("--tag", "tag_filter", multiple=True, help="Also require this tag."),
        click.option("--area", help="Area instead of the task's."),
        click.option("--any-area", is_flag=True, help="Do not filter by area."),
        click.option("--language", help="Language instead of the task's."),
        click.option("--rest-days", type=int, help="Not asked in so many days (0: ignore)."),
    ]):  # fmt: skip
        fn = option(fn)
    return fn


def _candidates(task, tag_filter, area, any_area, language, rest_days):
    return volunteers.candidates(
        task, utcnow(), tags=parse_tags(tag_filter), area=area, any_area=any_area,
        language=language, rest_days=rest_days,
    )  # fmt: skip


@task_cli.command("candidates")
@click.argument("code", type=int)
@_filters
def task_candidates(code, tag_filter, area, any_area, language, rest_days):
    """Volunteers it is fair to ask for task CODE, least asked first."""
    task = _task(code)
    found = _candidates(task, tag_filter, area, any_area, language, rest_days)
    if not found:
        click.echo("Nobody matches. Try --any-area, fewer --tag, or --rest-days 0.")
    for c in found:
        v = c.volunteer
        click.echo(f"{v.id:>4}  {v.person.name or '-':<20} {masked(v.person.phone):<10} "
                   f"{','.join(v.tags or []) or '-':<24} {v.area or '-':<12} "
                   f"asked {c.asked_this_week}x this week")  # fmt: skip


@task_cli.command("ask")
@click.argument("code", type=int)
@click.option("--people", help="Volunteer numbers from `task candidates`: 1,4,7")
@click.option("--take", type=int, help="Or: the first N candidates.")
@click.option("--wave", type=int, help="Wave number (default: a new wave after the last).")
@click.option("--after", help="For a later wave: time after the previous one, e.g. 2h.")
@_filters
def task_ask(code, people, take, wave, after, tag_filter, area, any_area, language, rest_days):
    """Choose who is asked in a wave. Nobody is texted until `task send`."""
    task = _task(code)
    if bool(people) == bool(take):
        raise click.UsageError("give either --people 1,4,7 or --take N")
    if people:
        chosen = [find_volunteer(str(i)) for i in parse_ids(people)]
    else:
        found = _candidates(task, tag_filter, area, any_area, language, rest_days)
        chosen = [c.volunteer for c in found[:take]]
    try:
        planned, added, refused = task_planning.plan_wave(
            task, chosen, wave, parse_minutes(after) if after else None
        )
    except TaskError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    for volunteer, reason in refused:
        click.echo(f"Not added: volunteer {volunteer.id} {reason}.")
    click.echo(f"Wave {planned.number}: {len(added)} volunteer(s) added. "
               f"Send with: flask --app app task send {task.code}")  # fmt: skip


@task_cli.command("send")
@click.argument("code", type=int)
def task_send(code):
    """Send the next wave now (requests wait for the morning in quiet hours)."""
    from app.jobs.tasks import enqueue_wave

    task = _task(code)
    try:
        wave = task_planning.request_send(task, utcnow())
    except TaskError as error:
        raise click.ClickException(str(error)) from error
    if wave is None:
        raise click.ClickException("no wave is waiting: add volunteers with `task ask` first")
    db.session.commit()
    try:
        enqueue_wave(wave.id)
    except Exception as error:  # noqa: BLE001 - the scheduler sends due waves anyway
        click.echo(f"Queued for the scheduler ({type(error).__name__}).")
    click.echo(f"Wave {wave.number} of task {task.code} is on its way.")


@task_cli.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also filled, expired and cancelled.")
def task_list(show_all):
    """Current tasks with their numbers."""
    query = sa.select(Task).where(Task.code.is_not(None)).order_by(Task.starts_at)
    if not show_all:
        query = query.where(Task.status == Task.OPEN)
    for t in db.session.scalars(query):
        click.echo(f"{t.code:>4}  {t.title:<30} {local_time(t.starts_at)}  "
                   f"{t.accepted}/{t.needed}  {t.status}")  # fmt: skip


@task_cli.command("show")
@click.argument("code", type=int)
def task_show(code):
    """The task, who was asked and what they said, delivery progress, and its history."""
    task = _task(code)
    tags = ",".join(task.required_tags or []) or "-"
    click.echo(f"Task {task.code}: {task.title} [{task.status}]")
    click.echo(f"  {task.description or '-'}")
    click.echo(
        f"  {local_time(task.starts_at)}, {task.place}; area {task.area or '-'}; "
        f"tags {tags}; language {task.required_language or '-'}"
    )
    click.echo(
        f"  accepted {task.accepted} of {task.needed}; "
        f"expires {local_time(task.expires_at)}; "
        f"coordinator {task.coordinator.person.name or '-'}"
    )
    click.echo("Waves:")
    for w in task_planning.waves(task):
        when = f"sent {local_time(w.sent_at)}" if w.sent_at else f"due {local_time(w.send_at)}"
        click.echo(f"  {w.number}: {when}")
    click.echo("Volunteers:")
    for o in task_planning.offers(task):
        when = local_time(o.answered_at or o.asked_at)
        name = o.person.name or "-"
        click.echo(f"  wave {o.wave}  {name:<20} {o.person.phone:<14} {o.status:<17} {when}")
    shown = task_planning.progress(task)
    counts = ", ".join(f"{shown.get(k, 0)} {k}" for k in ("queued", "sent", "delivered", "failed"))
    click.echo(f"Requests: {counts}")
    click.echo("History:")
    for e in task_planning.events(task):
        who = f" {e.person.name or masked(e.person.phone)}" if e.person else ""
        detail = f": {e.detail}" if e.detail else ""
        told = " (coordinator texted)" if e.message_id else ""
        click.echo(f"  {local_time(e.created_at)}  {e.kind}{who}{detail}{told}")


@task_cli.command("cancel")
@click.argument("code", type=int)
def task_cancel(code):
    """Call the task off; volunteers who said yes are told at once."""
    task = _task(code)
    if not task_lifecycle.cancel(task, utcnow()):
        raise click.ClickException(f"task {code} is {task.status}")
    db.session.commit()
    click.echo(f"Task {code} is cancelled.")
