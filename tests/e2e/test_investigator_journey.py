"""An investigator's day in a real browser: log in with a second factor, open a case, record an
incident and a protected witness, register a file, and hand it over to a colleague, who logs
in and takes custody. Every step checks what the user sees."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Clearance
from accounts.roles import Role
from tests.e2e.conftest import Member, Pages, expect_message, field, log_in, member
from tests.factories import PASSWORD

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WITNESS = "Amira CANARY-E2E Nasser"
STATEMENT = b"%PDF-1.4\n% statement of a market vendor, taken in the field\n" + b"x" * 4000


def _open_case(page: Page) -> str:
    """Opens a case from the case list; returns its reference."""
    page.get_by_role("navigation", name="Main navigation").get_by_role("link", name="Cases").click()
    expect(page.get_by_role("heading", name="Cases", exact=True)).to_be_visible()
    page.get_by_role("link", name="Open a case").click()
    field(page, "Title").fill("Shelling of the grain market")
    field(page, "Summary").fill("Artillery fire on the market at noon.")
    field(page, "Classification").select_option(label="Restricted")
    page.get_by_role("button", name="Open the case").click()
    expect_message(page, re.compile(r"Case \S+ opened\."))
    expect(page.get_by_role("heading", level=1)).to_have_text("Shelling of the grain market")
    message = page.locator("main .messages").inner_text()
    return re.search(r"Case (\S+) opened", message).group(1)


def _record_incident(page: Page) -> None:
    page.get_by_role("navigation", name="Case sections").get_by_role(
        "link", name="Incidents"
    ).click()
    expect(page.get_by_text("No incident recorded yet.")).to_be_visible()
    page.get_by_role("link", name="Record an incident").click()
    field(page, "Title").fill("Market shelled at noon")
    field(page, "Date (from)").fill("2024-04-02")
    field(page, "Place").fill("Grain market")
    field(page, "Country").select_option(label="Ukraine")
    page.get_by_role("button", name="Save").click()
    expect_message(page, "Incident recorded.")
    expect(page.get_by_role("heading", name="Market shelled at noon")).to_be_visible()


def _record_protected_witness(page: Page) -> str:
    """Records a witness under protection; returns the pseudonym the page shows."""
    page.get_by_role("navigation", name="Case sections").get_by_role("link", name="Persons").click()
    page.get_by_role("link", name="Record a new person").click()
    field(page, "Role in the case").select_option(label="Witness")
    field(page, "Full name").fill(WITNESS)
    page.get_by_label(re.compile(r"^Protect this person")).check()
    page.get_by_label("Identity non-disclosure").check()
    page.get_by_label("Voice distortion").check()
    page.get_by_role("button", name="Save").click()
    expect_message(page, "Person recorded.")
    # The one who protects a person is granted the identity: name and pseudonym.
    pseudonym = page.locator("dt", has_text="Pseudonym").locator("xpath=following-sibling::dd[1]")
    expect(pseudonym).to_have_text(re.compile(r"^W-\d{4}$"))
    expect(page.get_by_role("heading", level=2)).to_contain_text(WITNESS)
    return pseudonym.inner_text()


def _register_file(page: Page, tmp_path: Path) -> str:
    """Registers a statement with its file; returns the exhibit number."""
    page.get_by_role("navigation", name="Case sections").get_by_role(
        "link", name="Evidence"
    ).click()
    page.get_by_role("link", name="Register evidence").click()
    field(page, "Kind").select_option(label="Witness statement")
    field(page, "Description").fill("Statement of a market vendor")
    upload = tmp_path / "statement.pdf"
    upload.write_bytes(STATEMENT)
    field(page, "Original file").set_input_files(upload)
    page.get_by_role("button", name="Save").click()
    expect_message(page, re.compile(r"\S+ registered\. You are its custodian\."))
    exhibit = re.search(r"(\S+) registered", page.locator("main .messages").inner_text()).group(1)
    files = page.get_by_role("list").filter(has_text="statement.pdf")
    # The hash computed while the file streamed in is the hash of the bytes sent.
    expect(files).to_contain_text(f"SHA-256 {hashlib.sha256(STATEMENT).hexdigest()}")
    return exhibit


def _add_to_team(page: Page, colleague: Member) -> None:
    page.get_by_role("navigation", name="Case sections").get_by_role("link", name="Team").click()
    field(page, "User").select_option(label=f"{colleague.name} ({colleague.user.username})")
    field(page, "Role on this case").select_option(label="Investigator")
    page.get_by_role("button", name="Add to the team").click()
    expect_message(page, "Team member added.")
    expect(page.get_by_role("table")).to_contain_text(colleague.name)


def _custody_rows(page: Page):
    """The rows of the chain of custody table (named by its caption)."""
    return page.get_by_role("table", name=re.compile(r"^Every event, oldest first")).locator(
        "tbody tr"
    )


def test_investigator_opens_a_case_and_hands_evidence_to_a_colleague_who_accepts(
    pages: Pages, tmp_path: Path
) -> None:
    investigator = member(
        "e2e_investigator",
        Role.INVESTIGATOR,
        two_factor=True,
        full_name="Ines Investigator",
        clearance=Clearance.CONFIDENTIAL,
    )
    colleague = member(
        "e2e_colleague",
        Role.INVESTIGATOR,
        two_factor=True,
        full_name="Colin Colleague",
        clearance=Clearance.CONFIDENTIAL,
    )

    page = pages.new()
    log_in(page, investigator)
    reference = _open_case(page)
    _record_incident(page)
    pseudonym = _record_protected_witness(page)
    exhibit = _register_file(page, tmp_path)
    _add_to_team(page, colleague)

    # Hand the item over: it is in transit until the colleague accepts.
    page.get_by_role("navigation", name="Case sections").get_by_role(
        "link", name="Evidence"
    ).click()
    page.get_by_role("link", name=exhibit).click()
    page.get_by_role("link", name="Hand over").click()
    field(page, "Hand over to").select_option(label=f"{colleague.name} ({colleague.user.username})")
    field(page, "Purpose").fill("Translation of the statement")
    page.get_by_role("button", name="Start the hand-over").click()
    expect_message(page, "Hand-over started")
    expect(page.get_by_role("status").filter(has_text="In transit from")).to_contain_text(
        f"In transit from {investigator.name} to {colleague.name}"
    )
    expect(page.get_by_role("link", name="Hand over")).to_have_count(0)
    item_url = page.url

    # The colleague logs in on another device, finds the hand-over among the notifications.
    other = pages.new()
    log_in(other, colleague)
    # Two unread: added to the case's team, then the hand-over.
    other.get_by_role("link", name=re.compile(r"^Notifications\s+2\s+unread$")).click()
    expect(other.get_by_role("listitem").filter(has_text="added to a case team")).to_have_count(1)
    notice = other.get_by_role("listitem").filter(has_text="Evidence is being handed over to you")
    notice.get_by_role("button", name="Open").click()
    expect(other.get_by_role("heading", name=f"Accept custody of {exhibit}")).to_be_visible()
    field(other, "Your password").fill(PASSWORD)
    field(other, "Where you keep it now").fill("Translation office, safe 3")
    other.get_by_role("button", name="I have received it: take custody").click()
    expect_message(other, f"You are now the custodian of {exhibit}.")
    expect(custodian_of(other)).to_have_text(colleague.name)
    rows = _custody_rows(other)
    # Received at registration, its file attached (in the chain), then transferred.
    expect(rows).to_have_count(3)
    expect(rows.nth(1).get_by_role("cell").nth(1)).to_have_text("File attached")
    # Event, from, to, where: in the order of the columns.
    expect(rows.last.get_by_role("cell")).to_contain_text(
        ["Transferred", investigator.name, colleague.name, "Translation office, safe 3"]
    )

    # The colleague is on the team but was not granted the witness's identity.
    other.get_by_role("navigation", name="Case sections").get_by_role(
        "link", name="Persons"
    ).click()
    expect(other.get_by_role("table")).to_contain_text(pseudonym)
    expect(other.locator("body")).not_to_contain_text(WITNESS)
    assert WITNESS not in other.content()

    # Back on the investigator's screen: no longer the custodian.
    page.goto(item_url)
    expect(custodian_of(page)).to_have_text(colleague.name)
    expect(page.get_by_role("status").filter(has_text="In transit from")).to_have_count(0)
    expect(page.get_by_role("link", name="Hand over")).to_have_count(0)
    expect(page.locator("main header")).to_contain_text(reference)


def custodian_of(page: Page):
    return page.locator("dt", has_text="Custodian").locator("xpath=following-sibling::dd[1]")
