"""Only Twilio may call the webhooks, and only in the shape Twilio uses.

Every request is checked before anything reads or acts on it: its size (Twilio's forms
are small; `TWILIO_WEBHOOK_MAX_BYTES`, 413), its content type (a urlencoded form, as Twilio
posts; anything else 415), and its `X-Twilio-Signature` (403).
"""

from functools import wraps

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

FORM = "application/x-www-form-urlencoded"


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
    """Reject a request that is too large (413), not a form (415) or not signed by Twilio
    (403), before the view runs: a rejected request leaves nothing behind."""

    @wraps(view)
    def checked(*args, **kwargs):
        # The app-wide limit is sized for staff uploads; a webhook gets far less. Set
        # before the form is read, so an oversized body is refused unread.
        limit = current_app.config["TWILIO_WEBHOOK_MAX_BYTES"]
        request.max_content_length = limit
        if request.content_length is not None and request.content_length > limit:
            abort(413)
        if request.mimetype != FORM:
            abort(415)
        if not is_from_twilio():
            abort(403)
        return view(*args, **kwargs)

    return checked
