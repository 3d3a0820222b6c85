"""WCAG 2.1 AA on the main pages, in English and in Arabic (right-to-left), checked in the
browser with axe-core (vendored in static/vendor/axe-core, injected into each page): no
serious or critical violation. The login form is used with the keyboard alone: the skip link
comes first, every control shows where the focus is, and Enter submits."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.roles import Role
from cases.models import Crime, ModeOfLiability
from evidence import proof
from evidence import services as evidence_services
from evidence.models import EvidenceItem, EvidenceLink
from evidence.uploads import hashed_upload_from_bytes
from partners.models import Agreement, PartnerOrganisation
from tests.cases.conftest import World, world  # noqa: F401 - the case every page shows
from tests.e2e.conftest import Pages
from tests.factories import PASSWORD
from tests.training.conftest import applicant, apply, make_session
from training.models import Application, Course

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

AXE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}

# The focused element shows Custos's focus ring, a solid outline of at least 2 px (WCAG 2.4.7,
# focus visible), and not only Bootstrap's faint glow, which has far less than 3:1 contrast.
FOCUS_RING = """el => {
  const style = getComputedStyle(el);
  return style.outlineStyle === 'solid' && parseFloat(style.outlineWidth) >= 2;
}"""


def axe_violations(page: Page) -> list[str]:
    """Serious and critical WCAG 2.1 A/AA violations on the page, one line per element."""
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async (tags) => {
          const results = await axe.run(document, {
            runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
          });
          return results.violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' ') + ': ' + (n.failureSummary || '')),
          }));
        }""",
        WCAG_21_AA,
    )
    return [
        f"{v['id']} ({v['impact']}: {v['help']}) at {node}"
        for v in violations
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


def _build(world: World, language: str) -> dict[str, str]:  # noqa: F811 - the fixture's type
    """Everything the checked pages show: the case world's case with an exhibit and an
    allegation linked to it, a partner, a training course with trained people. Returns the
    pages' paths by name."""
    lead = world.lead
    lead.groups.add(Group.objects.get(name=Role.TRAINING_ADMIN))
    lead.preferred_language = language
    lead.save(update_fields=["preferred_language"])

    item, _added = evidence_services.item_create(
        case=world.case,
        actor=world.lead,
        upload=hashed_upload_from_bytes(b"%PDF-1.4\n" + b"x" * 2000, "statement.pdf"),
        kind=EvidenceItem.Kind.STATEMENT,
        description="Statement of a market vendor",
    )
    allegation = proof.allegation_create(
        case=world.case,
        actor=world.lead,
        suspect=world.suspect,
        crime=Crime.objects.get(code="ART8_2_B_I"),
        modes=[ModeOfLiability.objects.get(article="25(3)(a)")],
        incidents=[world.incident],
    )
    proof.link_create(
        allegation=allegation,
        item=item,
        actor=world.lead,
        element_index=1,
        assessment=EvidenceLink.Assessment.STRONG,
        locator="p. 2",
        relevance="The vendor saw civilians only.",
    )
    proof.link_create(  # exculpatory: the matrix highlights it for disclosure
        allegation=allegation,
        item=item,
        actor=world.lead,
        element_index=2,
        assessment=EvidenceLink.Assessment.CONTRADICTING,
        relevance="The vendor heard that soldiers were in the market.",
    )

    today = timezone.localdate()
    organisation = PartnerOrganisation.objects.create(
        name="International Tribunal Alpha", acronym="ITA", kind="tribunal", country="NL"
    )
    Agreement.objects.create(
        organisation=organisation,
        kind="mou",
        title="MoU with ITA",
        created_by=world.unit_admin,
        signed_on=today - timedelta(days=400),
        valid_from=today - timedelta(days=365),
        valid_until=today + timedelta(days=30),
    )

    course = Course.objects.create(title="Investigating core international crimes")
    session = make_session(course, capacity=5)
    for number, country in enumerate(["UA", "SY", "CO"]):
        apply(session, applicant(f"a11y_trainee{number}"), country=country)
    Application.objects.filter(session=session).update(
        status=Application.Status.ACCEPTED, completed_at=timezone.now()
    )

    case = world.case.pk
    return {
        "dashboard": "/",
        "case list": "/cases/",
        "case detail": f"/cases/{case}/",
        "evidence upload": f"/evidence/case/{case}/new/",
        "proof matrix": f"/proof/{allegation.pk}/",
        "partner directory": "/partners/",
        "training catalogue": "/training/",
        "training statistics": "/training/statistics/",
    }


def _check_page(page: Page, name: str, language: str, problems: list[str]) -> None:
    """The page's language, direction and title, then axe-core; problems are collected so
    that one run reports every page."""
    direction = "rtl" if language == "ar" else "ltr"
    html = page.locator("html")
    if html.get_attribute("lang") != language or html.get_attribute("dir") != direction:
        problems.append(
            f"{name}: lang={html.get_attribute('lang')!r} dir={html.get_attribute('dir')!r}, "
            f"expected {language!r} and {direction!r}"
        )
    title = page.title()
    if not re.match(r"^\S.* · Custos$", title):
        problems.append(f"{name}: the title {title!r} does not say what the page is")
    problems.extend(f"{name}: {violation}" for violation in axe_violations(page))


def _log_in_with_the_keyboard(page: Page, username: str) -> None:
    """Fill in the login form and submit it with the keyboard alone, checking where the focus
    is at each step (by element, not by label, so that it holds in every language); then,
    on the first page after it, the skip link is the first stop and leads to the content."""
    focused = page.locator("*:focus")
    expect(focused).to_have_attribute("name", "username")  # the form takes the focus
    for name, text in (("username", username), ("password", PASSWORD)):
        expect(focused).to_have_attribute("name", name)
        assert focused.evaluate(FOCUS_RING), f"the {name} field shows no focus indicator"
        page.keyboard.type(text)
        page.keyboard.press("Tab")
    expect(focused).to_have_attribute("type", "submit")
    assert focused.evaluate(FOCUS_RING), "the login button shows no focus indicator"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"^https?://[^/]+/$"))  # the dashboard

    page.keyboard.press("Tab")
    expect(focused).to_have_attribute("href", "#main")  # the skip link comes first
    expect(focused).to_be_in_viewport()  # and shows itself when focused
    assert focused.evaluate(FOCUS_RING), "the skip link shows no focus indicator"
    page.keyboard.press("Enter")
    expect(focused).to_have_id("main")
    page.keyboard.press("Tab")  # the next stop is in the content, past the navigation
    assert focused.evaluate("el => !!el.closest('main')"), "Tab after the skip link left main"


@pytest.mark.parametrize("language", ["en", "ar"])
def test_main_pages_have_no_serious_accessibility_violation(
    pages: Pages,
    world: World,  # noqa: F811 - the imported fixture
    language: str,
) -> None:
    paths = _build(world, language)
    page = pages.new(locale=language, bypass_csp=True)  # axe is injected as an inline script
    problems: list[str] = []

    page.goto("/accounts/login/")
    _check_page(page, "login", language, problems)
    _log_in_with_the_keyboard(page, world.lead.username)

    for name, path in paths.items():
        response = page.goto(path)
        assert response is not None, f"{name}: {path}"
        assert response.status == 200, f"{name}: {path} answered {response.status}"
        _check_page(page, name, language, problems)

    assert not problems, f"{len(problems)} accessibility problems ({language}):\n" + "\n".join(
        problems
    )
