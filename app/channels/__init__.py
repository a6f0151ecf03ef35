"""Twilio webhooks: `/twilio/sms`, `/twilio/status` (and `/twilio/voice` later)."""

from flask import Blueprint

bp = Blueprint("channels", __name__, url_prefix="/twilio")

from app.channels import sms, status  # noqa: E402, F401 - routes register on import
