"""Staff users and signing in, for view tests (test client) and browser tests (Playwright)."""

import re

from app.extensions import db
from app.models import StaffUser
from app.services import staff_accounts

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                    r'name="csrf-token" content="([^"]+)"')  # fmt: skip
_counter = iter(range(1, 10_000))


def make_staff(role: str = "staff", **fields) -> StaffUser:
    """A staff account with the known PASSWORD (committed). Call inside an app context."""
    n = next(_counter)
    fields.setdefault("email", f"{role}{n}@example.org")
    fields.setdefault("name", f"{role.title()} {n}")
    fields.setdefault("language", "en")
    user = staff_accounts.create(password=PASSWORD, role=role, **fields)
    db.session.commit()
    # Loaded now, so its fields stay readable after the app context (and session) ends.
    db.session.refresh(user)
    return user


def csrf_token(client, path: str = "/staff/login") -> str:
    """A CSRF token for this client's session, read from a page's form or meta tag."""
    html = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = _TOKEN.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def sign_in(client, user: StaffUser | str, password: str = PASSWORD):
    """Sign in through the real form (with its CSRF token); returns the response."""
    email = user if isinstance(user, str) else user.email
    token = csrf_token(client, "/staff/login")
    return client.post(
        "/staff/login", data={"email": email, "password": password, "csrf_token": token}
    )


def post_form(client, path: str, data: dict | None = None, **kwargs):
    """POST a staff form with a valid CSRF token (read from the signed-in profile page)."""
    token = csrf_token(client, "/staff/profile")
    return client.post(path, data={**(data or {}), "csrf_token": token}, **kwargs)


def sign_in_page(page, live_server: str, user: StaffUser, password: str = PASSWORD) -> None:
    """Sign in in the browser through the sign-in page; ends on the page it leads to."""
    page.goto(f"{live_server}/staff/login")
    page.get_by_label(re.compile("E-?post|Email", re.I)).fill(user.email)
    page.get_by_label(re.compile("Passord|Password", re.I)).fill(password)
    page.get_by_role("button", name=re.compile("Logg inn|Sign in", re.I)).click()
    page.wait_for_url(re.compile(r"/staff/(?!login)"))
