"""Broadcasts: who gets one, the preview per language, sending once, progress, quiet hours."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.jobs.broadcasts import send_broadcast, send_due_broadcasts
from app.models import Broadcast, Message, SignUp
from app.services import broadcasts, signups, volunteers
from app.services.broadcasts import BroadcastError
from app.services.people import find_or_create
from app.timeutil import utcnow
from tests import factories
from tests.conftest import ACCOUNT_SID

OSLO = ZoneInfo("Europe/Oslo")
ANNE, BJORN, CHRIS, DINA, EVA = (f"+479110000{n}" for n in range(1, 6))


@pytest.fixture(autouse=True)
def no_quiet_hours(app):
    """Broadcasts go out whatever the hour the suite runs at; quiet hours have their own test."""
    app.config["QUIET_HOURS"] = "0-0"


def draft(body="Hei! Vi trenger flere sjåfører i desember.", **audience) -> Broadcast:
    audience.setdefault("audience", Broadcast.VOLUNTEERS)
    made = broadcasts.create_draft(None, body=body, **audience)
    db.session.commit()
    return made


def phones(people) -> set[str]:
    return {p.phone for p in people}


def send(broadcast: Broadcast) -> str:
    broadcasts.request_send(broadcast, utcnow())
    db.session.commit()
    return send_broadcast(broadcast.id)


def test_volunteers_by_tag_and_area_leave_out_opted_out_paused_and_inactive(ctx):
    factories.volunteer(ANNE, tags=["driver", "pl"], area="Sentrum")
    factories.volunteer(BJORN, tags=["driver"], area="sentrum")
    factories.volunteer(CHRIS, tags=["knitting"], area="Sentrum")
    paused = factories.volunteer(DINA, tags=["driver"], area="Sentrum")
    volunteers.pause(paused, utcnow())
    inactive = factories.volunteer(EVA, tags=["driver"], area="Sentrum")
    volunteers.deactivate(inactive)
    opted_out = factories.volunteer("+4791100006", tags=["driver"])
    opted_out.person.opted_out = True
    pending, _ = volunteers.express_interest(find_or_create("+4791100007"))
    pending.tags = ["driver"]
    db.session.commit()

    assert phones(broadcasts.volunteer_audience(["driver"])) == {ANNE, BJORN}
    assert phones(broadcasts.volunteer_audience(["Driver", "PL"])) == {ANNE}
    assert phones(broadcasts.volunteer_audience([], "SENTRUM")) == {ANNE, BJORN, CHRIS}
    assert phones(broadcasts.volunteer_audience(["knitting"], "Nordbyen")) == set()


def test_an_activity_reaches_those_signed_up_and_on_request_the_waiting_list(ctx):
    occurrence = factories.occurrence(capacity=1)
    now = utcnow()
    for phone in (ANNE, BJORN, CHRIS, DINA):
        signups.join(find_or_create(phone), occurrence, now)
    signups.cancel(find_or_create(CHRIS), occurrence)  # was waiting, cancelled
    find_or_create(DINA).opted_out = True
    db.session.commit()
    assert db.session.scalar(sa.select(SignUp.status).where(
        SignUp.person_id == find_or_create(BJORN).id)) == SignUp.WAITING  # fmt: skip

    confirmed = draft(audience=Broadcast.ACTIVITY, occurrence_id=occurrence.id)
    everyone = draft(audience=Broadcast.ACTIVITY, occurrence_id=occurrence.id, waiting=True)
    assert phones(broadcasts.recipients(confirmed)) == {ANNE}
    assert phones(broadcasts.recipients(everyone)) == {ANNE, BJORN}


def test_bad_input_is_refused_with_a_reason(ctx):
    with pytest.raises(BroadcastError, match="Write the message"):
        broadcasts.create_draft(None, body="   ", audience=Broadcast.VOLUNTEERS)
    with pytest.raises(BroadcastError, match="at most 1000 characters"):
        broadcasts.create_draft(None, body="x" * 1001, audience=Broadcast.VOLUNTEERS)
    with pytest.raises(BroadcastError, match="Choose an activity"):
        broadcasts.create_draft(None, body="Hei", audience=Broadcast.ACTIVITY, occurrence_id=999)
    with pytest.raises(BroadcastError, match="Choose who gets"):
        broadcasts.create_draft(None, body="Hei", audience="everyone")


def test_the_preview_shows_each_language_with_its_footer_segments_and_encoding(ctx):
    factories.volunteer(ANNE, language="nb")
    factories.volunteer(BJORN, language="nb")
    factories.volunteer(CHRIS, language="en")
    broadcast = draft("Hei! Vi trenger sjåfører til juleturen på lørdag. Kan du? Svar gjerne.")

    nb, en = broadcasts.preview(broadcast)
    assert (nb.language, nb.recipients, en.language, en.recipients) == ("nb", 2, "en", 1)
    assert nb.text.endswith("\nSvar STOPP for å ikke få flere meldinger.")
    assert en.text.endswith("\nReply STOP to get no more messages.")
    # Without a translation of their own, English readers get the main text as written.
    assert en.text.startswith("Hei! Vi trenger sjåfører") and not en.translated
    # æ, ø and å are in the GSM-7 alphabet: one segment of 160 characters.
    assert (nb.encoding, nb.segments, nb.too_long) == ("GSM-7", 1, False)


@pytest.mark.parametrize("word", ["🎄", "Привіт"])
def test_an_emoji_or_a_ukrainian_word_makes_it_ucs2_and_the_footer_may_cost_a_segment(ctx, word):
    factories.volunteer(ANNE, language="nb")
    # 60 UCS-2 characters fit one segment of 70; the footer pushes it to two.
    body = f"{word} " + "a" * (60 - len(word.encode("utf-16-le")) // 2 - 1)
    [nb] = broadcasts.preview(draft(body))
    assert nb.encoding == "UCS-2"
    assert (nb.segments_without_footer, nb.segments) == (1, 2)


def test_a_long_message_is_flagged_and_a_translation_replaces_the_main_text(ctx, app):
    factories.volunteer(ANNE, language="nb")
    factories.volunteer(BJORN, language="en")
    broadcast = draft("Hei. " * 100)  # 500 characters: 4 segments
    broadcasts.update_draft(broadcast, broadcast.body, {"en": "Hello! We need drivers.", "nb": ""})
    db.session.commit()
    nb, en = broadcasts.preview(broadcast)
    assert nb.too_long and nb.segments == 4
    assert en.translated and not en.too_long
    assert en.text == "Hello! We need drivers.\nReply STOP to get no more messages."
    app.config["BROADCAST_WARN_SEGMENTS"] = 4
    assert not broadcasts.preview(broadcast)[0].too_long


def test_sending_reaches_every_recipient_once_even_when_the_job_runs_twice(
    ctx, run_jobs, fake_twilio
):
    factories.volunteer(ANNE, language="nb")
    factories.volunteer(BJORN, language="en")
    skipped = factories.volunteer(CHRIS)
    volunteers.pause(skipped, utcnow())
    db.session.commit()
    broadcast = draft("Julebord fredag kl. 18!")
    broadcasts.update_draft(broadcast, broadcast.body, {"en": "Christmas party Friday at 6 pm!"})
    db.session.commit()

    assert send(broadcast) == "2 queued"
    assert send_broadcast(broadcast.id) == "already sent"
    run_jobs()
    assert send_broadcast(broadcast.id) == "already sent"
    run_jobs()

    assert fake_twilio.bodies_to(ANNE) == [
        "Julebord fredag kl. 18!\nSvar STOPP for å ikke få flere meldinger."
    ]
    assert fake_twilio.bodies_to(BJORN) == [
        "Christmas party Friday at 6 pm!\nReply STOP to get no more messages."
    ]
    assert fake_twilio.bodies_to(CHRIS) == []
    assert len(fake_twilio.messages) == 2
    db.session.commit()
    assert db.session.get(Broadcast, broadcast.id).status == Broadcast.SENT


def test_the_same_broadcast_is_never_queued_twice_for_one_person(ctx):
    factories.volunteer(ANNE)
    broadcast = draft()
    send(broadcast)
    # Even if the claim were bypassed, each person's key lets one row through.
    assert broadcasts.queue_messages(broadcast) == 0
    db.session.commit()
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Message).where(
        Message.broadcast_id == broadcast.id))  # fmt: skip
    assert count == 1


def test_a_draft_cannot_be_sent_twice_nor_changed_once_sent(ctx):
    broadcast = draft()
    assert broadcasts.request_send(broadcast, utcnow())
    assert not broadcasts.request_send(broadcast, utcnow())
    with pytest.raises(BroadcastError):
        broadcasts.update_draft(broadcast, "Nytt", {})


def status_callback(post_signed, sid: str, status: str):
    params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID,
              "MessageStatus": status, "ApiVersion": "2010-04-01"}  # fmt: skip
    assert post_signed("/twilio/status", params).status_code == 204


def current_progress(broadcast: Broadcast) -> dict:
    db.session.commit()  # a new transaction sees what jobs and webhooks committed
    return broadcasts.progress(db.session.get(Broadcast, broadcast.id))


def test_progress_moves_as_status_callbacks_arrive(ctx, run_jobs, fake_twilio, post_signed):
    for phone in (ANNE, BJORN, CHRIS):
        factories.volunteer(phone)
    broadcast = draft()
    assert current_progress(broadcast)["total"] == 0
    send(broadcast)
    queued = current_progress(broadcast)
    assert (queued["counts"]["queued"], queued["total"], queued["percent"]) == (3, 3, 0)

    run_jobs()
    sent = current_progress(broadcast)
    assert sent["counts"]["sent"] == 3 and not sent["finished"]

    sids = {m["To"]: m["sid"] for m in fake_twilio.messages}
    status_callback(post_signed, sids[ANNE], "delivered")
    status_callback(post_signed, sids[BJORN], "undelivered")
    partly = current_progress(broadcast)
    assert partly["counts"] == {"queued": 0, "sent": 1, "delivered": 1, "failed": 1}
    assert (partly["done"], partly["percent"], partly["finished"]) == (2, 66, False)

    status_callback(post_signed, sids[CHRIS], "delivered")
    done = current_progress(broadcast)
    assert done["counts"]["delivered"] == 2
    assert (done["done"], done["percent"], done["finished"]) == (3, 100, True)


def test_in_quiet_hours_it_waits_for_the_morning(ctx, app, run_jobs, fake_twilio):
    app.config["QUIET_HOURS"] = "21-08"
    factories.volunteer(ANNE)
    broadcast = draft()
    evening = datetime(2026, 11, 24, 22, 30, tzinfo=OSLO)
    broadcasts.request_send(broadcast, evening)
    db.session.commit()

    assert send_broadcast(broadcast.id, evening) == "held until the quiet hours end"
    run_jobs()
    assert fake_twilio.messages == []
    db.session.commit()
    assert db.session.get(Broadcast, broadcast.id).send_at == datetime(2026, 11, 25, 8, 0,
                                                                      tzinfo=OSLO)  # fmt: skip
    assert send_due_broadcasts(datetime(2026, 11, 25, 7, 59, tzinfo=OSLO)) == 0
    assert send_due_broadcasts(datetime(2026, 11, 25, 8, 0, tzinfo=OSLO)) == 1
    run_jobs()
    assert len(fake_twilio.bodies_to(ANNE)) == 1


def test_nobody_opted_out_since_the_preview_is_texted(ctx, run_jobs, fake_twilio):
    factories.volunteer(ANNE)
    bjorn = factories.volunteer(BJORN)
    broadcast = draft()
    assert broadcasts.preview(broadcast)[0].recipients == 2
    bjorn.person.opted_out = True
    db.session.commit()
    send(broadcast)
    run_jobs()
    assert [m["To"] for m in fake_twilio.messages] == [ANNE]


def test_someone_waiting_for_a_callback_is_not_talked_over(ctx, run_jobs, fake_twilio):
    from app.services.callbacks import request_callback

    factories.volunteer(ANNE)
    bjorn = factories.volunteer(BJORN)
    request_callback(bjorn.person, "nb", "call")
    db.session.commit()
    broadcast = draft()
    send(broadcast)
    run_jobs()
    assert [m["To"] for m in fake_twilio.messages] == [ANNE]
    shown = current_progress(broadcast)
    assert shown["counts"]["held"] == 1 and shown["counts"]["sent"] == 1
    assert not shown["finished"]
