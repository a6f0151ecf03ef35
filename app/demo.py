"""A demo town, Fjordvik, so that the service has something to talk about from the start.

Dates are relative to today, so the demo is always current: weekly series start on their
next weekday, single events fall on a day within the next four weeks.
"""

from datetime import date, datetime, time, timedelta

import click
import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.models import Occurrence, Organisation
from app.services.activities import create_activity, ensure_occurrences
from app.timeutil import local_zone, utcnow

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)

# fmt: off
ORGANISATIONS = {
    "frivilligsentral": ("Fjordvik frivilligsentral", "912 34 500", "post@frivillig.example"),
    "bibliotek": ("Fjordvik bibliotek", "913 45 600", "bibliotek@fjordvik.example"),
    "pensjonister": ("Fjordvik pensjonistforening", "914 56 700", None),
    "besok": ("Besøksvennene i Fjordvik", "915 67 800", None),
    "kirke": ("Fjordvik menighet", "916 78 900", "menighet@fjordvik.example"),
    "laering": ("Fjordvik læringssenter", "917 89 000", "laering@fjordvik.example"),
}

# Places used more than once: (place, address, directions).
SENTRALEN = ("Frivilligsentralen", "Storgata 12", "Buss 2 til Torget, inngang fra parken")
BIBLIOTEKET = ("Fjordvik bibliotek", "Torget 1", "Buss 2 til Torget. Heis ved hovedinngangen")
KIRKESTUA = ("Kirkestua", "Kirkebakken 3", "Buss 4 til Kirka, bak kirken")
HALLEN = ("Fjordvikhallen", "Idrettsveien 4", "Buss 4 til Hallen, inngang B")
LAERING = ("Læringssenteret", "Skolegata 8", "Buss 2 til Skolegata, 2. etasje")
SJOBUA = ("Sjøbua seniorsenter", "Havnegata 20", "Buss 1 til Havna, rampe på siden")

# Weekly series: (organisation, title, weekday, hh:mm, minutes, place, cost, contact,
# capacity, description).
WEEKLY = [
    ("frivilligsentral", "Strikkekafé", WED, "11:00", 120, SENTRALEN, "Gratis",
     "Kari, 912 34 567", None, "Ta med eget strikketøy, eller lån garn og pinner."),
    ("pensjonister", "Seniortrim", TUE, "10:00", 60, HALLEN, "50 kr",
     "Per, 913 22 410", 20, "Rolig trim med musikk. Passer for alle, også med stokk."),
    ("bibliotek", "Språkkafé", THU, "17:00", 90, BIBLIOTEKET, "Gratis",
     "Amina, 914 11 230", None, "Snakk norsk med frivillige over en kopp kaffe."),
    ("laering", "Språkkafé for kvinner", MON, "12:00", 90, LAERING, "Gratis",
     "Hodan, 915 40 112", 12, "Norskprat for kvinner. Barn kan være med."),
    ("frivilligsentral", "Turgruppe", FRI, "10:00", 120,
     ("Fjordvikvannet", "Parkeringen ved Fjordvikvannet", "Buss 3 til Vannet, 5 min gange"),
     "Gratis", "Ola, 916 02 345", None, "Rolig tur rundt vannet. Gode sko, matpakke."),
    ("pensjonister", "Seniormiddag", THU, "14:00", 120, SJOBUA, "80 kr",
     "Berit, 917 55 120", 30, "Middag, dessert og kaffe. Si fra om allergier."),
    ("pensjonister", "Bassengtrim", MON, "11:00", 60,
     ("Fjordvik bad", "Badeveien 2", "Buss 4 til Hallen, inngang A"), "60 kr",
     "Per, 913 22 410", 8, "Trim i varmt vann med instruktør. Ta med badetøy."),
    ("besok", "Trilletur", SAT, "11:00", 90,
     ("Fjordvik sykehjem", "Lia 5", "Buss 1 til Lia, hovedinngangen"), "Gratis",
     "Sigrid, 918 30 777", 6, "Vi går tur med beboere i rullestol. Bli med som følge."),
    ("kirke", "Onsdagstreff", WED, "12:00", 90, KIRKESTUA, "40 kr",
     "Jorunn, 919 60 210", None, "Lunsj, sang og prat. Alle er velkomne."),
    ("bibliotek", "Leksehjelp", TUE, "16:00", 90, BIBLIOTEKET, "Gratis",
     "Amina, 914 11 230", 15, "For skolebarn 1.-10. trinn. Foreldre kan være med."),
    ("laering", "Norsktrening", WED, "18:00", 90, LAERING, "Gratis",
     "Tariq, 915 40 113", 15, "Øv på norsk i hverdagen: lege, butikk, buss."),
    ("frivilligsentral", "Formiddagstreff", FRI, "11:00", 120, SJOBUA, "Gratis",
     "Kari, 912 34 567", None, "Kaffe, vafler og bingo. Kom som du er."),
]

