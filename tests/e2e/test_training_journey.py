"""A training session from start to certificate in a real browser: a training admin schedules
a session, a trainee applies, the admin accepts the applications, marks attendance and the
assessment and completes the session; a real Celery worker renders the certificate, the
trainee downloads it, and the public verification page its QR code points to confirms it."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from accounts.roles import Role
from tests.e2e.conftest import Pages, Worker, expect_message, field, log_in, member, wait_until
from training import services
from training.models import Course, Module, Session

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

COURSE = "Documenting sexual and gender-based crimes"


def _schedule_session(page: Page) -> str:
    """Schedules a two-day session starting today, open for applications until today."""
    today = timezone.localdate()
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Training"
    ).click()
    page.get_by_role("link", name="Schedule a session").click()
    field(page, "Course").select_option(label=COURSE)
    field(page, "First day").fill(today.isoformat())
    field(page, "Last day").fill((today + timedelta(days=1)).isoformat())
    field(page, "City").fill("The Hague")
    field(page, "Country").select_option(label="Netherlands")
    field(page, "Language").fill("English")
    field(page, "Capacity").fill("2")
    field(page, "Applications open").fill((today - timedelta(days=7)).isoformat())
    field(page, "Applications close").fill(today.isoformat())
    field(page, "Status").select_option(label="Open for applications")
    page.get_by_role("button", name="Save").click()
    expect_message(page, "The session was scheduled.")
    expect(page.get_by_role("heading", level=1)).to_have_text(COURSE)
    return page.url


def _apply(page: Page) -> None:
    page.get_by_role("navigation", name="Main navigation").get_by_role(
        "link", name="Training"
    ).click()
    page.get_by_role("link", name=COURSE).click()
    page.get_by_role("link", name="Apply").click()
    field(page, "Country").select_option(label="Ukraine")
    field(page, "Organisation").fill("Office of the Prosecutor General")
    field(page, "Function").fill("Investigator")
    field(page, "Years of experience").fill("6")
    field(page, "Motivation").fill("To interview survivors safely.")
    page.get_by_role("button", name="Apply").click()
    expect_message(page, "Your application was received.")
    expect(page.get_by_role("row").filter(has_text=COURSE)).to_contain_text("Applied")


def _mark_day(page: Page, day: str, present: list[str]) -> None:
    field(page, "Day").fill(day)
    for name in present:
        page.get_by_role("group", name="Present on that day").get_by_label(name).check()
    page.get_by_role("button", name="Save attendance").click()
    expect_message(page, "Attendance saved.")


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def test_training_admin_runs_a_session_and_the_certificate_is_verifiable(
    pages: Pages, celery_worker: Worker
) -> None:
    admin = member("e2e_trainer", Role.TRAINING_ADMIN, full_name="Tara Trainer")
    trainee = member("e2e_trainee", Role.TRAINEE, full_name="Tomas Trainee")
    absentee = member("e2e_absentee", Role.TRAINEE, full_name="Nadia Absent")
    course = Course.objects.create(title=COURSE, languages="English")
    Module.objects.create(course=course, title="Interviewing survivors", position=1)
    today = timezone.localdate()

    # The admin schedules the session.
    admin_page = pages.new()
    log_in(admin_page, admin)
    session_url = _schedule_session(admin_page)
    expect(admin_page.locator("dl")).to_contain_text("Open for applications")

    # A trainee applies through the catalogue; another applied on paper, recorded for them.
    trainee_page = pages.new()
    log_in(trainee_page, trainee)
    _apply(trainee_page)
    services.application_submit(
        session=Session.objects.get(course=course),
        applicant=absentee.user,
        country="SY",
        organisation="Syrian Archive",
        function="Analyst",
        years_experience=3,
        gender="female",
        motivation="",
    )

    # The admin accepts both applications at once.
    admin_page.goto(session_url)
    admin_page.get_by_role("link", name="Applications", exact=True).click()
    admin_page.get_by_role("checkbox", name=f"Select {trainee.name}").check()
    admin_page.get_by_role("checkbox", name=f"Select {absentee.name}").check()
    field(admin_page, "Decision").select_option(label="Accept")
    admin_page.get_by_role("button", name="Decide").click()
    expect_message(admin_page, "2 applications decided.")
    expect(admin_page.get_by_text("2 of 2 seats taken.")).to_be_visible()
    for who in (trainee, absentee):
        expect(admin_page.get_by_role("row").filter(has_text=who.name)).to_contain_text("Accepted")

    # Attendance: the trainee both days, the other participant only the first.
    admin_page.goto(session_url)
    admin_page.get_by_role("link", name="Attendance and completion").click()
    _mark_day(admin_page, today.isoformat(), [trainee.name, absentee.name])
    _mark_day(admin_page, (today + timedelta(days=1)).isoformat(), [trainee.name])
    expect(admin_page.get_by_role("row").filter(has_text=trainee.name)).to_contain_text("2 / 2")
    expect(admin_page.get_by_role("row").filter(has_text=absentee.name)).to_contain_text("1 / 2")
    admin_page.get_by_role("checkbox", name=f"Passed {trainee.name}").check()
    admin_page.get_by_role("checkbox", name=f"Passed {absentee.name}").check()
    admin_page.get_by_role("button", name="Save assessment results").click()
    expect_message(admin_page, "Assessment results saved.")
    admin_page.get_by_role("button", name="Complete the session and issue certificates").click()
    # Half the days is below the attendance rule: one participant completes, not two.
    expect_message(admin_page, re.compile(r"^\s*1 participants completed the session"))

    # The worker renders the certificate; the trainee sees it ready and downloads it.
    trainee_page.goto("/training/my/")
    row = trainee_page.get_by_role("row").filter(has_text=COURSE)
    expect(row).to_contain_text("Accepted")

    def certificate_ready() -> bool:
        trainee_page.reload()
        return row.get_by_role("link", name="Download").count() == 1

    wait_until(certificate_ready, what="the certificate to be rendered", worker=celery_worker)
    code = re.search(r"Code (\S+)", row.inner_text()).group(1)
    with trainee_page.expect_download() as download:
        row.get_by_role("link", name="Download").click()
    pdf = _pdf_text(download.value.path().read_bytes())
    assert trainee.name in pdf
    assert COURSE in pdf
    assert absentee.name not in pdf

    # Anyone holding the certificate can check it at the address printed on it.
    printed = re.search(r"(http://\S+/training/certificates/verify/\S+/)", pdf.replace("\n", ""))
    assert printed, pdf
    assert code in printed.group(1)
    public = pages.new()
    public.goto(printed.group(1))
    expect(public.get_by_role("heading", name="Certificate verification")).to_be_visible()
    expect(public.get_by_text("This certificate is genuine.")).to_be_visible()
    facts = public.locator("main dl")
    expect(facts).to_contain_text(trainee.name)
    expect(facts).to_contain_text(COURSE)
    with translation.override("en"):
        last_day = date_format(today + timedelta(days=1), "DATE_FORMAT")
    expect(facts).to_contain_text(last_day)
    expect(facts).to_contain_text(code)
    expect(public.get_by_role("navigation", name="Main navigation")).not_to_contain_text(
        "Dashboard"
    )
