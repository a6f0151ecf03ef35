"""`POST /twilio/sms`: a text message arrives; the answer goes back as TwiML."""

import logging
import traceback

from flask import Response, request
from twilio.twiml.messaging_response import MessagingResponse

from app.channels import bp
from app.channels.security import twilio_signed
from app.extensions import db
from app.models import Message
from app.services.inbound import apology, clean_body, handle_sms
from app.services.people import find_or_create, normalise_phone

log = logging.getLogger(__name__)


def twiml(texts: list[str]) -> Response:
    reply = MessagingResponse()
    for text in texts:
        reply.message(text)
    return Response(str(reply), mimetype="text/xml")


@bp.post("/sms")
@twilio_signed
def inbound_sms():
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    phone = normalise_phone(form.get("From", ""))
    if not phone or not sid:
        # A sender we cannot answer (an alphanumeric name, a malformed request).
        log.warning("sms %s ignored: no usable sender or sid", sid or "-")
        return twiml([])
    body = clean_body(form.get("Body", ""))
    try:
        return twiml(handle_sms(phone, body, sid))
    except Exception as error:
        # Never a 500 and never silence: apologise, and keep the message for staff.
        log.error("sms %s failed: %s", sid, where(error))
        db.session.rollback()
        _keep_unanswered(phone, body, sid)
        return twiml([apology(phone)])


def where(error: Exception) -> str:
    """The error's type and the line it came from, without its text: database errors
    quote the values they choked on, and those may be a phone number or a body."""
    frame = traceback.extract_tb(error.__traceback__)[-1:]
    place = f" at {frame[0].filename}:{frame[0].lineno}" if frame else ""
    return f"{type(error).__name__}{place}"


def _keep_unanswered(phone: str, body: str, sid: str) -> None:
    """Store what could not be answered, so staff see it and a redelivery tries again."""
    try:
        person = find_or_create(phone)
        db.session.add(
            Message(person_id=person.id, direction=Message.IN, kind="inbound", body=body,
                    twilio_sid=sid, status="failed")
        )  # fmt: skip
        db.session.commit()
    except Exception:  # the database itself may be what failed
        db.session.rollback()
        log.error("sms %s could not be stored", sid)
