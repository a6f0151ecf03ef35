"""A coordinator sends a broadcast in a real browser and watches the progress bar fill."""

import re

from playwright.sync_api import expect

from app.extensions import db
from tests import factories
from tests.conftest import ACCOUNT_SID
from tests.staff_helpers import make_staff, sign_in_page

ANNE, BJORN, CHRIS = "+4791100001", "+4791100002", "+4791100003"


def test_write_preview_send_and_see_the_progress_bar_reach_100(
    app, ctx, live_server, page, run_jobs, fake_twilio, post_signed
):
    app.config["QUIET_HOURS"] = "0-0"  # whatever the hour the suite runs at
    factories.volunteer(ANNE, "Anne", language="nb", tags=["driver"])
    factories.volunteer(BJORN, "Bob", language="en", tags=["driver"])
    factories.volunteer(CHRIS, "Chris", language="nb", tags=["knitting"])
    coordinator = make_staff("coordinator", language="nb")
    sign_in_page(page, live_server, coordinator)

    page.goto(f"{live_server}/staff/broadcasts")
    page.get_by_role("link", name=re.compile("Ny melding til mange|New broadcast")).click()
    page.get_by_label(re.compile("^(Frivillige|Volunteers)$")).check()
    page.get_by_label(re.compile("^(Frivillige med merkene|Volunteers with the tags)")).fill(
        "driver"
    )
    page.get_by_label(re.compile("^(Melding|Message)$")).fill("Julebord fredag kl. 18. Velkommen!")
    page.get_by_role("button", name=re.compile("^(Forhåndsvis|Preview)$")).click()

    expect(page.get_by_text(re.compile("2 (personer får|people get)"))).to_be_visible()
    expect(page.get_by_text("Svar STOPP for å ikke få flere meldinger.")).to_be_visible()
    expect(page.get_by_text("Reply STOP to get no more messages.")).to_be_visible()
    expect(page.locator("article").first).to_contain_text("GSM-7")
    page.get_by_role("button", name=re.compile("(Send til|Send to) 2")).click()

    bar = page.locator("progress#delivery-bar")
    expect(bar).to_be_visible()
    expect(page.get_by_label(re.compile("endelig status|final status"))).to_be_visible()
    db.session.rollback()  # end this test's read, so the jobs may write on SQLite
    run_jobs()
    assert len(fake_twilio.messages) == 2
    for message in fake_twilio.messages:
        params = {"MessageSid": message["sid"], "AccountSid": ACCOUNT_SID,
                  "MessageStatus": "delivered", "ApiVersion": "2010-04-01"}  # fmt: skip
        assert post_signed("/twilio/status", params).status_code == 204

    expect(bar).to_have_attribute("aria-valuenow", "100", timeout=10_000)
    expect(page.locator("#progress-text")).to_have_text(
        re.compile("2 (av|of) 2 (levert|delivered)")
    )
