"""Only Twilio may call the webhooks: `X-Twilio-Signature` is checked on every request."""

from functools import wraps

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator


def public_url() -> str:
    """The URL Twilio called. Behind a proxy `request.url` is the internal one, so rebuild it."""
    base = current_app.config["PUBLIC_BASE_URL"]
    query = request.query_string.decode("latin-1")
    return f"{base}{request.path}" + (f"?{query}" if query else "")


def is_from_twilio() -> bool:
    token = current_app.config["TWILIO_AUTH_TOKEN"]
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False  # fail closed: without a token nothing can be verified
    return RequestValidator(token).validate(public_url(), request.form, signature)


def twilio_signed(view):
    """Reject (403) any request whose Twilio signature does not match, before it acts."""

    @wraps(view)
    def checked(*args, **kwargs):
        if request.mimetype != "application/x-www-form-urlencoded" or not is_from_twilio():
            abort(403)
        return view(*args, **kwargs)

    return checked
