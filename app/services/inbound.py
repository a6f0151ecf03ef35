"""One inbound text message, from any door (the Twilio webhook or the simulator).

Order matters: a message seen before is answered from the record; opt-out words
are looked at before any conversation state; an opted-out person is sent nothing.
"""

import logging

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.conversation import engine
from app.conversation.actions import PersonActions
from app.conversation.flow import get_flow
from app.conversation.render import keyword_values, render
from app.conversation.vocabulary import vocabulary
from app.extensions import db
from app.i18n import N_, gettext
from app.models import Conversation, Message, Person
from app.services import callbacks, flood, optout, people, volunteers
from app.services.sql import insert_or_skip
from app.timeutil import utcnow

log = logging.getLogger(__name__)
FLOW = "sms"
TWIML_BODY_LIMIT = 1600


def handle_sms(phone: str, body: str, message_sid: str) -> list[str]:
    """Answer a text from `phone` (E.164). Returns the reply texts; commits.

    A `message_sid` seen before never acts twice: the earlier replies are returned.
    """
    body = clean_body(body)
    flow = get_flow(FLOW)
    vocab = vocabulary(flow, tuple(current_app.config["LANGUAGES"]))
    counted = flood.text_params(utcnow(), body, _is_keyword(vocab, body))
    # Found (or made), touched, counted and locked in one statement. The lock answers
    # two texts from one number at once one after the other: the second reads the
    # conversation as the first left it. So the conversation is read after this, never
    # joined into it: a read that waited for the lock would still see it as it was.
    person = people.touched(phone, _TOUCH_AND_COUNT, **counted)
    # The common case in two statements: the sender found, a MessageSid not seen before.
    received_id = _record_new(person, body, message_sid)
    if received_id is None:  # this MessageSid was seen before (or no one-statement insert)
        earlier = _inbound(message_sid)
        if earlier and earlier.status == "failed":
            db.session.delete(earlier)  # it was never answered: this delivery tries again
            db.session.flush()
        elif earlier:
            # Answered before: nothing of this delivery is kept (nor counted).
            replies = _replies_to(earlier)
            db.session.rollback()
            return replies
        received = Message(
            person_id=person.id, direction=Message.IN, kind="inbound", body=body,
            twilio_sid=message_sid, status="received",
        )  # fmt: skip
        try:
            with db.session.begin_nested():
                db.session.add(received)
        except IntegrityError:  # the same delivery, twice at once: the other one answers
            db.session.rollback()
            return _replies_to(_inbound(message_sid))
        received_id = received.id
    if person.sms_error_code is not None:
        person.sms_error_code = None  # Twilio said it takes no texts, yet it sends them
    texts = _answer(person, body, flow, vocab)
    if texts:
        db.session.execute(
            Message.__table__.insert(),  # Core: the ORM's bulk path costs more for a row or two
            [
                {"person_id": person.id, "direction": Message.OUT, "kind": "reply",
                 "body": text, "status": "replied", "reply_to_id": received_id}
                for text in texts
            ],
        )  # fmt: skip
    db.session.commit()
    log.info("sms %s answered with %d message(s)", message_sid, len(texts))
    return texts


def clean_body(body: str) -> str:
    """The text as it can be stored: PostgreSQL cannot keep a NUL character in text."""
    return body.replace("\x00", "")