# Single dates: (organisation, title, days from today, hh:mm, minutes, place, cost, contact,
# capacity, description).
SINGLE = [
    ("kirke", "Konsert med mannskoret", 9, "19:00", 90,
     ("Fjordvik kirke", "Kirkebakken 1", "Buss 4 til Kirka"), "100 kr",
     "Jorunn, 919 60 210", 150, "Fjordvik mannskor synger kjente sanger."),
    ("bibliotek", "Digital hjelpedag", 5, "12:00", 180, BIBLIOTEKET, "Gratis",
     "Lars, 914 11 231", 10, "Få hjelp med mobil, BankID og Helsenorge. Ta med mobilen."),
    ("pensjonister", "Fotpleie for seniorer", 6, "10:00", 240, SJOBUA, "250 kr",
     "Berit, 917 55 120", 6, "Fotpleier kommer til Sjøbua. Bestill plass."),
    ("frivilligsentral", "Bytte-dag: klær og ting", 13, "11:00", 180, SENTRALEN, "Gratis",
     "Kari, 912 34 567", None, "Ta med noe, ta med noe hjem. Alt er gratis."),
    ("laering", "Matkurs: norsk mat", 11, "17:00", 150, LAERING, "50 kr",
     "Hodan, 915 40 112", 10, "Vi lager fiskesuppe sammen og spiser etterpå."),
    ("laering", "Infomøte om fastlege", 8, "13:00", 60, LAERING, "Gratis",
     "Tariq, 915 40 113", None, "Hvordan bytte fastlege og bestille time. Tolk er med."),
    ("besok", "Bli besøksvenn", 15, "18:00", 90, SENTRALEN, "Gratis",
     "Sigrid, 918 30 777", 25, "Infomøte for deg som vil besøke noen som er alene."),
    ("bibliotek", "Filmkveld", 17, "18:00", 150, BIBLIOTEKET, "Gratis",
     "Lars, 914 11 231", 40, "Norsk film med norsk tekst. Popkorn og saft."),
    ("frivilligsentral", "Minnekafé", 20, "13:00", 120, SENTRALEN, "Gratis",
     "Kari, 912 34 567", 20, "For personer med demens og pårørende."),
    ("bibliotek", "Trygg på nett", 22, "11:00", 90, BIBLIOTEKET, "Gratis",
     "Lars, 914 11 231", 30, "Foredrag: slik unngår du svindel på telefon og nett."),
]
# fmt: on


