"""Sign-in and sign-out, the session's lifetime, and `role_required` for every staff view.

Every staff page except sign-in needs a signed-in, active user (checked once for the
whole blueprint, so a view that forgets its decorator still shows nothing to strangers);
`role_required` then says which role a page needs.
"""

import time
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_fresh, login_user, logout_user
from flask_wtf.csrf import CSRFError

from app.extensions import db, login_manager
from app.models.staff import StaffUser
from app.services import signin_throttle, staff_accounts
from app.staff import bp
from app.staff.forms import EmptyForm, SignInForm
from app.staff.language import _

# Endpoints anyone may open.
PUBLIC_ENDPOINTS = {"staff.login", "staff.static"}
SIGNED_IN_AT = "staff_signed_in_at"

login_manager.login_view = "staff.login"
login_manager.login_message = None  # the sign-in page says what it needs by itself
# A session cookie carried to another browser or address is not accepted. Flask-Login's
# "strong" mode only marks a *permanent* session (ours are) as no longer fresh, so
# `require_sign_in` ends any session that is not fresh: we never use remember-me
# cookies, so that only happens when the browser or address changed.
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    """The session's user, if still active and the password has not changed since."""
    ident, _sep, stamp = user_id.partition(":")
    if not ident.isdigit():
        return None
    user = db.session.get(StaffUser, int(ident))
    if user is None or not user.active or user.get_id() != user_id:
        return None
    return user


def role_required(role: str):
    """Only users of `role` or above may open the view; others get the 403 page."""

    def decorate(view):
        @wraps(view)
        def checked(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        checked.required_role = role  # read by the tests that walk every staff page
        return checked

    return decorate


@bp.before_request
def require_sign_in():
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not login_fresh():
        _end_session()  # the cookie came from another browser or address
        return login_manager.unauthorized()
    if _session_expired():
        _end_session()
        flash(_("Your session has ended. Please sign in again."), "info")
        return redirect(url_for("staff.login"))
    return None


def _session_expired() -> bool:
    started = session.get(SIGNED_IN_AT)
    limit = current_app.config["STAFF_SESSION_MINUTES"] * 60
    return not isinstance(started, int | float) or time.time() - started > limit


def _end_session() -> None:
    logout_user()
    session.clear()


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated and not _session_expired():
        return redirect(url_for("staff.callbacks"))
    form = SignInForm()
    error = None
    status = 200
    if form.validate_on_submit():
        email, address = form.email.data, request.remote_addr
        if signin_throttle.is_locked(email, address):
            error = _("Too many failed attempts. Wait 15 minutes and try again.")
            status = 429
        else:
            user = staff_accounts.authenticate(email, form.password.data)
            if user is None:
                signin_throttle.record_failure(email, address)
                error = _("The email or the password is wrong.")
                status = 401
            else:
                signin_throttle.clear(email)
                target = _next_url()
                _start_session(user)
                return redirect(target)
    elif request.method == "POST":
        status = 400
    return render_template("staff/login.html", form=form, error=error), status


def _start_session(user: StaffUser) -> None:
    """A fresh session for this user: nothing from before sign-in survives (fixation)."""
    session.clear()
    login_user(user)
    session.permanent = True
    session[SIGNED_IN_AT] = time.time()
    staff_accounts.signed_in(user)
    db.session.commit()


def _next_url() -> str:
    """Where to go after sign-in: a staff page named in ?next=, else the callback queue."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if not parts.scheme and not parts.netloc and parts.path.startswith("/staff/"):
        return target
    return url_for("staff.callbacks")


@bp.post("/logout")
def logout():
    if EmptyForm().validate_on_submit():
        # The session lives in the cookie; raising the epoch makes every copy of it
        # (and the person's sessions elsewhere) worthless, not just this browser's.
        staff_accounts.end_sessions(current_user)
        db.session.commit()
        _end_session()
        flash(_("You have signed out."), "info")
    return redirect(url_for("staff.login"))


@bp.route("/")
def home():
    return redirect(url_for("staff.callbacks"))


@bp.app_template_global("_")
def translate(msgid: str) -> str:
    """`{{ _("English msgid") }}` in templates; `.format(n=…)` fills values afterwards."""
    return _(msgid)


@bp.app_context_processor
def staff_globals() -> dict:
    from app.staff.language import ui_language

    return {"ui_language": ui_language, "has_endpoint": _has_endpoint}


def _has_endpoint(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


@bp.errorhandler(403)
def forbidden(_error):
    message = _("Your role does not give access to this page.")
    return render_template("staff/error.html", title=_("Not allowed"), message=message), 403


@bp.errorhandler(404)
def not_found(_error):
    message = _("There is nothing here. It may have been removed.")
    return render_template("staff/error.html", title=_("Not found"), message=message), 404


@bp.errorhandler(CSRFError)
def csrf_failed(_error):
    message = _("The form had expired. Go back, reload the page and try again.")
    return render_template("staff/error.html", title=_("Please try again"), message=message), 400