def _answer(person: Person, body: str, flow, vocab) -> list[str]:
    languages = current_app.config["LANGUAGES"]
    word = optout.classify(body, flow.opt_out["stop"], flow.opt_out["start"], languages)
    if word == "stop":
        # Confirmed once; a second STOP while opted out gets no answer at all.
        return _say(flow, person, flow.opt_out["stopped"]) if optout.opt_out(person) else []
    if word == "start" and optout.opt_in(person):
        # "Messages again" includes task requests: a volunteer's pause ends with it.
        volunteer = volunteers.volunteer_for(person)
        if volunteer is not None:
            volunteers.resume(volunteer)
        return _say(flow, person, flow.opt_out["started"])
    if person.opted_out:
        # Nothing is sent to an opted-out number, but asking for a person still counts.
        if vocab.parse(body).command == "call":
            callbacks.request_callback(person, people.language_of(person), "asked")
        return []
    verdict = flood.check(person, utcnow())
    if verdict == flood.QUIET:
        return []  # kept, not answered: too many at once, or another machine answering
    if verdict == flood.SLOW_DOWN:
        return [flood.slow_down_text(people.language_of(person))]
    forced = _forced_command(word, body, person, vocab)
    conversation = _conversation(person, flow.start)
    turn = engine.step(
        flow, vocab, conversation.state, conversation.data or {}, body,
        PersonActions(person, utcnow()), command=forced,
    )  # fmt: skip
    conversation.state, conversation.data = turn.state, turn.data
    return [_sms_text(render(flow, turn.prompts, people.language_of(person)))]


def _forced_command(word: str | None, body: str, person: Person, vocab) -> str | None:
    """What a message that is only one of Twilio's words does, beyond what Twilio does.

    START ends a volunteer's pause (PAUSE); a volunteer's plain YES answers their task
    request (Twilio also takes it as opt-in, which changes nothing for them). Otherwise
    START shows the menu and HELP the help.
    """
    if word == "start":
        volunteer = volunteers.volunteer_for(person)
        if volunteer is not None and vocab.parse(body).command == "yes":
            return "yes"
        if volunteer is not None and volunteer.paused_at is not None:
            return "resume"
        return "menu"
    return "help" if word == "help" else None


def _is_keyword(vocab, text: str) -> bool:
    """One of our commands or a bare number: people repeat these on purpose ("MER")."""
    parsed = vocab.parse(text)
    return parsed.command is not None or parsed.number is not None


def _say(flow, person: Person, msgids: list[str]) -> list[str]:
    return [_sms_text(render(flow, [engine.Prompt(m) for m in msgids], people.language_of(person)))]


def _sms_text(parts: list[str]) -> str:
    """One SMS from a turn's prompts; Twilio takes at most 1,600 characters."""
    return "\n".join(p for p in parts if p)[:TWIML_BODY_LIMIT]


def _conversation(person: Person, start: str) -> Conversation:
    key = f"sms:{person.id}"
    conversation = db.session.scalar(sa.select(Conversation).where(Conversation.key == key))
    if conversation is None:
        conversation = Conversation(key=key, person_id=person.id, flow=FLOW, state=start, data={})
        db.session.add(conversation)
    return conversation


# Built once: it runs for every text.
_TOUCH_AND_COUNT = people.touching(flood.COUNT_TEXT)


def _record_new(person: Person, body: str, message_sid: str) -> int | None:
    """Store the text in one statement, unless its MessageSid is taken (a redelivery, or
    the same delivery twice at once): then None. None also where the database cannot
    do that in one statement; the caller then takes the careful path."""
    table = Message.__table__
    insert = insert_or_skip(table, table.c.twilio_sid)
    if insert is None:
        return None
    values = {
        "person_id": person.id, "direction": Message.IN, "kind": "inbound", "body": body,
        "twilio_sid": message_sid, "status": "received",
    }  # fmt: skip
    return db.session.scalar(insert.values(**values).returning(table.c.id))


def _inbound(message_sid: str) -> Message | None:
    return db.session.scalar(
        sa.select(Message).where(Message.twilio_sid == message_sid, Message.direction == Message.IN)
    )


def _replies_to(received: Message | None) -> list[str]:
    if received is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Message.body).where(Message.reply_to_id == received.id).order_by(Message.id)
        )
    )


def apology(phone: str | None) -> str:
    """What to say when something broke on our side, in the person's language if we know it."""
    language = current_app.config["DEFAULT_LANGUAGE"]
    try:
        person = phone and db.session.scalar(sa.select(Person).where(Person.phone == phone))
        if person:
            language = people.language_of(person)
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
    text = gettext(language, N_("Sorry, something went wrong on our side. Please try again in a "
                                "little while, or reply {CALL} and a person will call you."))
    return text.format(**keyword_values(get_flow(FLOW), language))
