"""`POST /twilio/voice/bridge`: staff answered their phone; connect them to the resident.

Twilio fetches this when the staff member picks up the call placed by
`app.jobs.calls`. It tells them briefly, in their own language, whom they are about to
talk to, then dials the resident with the service's number as caller ID, so neither
side sees the other's private number. The link is signed by Twilio (X-Twilio-Signature)
and carries our own HMAC, so only calls this service placed can be bridged.
"""

import logging

from babel import Locale
from flask import Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from app.channels import bp
from app.channels.security import twilio_signed
from app.channels.voice_twiml import Unspeakable, say_text
from app.extensions import db
from app.i18n import N_, gettext
from app.models import CallbackRequest, StaffCall, StaffUser
from app.services import staff_calls

log = logging.getLogger(__name__)


@bp.post("/voice/bridge")
@twilio_signed
def voice_bridge():
    request_id = request.args.get("request", type=int)
    call_id = request.args.get("call", type=int)
    if not (
        request_id
        and call_id
        and staff_calls.token_ok(request_id, call_id, request.args.get("token", ""))
    ):
        return _hang_up(None, N_("This call could not be connected."))
    call = db.session.get(StaffCall, call_id)
    callback = db.session.get(CallbackRequest, request_id)
    staff = db.session.get(StaffUser, call.staff_id) if call else None
    language = staff.language if staff else current_app.config["DEFAULT_LANGUAGE"]
    if callback is None or call is None or call.request_id != callback.id or staff is None:
        return _hang_up(language, N_("This call could not be connected."))
    if callback.status == CallbackRequest.DONE:
        return _hang_up(language, N_("This request has already been closed. Goodbye."))
    person = callback.person
    language_name = _language_name(callback.language, language)
    if person.name:
        msgid = N_("Connecting you to {name}, who asked for a call in {language}.")
    else:
        msgid = N_("Connecting you to a resident who asked for a call in {language}.")
    text = gettext(language, msgid).format(name=person.name, language=language_name)
    response = VoiceResponse()
    _say(response, text, language)
    config = current_app.config
    dial = response.dial(caller_id=config["TWILIO_FROM_NUMBER"] or None,
                         timeout=config["DIAL_TIMEOUT"])  # fmt: skip
    dial.number(person.phone)
    log.info("bridge: staff call %s connecting request %s", call.id, callback.id)
    return Response(str(response), mimetype="text/xml")


def _language_name(code: str, in_language: str) -> str:
    """A language's name as the staff member says it: "polsk", "Polish"."""
    try:
        return Locale.parse(code).get_display_name(in_language) or code
    except (ValueError, TypeError):
        return code


def _say(response: VoiceResponse, text: str, language: str) -> None:
    try:
        say_text(response, text, language)
    except Unspeakable:
        response.say(text)  # the staff language always has a voice; this is a fallback


def _hang_up(language: str | None, msgid: str) -> Response:
    response = VoiceResponse()
    language = language or current_app.config["DEFAULT_LANGUAGE"]
    _say(response, gettext(language, msgid), language)
    response.hangup()
    return Response(str(response), mimetype="text/xml")
