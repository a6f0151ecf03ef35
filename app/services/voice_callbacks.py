"""A caller who wanted a person and did not get one: a callback request for staff."""

from app.models import CallbackRequest, Person
from app.services import callbacks

REASON = CHANNEL = "voice"
URL_LIMIT = 500  # the column's size; Twilio's recording URLs are far shorter


def ask_for_person(person: Person, language: str) -> CallbackRequest:
    """The caller's open request, created now if there is none (so never two)."""
    request, _ = callbacks.request_callback(person, language, REASON, CHANNEL)
    return request


def attach_recording(request: CallbackRequest, url: str) -> None:
    """Keep the caller's message with the request; a second message is kept as well."""
    url = url[:URL_LIMIT]
    if not url or url == request.recording_url:
        return
    if request.recording_url is None:
        request.recording_url = url
    elif url not in (request.note or ""):
        request.note = "\n".join(filter(None, [request.note, f"Another message: {url}"]))
