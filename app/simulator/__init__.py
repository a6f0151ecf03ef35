"""A phone in the browser: text the service and see every reply, for demos and training."""

from flask import Blueprint

bp = Blueprint("simulator", __name__, url_prefix="/simulator", template_folder="templates")

from app.simulator import routes, voice_routes  # noqa: E402, F401
