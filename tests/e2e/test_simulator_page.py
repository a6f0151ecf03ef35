"""The simulator page in a real browser: type, press Enter, see the service answer."""

from playwright.sync_api import expect

from tests.factories import occurrence


def test_texting_from_the_page_shows_the_reply_in_the_thread(app, ctx, live_server, page):
    occurrence(title="Strikkekafé")
    page.goto(f"{live_server}/simulator/?phone=%2B4791234567")
    page.fill("#body", "hei")
    page.press("#body", "Enter")
    expect(page.locator("#messages li.msg-out").last).to_contain_text("Velkommen", timeout=5000)

    page.fill("#body", "1")
    page.press("#body", "Enter")
    page.fill("#body", "aktiviteter")
    page.press("#body", "Enter")
    expect(page.locator("#messages li.msg-out").last).to_contain_text("Strikkekafé", timeout=5000)
    expect(page.locator("#send-error")).to_be_empty()
