"""The simulator's keypad in a real browser: call, hear the prompts as text, press keys."""

from playwright.sync_api import expect

from tests.factories import occurrence


def test_calling_from_the_page_and_signing_up_with_the_keypad(app, ctx, live_server, page):
    occurrence(title="Strikkekafé", capacity=5)
    page.goto(f"{live_server}/simulator/?phone=%2B4791234567")
    lines = page.locator("#call-lines li")

    page.click("#call-start")
    expect(page.locator("#call-lines")).to_contain_text("For English, press 3.", timeout=5000)
    page.click('#keypad button[data-key="1"]')
    expect(lines.last).to_contain_text("Trykk 1 for å høre hva som skjer", timeout=5000)
    page.click('#keypad button[data-key="1"]')
    expect(lines.last).to_contain_text("Trykk 1 eller si ja", timeout=5000)
    expect(page.locator("#call-lines")).to_contain_text("Strikkekafé")
    page.click('#keypad button[data-key="1"]')
    expect(page.locator("#call-lines")).to_contain_text("Du er påmeldt Strikkekafé", timeout=5000)

    page.click("#call-silence")
    expect(lines.last).to_contain_text("Trykk 1 eller si ja", timeout=5000)
    expect(page.locator("#call-lines")).to_contain_text("Jeg hørte ikke noe.")
    page.click("#call-end")
    expect(page.locator("#call-status")).to_have_text("The call has ended.")
    expect(page.locator('#keypad button[data-key="1"]')).to_be_disabled()
    expect(page.locator("#call-error")).to_be_empty()
