"""One inbound text message, from any door (Twilio webhook or the simulator)."""


def handle_sms(phone: str, body: str, message_sid: str) -> list[str]:
    """Answer a text from `phone` (E.164). Returns the reply texts; commits.

    A `message_sid` seen before never acts twice: the earlier replies are returned.
    """
    raise NotImplementedError  # being written in this change
