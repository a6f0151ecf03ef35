"""Twilio webhooks: `/twilio/sms`, `/twilio/voice` (and its steps), `/twilio/status`."""

from flask import Blueprint

bp = Blueprint("channels", __name__, url_prefix="/twilio")

from app.channels import sms, status, voice, voice_bridge  # noqa: E402, F401 - routes register on import
