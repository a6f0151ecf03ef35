"""Simulator pages: a phone in the browser that texts the service through `handle_sms`.

The JSON endpoints insist on the `X-Requested-With: simulator` header. A browser only
sends a custom header cross-origin after a CORS preflight, which this app never grants,
so another site cannot make a visitor's browser text the service or read a thread.
"""

import uuid

import sqlalchemy as sa
from flask import abort, jsonify, render_template, request

from app.extensions import db
from app.models import Message, Person
from app.services.inbound import handle_sms
from app.services.people import normalise_phone
from app.simulator import bp
from app.timeutil import local_zone

DEFAULT_PHONE = "+4791234567"
# Twilio's own limit for one (concatenated) message body.
MAX_BODY = 1600
# Enough for a long demo; older messages are left out of the thread.
THREAD_LIMIT = 200


@bp.get("/")
def index():
    """The phone page, with the thread of the number in `?phone=` (or the default)."""
    phone = _normalise(request.args.get("phone", DEFAULT_PHONE)) or DEFAULT_PHONE
    return render_template("simulator/index.html", phone=phone, messages=_thread(phone))


@bp.get("/thread")
def thread():
    """Every message to and from a number, oldest first, as JSON (polled by the page)."""
    _require_simulator_header()
    phone = _normalise(request.args.get("phone", ""))
    if phone is None:
        return _bad_phone()
    return jsonify(phone=phone, messages=_thread(phone))


@bp.post("/send")
def send():
    """Text the service from a number, as if through Twilio; returns replies and thread."""
    _require_simulator_header()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error="Send a JSON object with phone and body."), 400
    phone = _normalise(data.get("phone", ""))
    if phone is None:
        return _bad_phone()
    body = data.get("body", "")
    if not isinstance(body, str) or len(body) > MAX_BODY:
        return jsonify(error=f"The message must be text of at most {MAX_BODY} characters."), 400
    replies = handle_sms(phone, body, "SMsim" + uuid.uuid4().hex)
    return jsonify(phone=phone, replies=replies, messages=_thread(phone))


@bp.errorhandler(403)
def _forbidden(_error):
    return jsonify(error="Only the simulator page may call this."), 403


def _require_simulator_header() -> None:
    if request.headers.get("X-Requested-With") != "simulator":
        abort(403)


def _normalise(raw) -> str | None:
    """The number in E.164, or None if it is not a phone number."""
    return normalise_phone(raw) if isinstance(raw, str) and raw.strip() else None


def _bad_phone():
    return jsonify(error="That is not a valid phone number."), 400


def _thread(phone: str) -> list[dict]:
    newest = db.session.scalars(
        sa.select(Message)
        .join(Person, Message.person_id == Person.id)
        .where(Person.phone == phone)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(THREAD_LIMIT)
    ).all()
    zone = local_zone()
    return [
        {
            "id": m.id,
            "direction": m.direction,
            "kind": m.kind,
            "body": m.body,
            "status": m.status,
            "error_code": m.error_code,
            "created_at": m.created_at.isoformat(),
            "local_time": m.created_at.astimezone(zone).strftime("%d.%m %H:%M"),
        }
        for m in reversed(newest)
    ]
