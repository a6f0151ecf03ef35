"""`flask --app app volunteer|coordinator …`: the people tasks are for and from.

Full phone numbers are shown to coordinators here (they may need to phone someone);
nothing here logs a number.
"""

import re
from datetime import datetime

import click
import sqlalchemy as sa
from flask import current_app
from flask.cli import AppGroup

from app.extensions import db
from app.models import Coordinator, Organisation, Person, Volunteer
from app.services import volunteers
from app.services.people import masked, normalise_phone
from app.timeutil import local_zone, utcnow

volunteer_cli = AppGroup(
    "volunteer", help="Volunteers: add, list, approve, pause, resume, deactivate."
)
coordinator_cli = AppGroup("coordinator", help="Coordinators, who create tasks.")


# --- parsing -------------------------------------------------------------------------


def parse_phone(raw: str) -> str:
    phone = normalise_phone(raw)
    if phone is None:
        raise click.BadParameter(f"{raw!r} is not a phone number")
    return phone


def parse_when(raw: str) -> datetime:
    """ "2026-11-24 10:00" in local time (TIMEZONE), or with an explicit offset."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError as error:
        raise click.BadParameter(f"{raw!r}: use YYYY-MM-DD HH:MM (local time)") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=local_zone())


def parse_minutes(raw: str) -> int:
    """ "2h", "90m", "1h30m" or plain minutes."""
    match = re.fullmatch(r"\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m?)?\s*", raw.lower())
    if not raw.strip() or match is None:
        raise click.BadParameter(f"{raw!r}: use e.g. 2h, 90m or 1h30m")
    hours, minutes = match.groups()
    return int(hours or 0) * 60 + int(minutes or 0)


def parse_ids(raw: str) -> list[int]:
    try:
        return [int(part) for part in raw.split(",") if part.strip()]
    except ValueError as error:
        raise click.BadParameter("give volunteer numbers separated by commas: 1,4,7") from error


def find_volunteer(ref: str) -> Volunteer:
    """A volunteer by their number in `volunteer list`, or by phone number."""
    if ref.isdigit() and len(ref) < 6:
        volunteer = db.session.get(Volunteer, int(ref))
    else:
        volunteer = db.session.scalar(
            sa.select(Volunteer).join(Volunteer.person).where(Person.phone == parse_phone(ref))
        )
    if volunteer is None:
        raise click.ClickException(f"no volunteer {ref}")
    return volunteer


def find_coordinator(ref: str | None) -> Coordinator:
    query = sa.select(Coordinator).join(Coordinator.person).where(Coordinator.active)
    if ref:
        query = query.where(
            Coordinator.id == int(ref) if ref.isdigit() and len(ref) < 6
            else Person.phone == parse_phone(ref)
        )  # fmt: skip
    found = db.session.scalars(query.order_by(Coordinator.id)).all()
    if len(found) != 1:
        raise click.ClickException(
            "name the coordinator with --coordinator (phone or number)"
            if found else "no such active coordinator; add one with `coordinator add`"
        )  # fmt: skip
    return found[0]


def local_time(moment: datetime | None) -> str:
    return moment.astimezone(local_zone()).strftime("%a %d.%m %H:%M") if moment else "-"


def parse_tags(values: tuple[str, ...]) -> list[str]:
    return volunteers.clean_tags(",".join(values))


# --- coordinators ---------------------------------------------------------------------


@coordinator_cli.command("add")
@click.argument("phone")
@click.option("--name", required=True, help="Shown to volunteers: 'Kari asks: can you help?'")
@click.option("--organisation", help="The organisation's name (created if new).")
@click.option("--language", help="Language of the coordinator's notices (default: guessed).")
def coordinator_add(phone, name, organisation, language):
    """Make PHONE a coordinator, who gets task notices by SMS."""
    org = None
    if organisation:
        org = db.session.scalar(sa.select(Organisation).where(Organisation.name == organisation))
        org = org or Organisation(name=organisation)
        db.session.add(org)
    coordinator = volunteers.add_coordinator(parse_phone(phone), name, org, language)
    db.session.commit()
    click.echo(f"Coordinator {coordinator.id}: {name}")


# --- volunteers -----------------------------------------------------------------------


@volunteer_cli.command("add")
@click.argument("phone")
@click.option("--name", help="Name, as coordinators know them.")
@click.option("--language", help="Language for their messages (nb, en, …).")
@click.option("--tags", default="", help="Skills and languages, e.g. driver,visiting,pl")
@click.option("--area", help="Part of the municipality, e.g. Sentrum.")
@click.option("--note", help="For coordinators only.")
def volunteer_add(phone, name, language, tags, area, note):
    """Register a volunteer (active at once: you have talked to them)."""
    if language and language not in current_app.config["LANGUAGES"]:
        raise click.BadParameter(f"languages: {', '.join(current_app.config['LANGUAGES'])}")
    volunteer = volunteers.register(
        parse_phone(phone), name=name, language=language, tags=tags, area=area, note=note,
        now=utcnow(),
    )  # fmt: skip
    db.session.commit()
    click.echo(f"Volunteer {volunteer.id}: {name or masked(volunteer.person.phone)}, "
               f"tags {','.join(volunteer.tags) or '-'}")  # fmt: skip


@volunteer_cli.command("list")
@click.option("--pending", is_flag=True, help="Only those waiting for approval.")
@click.option("--tag", "tag_filter", multiple=True, help="Only those with this tag.")
def volunteer_list(pending, tag_filter):
    """Every volunteer with status, tags, area and phone number."""
    query = sa.select(Volunteer).order_by(Volunteer.id)
    if pending:
        query = query.where(Volunteer.status == Volunteer.PENDING)
    wanted = set(parse_tags(tag_filter))
    for v in db.session.scalars(query):
        if wanted - set(v.tags or []):
            continue
        status = "paused" if v.paused_at and v.status == Volunteer.ACTIVE else v.status
        click.echo(f"{v.id:>4}  {v.person.name or '-':<20} {v.person.phone:<14} {status:<8} "
                   f"{','.join(v.tags or []) or '-':<24} {v.area or '-'}")  # fmt: skip


@volunteer_cli.command("approve")
@click.argument("volunteer")
def volunteer_approve(volunteer):
    """Take on a pending volunteer (after talking to them)."""
    v = find_volunteer(volunteer)
    volunteers.approve(v, utcnow())
    db.session.commit()
    click.echo(f"Volunteer {v.id} is active.")


@volunteer_cli.command("pause")
@click.argument("volunteer")
def volunteer_pause(volunteer):
    """Stop task requests to a volunteer (as if they had texted PAUSE)."""
    v = find_volunteer(volunteer)
    volunteers.pause(v, utcnow())
    db.session.commit()
    click.echo(f"Volunteer {v.id} is paused.")


@volunteer_cli.command("resume")
@click.argument("volunteer")
def volunteer_resume(volunteer):
    """Let task requests reach a paused volunteer again."""
    v = find_volunteer(volunteer)
    volunteers.resume(v)
    db.session.commit()
    click.echo(f"Volunteer {v.id} may be asked again.")


@volunteer_cli.command("deactivate")
@click.argument("volunteer")
def volunteer_deactivate(volunteer):
    """No longer a volunteer: never suggested or asked again (history is kept)."""
    v = find_volunteer(volunteer)
    volunteers.deactivate(v)
    db.session.commit()
    click.echo(f"Volunteer {v.id} is inactive.")
