"""The phone line's webhooks: `POST /twilio/voice` answers a call; the TwiML it returns
names the next step (`/twilio/voice/step?n=…`, `/dial-done`, `/recorded`).

Every one is signed by Twilio and always answers TwiML: on any failure the caller hears
an apology in their language and is put through to a person, never a 500.
"""

from flask import Response, current_app, request, send_from_directory

from app.channels import bp, voice_call
from app.channels.security import twilio_signed


def _twiml(xml: str) -> Response:
    return Response(xml, mimetype="text/xml")


def _step_number() -> int | None:
    raw = request.args.get("n", "")
    return int(raw) if raw.isdigit() and len(raw) < 7 else None


def _handle(kind: str) -> Response:
    req = voice_call.CallRequest.from_form(request.form)
    return _twiml(voice_call.handle(req, kind, _step_number()))


@bp.post("/voice")
@twilio_signed
def voice_answer():
    return _handle("answer")


@bp.post("/voice/step")
@twilio_signed
def voice_step():
    return _handle("step")


@bp.post("/voice/dial-done")
@twilio_signed
def voice_dial_done():
    return _handle("dial")


@bp.post("/voice/recorded")
@twilio_signed
def voice_recorded():
    return _handle("recorded")


@bp.get("/voice/prompts/<language>/<name>")
def voice_prompt(language: str, name: str):
    """A recorded prompt, for <Play>: public, since it is the same for every caller."""
    if not name.endswith(".mp3") or not language.isalpha():
        return Response(status=404)
    folder = current_app.config["VOICE_RECORDINGS_DIR"] / language
    return send_from_directory(folder, name, mimetype="audio/mpeg", max_age=3600)
