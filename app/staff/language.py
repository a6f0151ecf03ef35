"""The staff pages' own language (nb or en), chosen by each staff member.

Residents' language comes from their record; staff choose theirs on the profile page.
Before sign-in the browser's Accept-Language decides, which is fine for a web page.
"""

from flask import request
from flask_login import current_user

from app.i18n import gettext
from app.models.staff import STAFF_LANGUAGES

DEFAULT = "nb"


def ui_language() -> str:
    """The language to show the current page in."""
    if current_user and current_user.is_authenticated:
        return current_user.language if current_user.language in STAFF_LANGUAGES else DEFAULT
    return browser_language()


def browser_language() -> str:
    best = request.accept_languages.best_match(["nb", "no", "nn", "en"]) if request else None
    return "en" if best == "en" else DEFAULT


def _(msgid: str, **values) -> str:
    """Translate a staff-page msgid into the current page's language, then fill {values}."""
    text = gettext(ui_language(), msgid)
    return text.format(**values) if values else text