def seed_demo() -> bool:
    """Load the Fjordvik demo and commit. Does nothing (returns False) if any data exists."""
    if db.session.scalar(sa.select(Organisation.id).limit(1)) is not None:
        return False
    zone = local_zone()
    today = datetime.now(zone).date()
    organisations = {}
    for key, (name, phone, email) in ORGANISATIONS.items():
        organisations[key] = Organisation(name=name, phone=phone, email=email)
        db.session.add(organisations[key])

    for org, title, weekday, hhmm, minutes, where, cost, contact, capacity, text in WEEKLY:
        day = today + timedelta(days=(weekday - today.weekday()) % 7)
        create_activity(
            organisations[org],
            repeat_weekly=True,
            **_fields(title, day, hhmm, minutes, where, cost, contact, capacity, text, zone),
        )
    for org, title, days, hhmm, minutes, where, cost, contact, capacity, text in SINGLE:
        day = today + timedelta(days=days)
        create_activity(
            organisations[org],
            **_fields(title, day, hhmm, minutes, where, cost, contact, capacity, text, zone),
        )
    # create_activity numbers each activity's dates as it goes; number the whole town again
    # in time order, so that the soonest activities have the lowest codes.
    db.session.execute(sa.update(Occurrence).values(code=None))
    ensure_occurrences()
    db.session.commit()
    _seed_volunteers(organisations["frivilligsentral"], today, zone)
    return True


# A coordinator, volunteers (phone, name, language, tags, area, paused) and one task, so
# that the simulator shows a request: open it with ?phone=+4791234501 (Ingrid).
COORDINATOR = ("+4791234500", "Kari", "nb")
VOLUNTEERS = [
    ("+4791234501", "Ingrid", "nb", "driver,visiting", "Sentrum", False),
    ("+4791234502", "Tomasz", "en", "driver,pl", "Sentrum", False),
    ("+4791234503", "Amina", "nb", "cooking,ar", "Nord", False),
    ("+4791234504", "Ola", "nb", "driver,cooking", "Sentrum", True),
    ("+4791234505", "Berit", "nb", "driver,visiting", "Sentrum", False),
]


def _seed_volunteers(organisation: Organisation, today: date, zone) -> None:
    """Volunteers and a driving task whose first wave is asked at once (second after 2 h)."""
    from app.jobs.tasks import send_wave
    from app.services import task_planning, volunteers

    now = utcnow()
    coordinator = volunteers.add_coordinator(*COORDINATOR[:2], organisation, COORDINATOR[2])
    people = {}
    for phone, name, language, tags, area, paused in VOLUNTEERS:
        people[name] = volunteers.register(phone, name, language, tags, area, now=now)
        if paused:
            volunteers.pause(people[name], now)
    tuesday = today + timedelta(days=(TUE - today.weekday()) % 7 or 7)
    task = task_planning.create_task(
        coordinator, title="Kjøring til legen", now=now,
        description="Fru Hansen trenger skyss til legen og hjem igjen.",
        starts_at=datetime.combine(tuesday, time(10, 0), tzinfo=zone),
        place="Fjordvik legekontor", contact="Kari, 912 34 500", area="Sentrum", tags="driver",
    )  # fmt: skip
    first, _, _ = task_planning.plan_wave(task, [people["Ingrid"], people["Tomasz"]])
    task_planning.plan_wave(task, [people["Berit"]], after_minutes=120)
    task_planning.request_send(task, now)
    db.session.commit()
    send_wave(first.id)  # held until morning in quiet hours; the scheduler sends it then


def _fields(title, day: date, hhmm: str, minutes, where, cost, contact, capacity, text, zone):
    place, address, directions = where
    return dict(
        title=title,
        description=text,
        place=place,
        address=address,
        directions=directions,
        cost=cost,
        contact=contact,
        capacity=capacity,
        starts_at=datetime.combine(day, time.fromisoformat(hhmm), tzinfo=zone),
        duration_minutes=minutes,
    )


def register_demo_cli(app: Flask) -> None:
    """Add `flask --app app seed-demo`."""

    @app.cli.command("seed-demo")
    def seed_demo_command() -> None:
        """Load a demo town with activities (only into an empty database)."""
        if seed_demo():
            click.echo(
                f"Demo loaded: {len(ORGANISATIONS)} organisations, "
                f"{len(WEEKLY) + len(SINGLE)} activities in Fjordvik."
            )
        else:
            click.echo("Data already present; the demo was not loaded.")
