"""Volunteers: FRIVILLIG, PAUSE and START by SMS; who is fair to ask; the command line."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import CallbackRequest, Person, TaskOffer, Volunteer
from app.services import volunteers
from app.timeutil import utcnow
from tests import factories
from tests.task_helpers import ask

ANNE, BJORN, CHRIS = "+4791100001", "+4791100002", "+4791100003"


@pytest.fixture(autouse=True)
def no_quiet_hours(app):
    app.config["QUIET_HOURS"] = "0-0"


def volunteer(phone: str) -> Volunteer | None:
    db.session.commit()
    return db.session.scalar(sa.select(Volunteer).join(Volunteer.person).where(
        Person.phone == phone))  # fmt: skip


def test_frivillig_makes_a_pending_volunteer_and_a_person_will_call(ctx, sms):
    [reply] = sms("Frivillig", phone=ANNE)
    assert reply.startswith("Takk for at du vil hjelpe! En person fra frivilligsentralen ringer")
    assert volunteer(ANNE).status == Volunteer.PENDING
    [callback] = db.session.scalars(sa.select(CallbackRequest)).all()
    assert callback.reason == "volunteer"
    assert sms("FRIVILLIG", phone=ANNE)[0].startswith("Takk! Vi har fått meldingen din")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Volunteer)) == 1
    # Pending volunteers are never asked.
    task = factories.task()
    assert volunteers.candidates(task, utcnow()) == []


def test_volunteer_in_english_and_an_active_volunteer_is_told_so(ctx, sms):
    assert sms("VOLUNTEER", phone=BJORN)[0].startswith("Thank you for wanting to help!")
    factories.volunteer(ANNE)
    assert sms("FRIVILLIG", phone=ANNE)[0].startswith("Du er allerede frivillig.")


def test_pause_and_start_by_sms(ctx, sms):
    factories.volunteer(ANNE)
    assert sms("PAUSE", phone=ANNE) == [
        "Du får ingen forespørsler om frivillig hjelp før du svarer START. Takk for alt du gjør!"
    ]
    assert volunteer(ANNE).paused_at is not None
    assert sms("ta pause", phone=ANNE)[0].startswith("Du har pause fra forespørsler")
    assert sms("START", phone=ANNE) == [
        "Velkommen tilbake! Du kan få forespørsler om frivillig hjelp igjen."
    ]
    assert volunteer(ANNE).paused_at is None
    assert volunteers.is_active_volunteer(volunteer(ANNE).person)
    # START once more is just START: the menu, as before.
    assert sms("START", phone=ANNE)[0].startswith("Svar med et tall")
    # The same by our own word, which is not one of Twilio's.
    sms("PAUSE", phone=ANNE)
    assert sms("fortsett", phone=ANNE)[0].startswith("Velkommen tilbake! Du kan få")
    assert sms("fortsett", phone=ANNE)[0].startswith("Du har ikke pause")


def test_start_after_stop_opts_in_and_ends_a_pause_too(ctx, sms):
    factories.volunteer(ANNE)
    sms("PAUSE", phone=ANNE)
    sms("STOPP", phone=ANNE)
    [reply] = sms("START", phone=ANNE)
    assert reply.startswith("Velkommen tilbake! Du får meldinger fra oss igjen.")
    v = volunteer(ANNE)
    assert not v.person.opted_out and v.paused_at is None


def test_start_for_someone_who_is_not_a_volunteer_is_unchanged(ctx, sms):
    assert sms("START", phone=CHRIS)[0].startswith("Velkommen til Samtale")
    assert sms("START", phone=CHRIS)[0].startswith("Svar med et tall")
    assert sms("PAUSE", phone=CHRIS)[0].startswith("Du er ikke registrert som frivillig. Svar "
                                                   "FRIVILLIG")  # fmt: skip


def test_candidates_match_tags_area_and_language_and_skip_those_not_to_ask(ctx, app):
    driver = factories.volunteer("+4791200001", "Driver", tags=["driver"], area="Sentrum")
    factories.volunteer("+4791200002", "Cook", tags=["cooking"], area="Sentrum")
    elsewhere = factories.volunteer("+4791200003", "Far", tags=["driver"], area="Nord")
    factories.volunteer("+4791200004", "Pole", tags=["driver", "pl"], area="Sentrum")
    paused = factories.volunteer("+4791200005", "Paused", tags=["driver"], area="Sentrum")
    paused.paused_at = utcnow()
    gone = factories.volunteer("+4791200006", "Gone", tags=["driver"], area="Sentrum")
    gone.person.opted_out = True
    db.session.commit()
    task = factories.task(tags=["driver"], area="sentrum")
    now = utcnow()
    names = lambda found: [c.person.name for c in found]  # noqa: E731
    assert names(volunteers.candidates(task, now)) == ["Driver", "Pole"]
    assert names(volunteers.candidates(task, now, any_area=True)) == ["Driver", "Far", "Pole"]
    assert names(volunteers.candidates(task, now, language="pl")) == ["Pole"]
    assert names(volunteers.candidates(task, now, tags=["pl"])) == ["Pole"]
    # Asked recently: rested first, and after the weekly cap not at all.
    ask(task, [driver])
    other = factories.task(tags=["driver"], area="sentrum", starts_in=timedelta(days=3))
    assert names(volunteers.candidates(other, utcnow())) == ["Pole"]
    assert names(volunteers.candidates(other, utcnow(), rest_days=0)) == ["Pole", "Driver"]
    app.config["VOLUNTEER_WEEKLY_CAP"] = 1
    assert names(volunteers.candidates(other, utcnow(), rest_days=0)) == ["Pole"]
    assert elsewhere.id  # kept for the any_area case above


def test_coordinators_register_list_approve_pause_and_resume_by_command_line(ctx, runner, sms):
    result = runner.invoke(args=["coordinator", "add", "90000001", "--name", "Kari",
                                 "--organisation", "Fjordvik frivilligsentral"])  # fmt: skip
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["volunteer", "add", "911 00 001", "--name", "Anne",
                                 "--tags", "Driver, PL", "--area", "Sentrum"])  # fmt: skip
    assert result.exit_code == 0, result.output
    v = volunteer(ANNE)
    assert (v.status, v.tags, v.area) == ("active", ["driver", "pl"], "Sentrum")
    sms("FRIVILLIG", phone=BJORN)
    listed = runner.invoke(args=["volunteer", "list", "--pending"]).output
    assert BJORN in listed and ANNE not in listed
    assert runner.invoke(args=["volunteer", "approve", BJORN]).exit_code == 0
    assert volunteer(BJORN).status == "active"
    assert runner.invoke(args=["volunteer", "pause", str(v.id)]).exit_code == 0
    assert volunteer(ANNE).paused_at is not None
    assert "paused" in runner.invoke(args=["volunteer", "list", "--tag", "driver"]).output
    assert runner.invoke(args=["volunteer", "resume", ANNE]).exit_code == 0
    assert volunteer(ANNE).paused_at is None
    assert runner.invoke(args=["volunteer", "approve", "999"]).exit_code != 0
    assert runner.invoke(args=["volunteer", "deactivate", ANNE]).exit_code == 0
    assert volunteer(ANNE).status == "inactive"
    assert not volunteers.is_active_volunteer(volunteer(ANNE).person)


def test_a_task_from_the_command_line_to_the_chosen_volunteers(ctx, runner, run_jobs, fake_twilio):
    runner.invoke(args=["coordinator", "add", "90000001", "--name", "Kari"])
    for n, tags in enumerate(["driver", "driver", "cooking", "driver"], 1):
        runner.invoke(args=["volunteer", "add", f"9120000{n}", "--name", f"V{n}", "--tags", tags])
    when = (utcnow() + timedelta(days=2)).strftime("%Y-%m-%d 10:00")
    result = runner.invoke(args=[
        "task", "create", "--title", "Kjøring til legen", "--at", when, "--place", "Legekontoret",
        "--needed", "1", "--tags", "driver", "--description", "Fru Hansen trenger skyss.",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    code = result.output.split()[1]
    listed = runner.invoke(args=["task", "candidates", code]).output
    assert "V1" in listed and "V2" in listed and "V4" in listed and "V3" not in listed
    assert "+4791200001" not in listed and "+47…01" in listed  # numbers masked here
    result = runner.invoke(args=["task", "ask", code, "--people", "1"])
    assert "Wave 1: 1 volunteer(s) added" in result.output, result.output
    result = runner.invoke(args=["task", "ask", code, "--take", "1", "--after", "1h30m"])
    assert "Wave 2: 1 volunteer(s) added" in result.output, result.output
    assert runner.invoke(args=["task", "send", code]).exit_code == 0
    run_jobs()
    assert len(fake_twilio.messages) == 1 and fake_twilio.messages[0]["To"] == "+4791200001"
    db.session.commit()  # the CLI shares this test's session: see what the jobs committed
    shown = runner.invoke(args=["task", "show", code]).output
    assert "[open]" in shown and "asked" in shown and "planned" in shown
    assert "1: sent" in shown and "2: due" in shown
    offers = db.session.scalars(sa.select(TaskOffer.wave).order_by(TaskOffer.id)).all()
    assert offers == [1, 2]
    assert "Kjøring til legen" in runner.invoke(args=["task", "list"]).output


def test_the_command_line_explains_what_it_cannot_do(ctx, runner):
    result = runner.invoke(args=["task", "create", "--title", "X", "--at", "2020-01-01 10:00",
                                 "--place", "Her"])  # fmt: skip
    assert result.exit_code != 0 and "coordinator" in result.output
    runner.invoke(args=["coordinator", "add", "90000001", "--name", "Kari"])
    result = runner.invoke(args=["task", "create", "--title", "X", "--at", "2020-01-01 10:00",
                                 "--place", "Her"])  # fmt: skip
    assert result.exit_code != 0 and "future" in result.output
    assert "no current task" in runner.invoke(args=["task", "show", "55"]).output
    result = runner.invoke(args=["task", "create", "--title", "X", "--at", "tomorrow",
                                 "--place", "Her"])  # fmt: skip
    assert result.exit_code != 0 and "YYYY-MM-DD" in result.output
