"""All tables. Import models from here."""

from app.models.activities import Activity, Occurrence, Organisation, SignUp
from app.models.callbacks import CallbackRequest
from app.models.calls import Call
from app.models.messaging import Conversation, Message
from app.models.people import Person

__all__ = [
    "Activity",
    "Call",
    "CallbackRequest",
    "Conversation",
    "Message",
    "Occurrence",
    "Organisation",
    "Person",
    "SignUp",
]
