"""The staff web pages: sign-in, the callback queue, and what coordinators manage."""

from flask import Blueprint

bp = Blueprint(
    "staff",
    __name__,
    url_prefix="/staff",
    template_folder="templates",
    static_folder="static",
)

from app.staff import auth, callbacks, accounts, profile, tasks, broadcasts, activities, volunteers  # noqa: E402,F401,I001
from app.staff import people, audit  # noqa: E402,F401,I001
from app.staff import api_tokens  # noqa: E402,F401,I001
