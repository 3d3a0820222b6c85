"""Custos in Spanish, French and Arabic: the main pages, the choice of language, right-to-left
layout, localized dates, and messages that reach a user in their own language.

The catalogues themselves (complete, current, compiled, safe placeholders) are checked by
tests/test_translations.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser

import polib
import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext, gettext_lazy

from accounts import services as account_services
from accounts.models import User
from accounts.roles import Role
from accounts.tasks import send_notification_email
from cases.models import Crime, ModeOfLiability
from evidence import proof
from evidence import services as evidence_services
from evidence.models import EvidenceItem
from partners.models import PartnerOrganisation
from tests.cases.conftest import World, world  # noqa: F401 (the fixture)
from tests.factories import PASSWORD, UserFactory
from tests.training.conftest import make_session
from training.models import Course

LANGUAGES = [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
RTL = {"ar"}
RTL_CSS = "bootstrap.rtl.min.css"
LTR_CSS = "bootstrap.min.css"
HTML_TAG = re.compile(r"<html\b[^>]*>")


def _html_tag(html: str) -> str:
    match = HTML_TAG.search(html)
    assert match is not None, "the page has no <html> tag"
    return match.group(0)


@dataclass
class Pages:
    world: World
    allegation_pk: int
    session_date: date


@pytest.fixture
def pages(world: World) -> Pages:  # noqa: F811 (the imported fixture)
    evidence_services.item_create(
        case=world.case,
        actor=world.investigator,
        kind=EvidenceItem.Kind.DOCUMENT,
        description="Hospital register",
    )
    allegation = proof.allegation_create(
        case=world.case,
        actor=world.investigator,
        suspect=world.suspect,
        crime=Crime.objects.get(code="ART8_2_B_I"),
        modes=[ModeOfLiability.objects.get(article="25(3)(a)")],
        incidents=[world.incident],
    )
    PartnerOrganisation.objects.create(name="Tribunal of Northland", acronym="TNL")
    session = make_session(Course.objects.create(title="Documenting attacks on civilians"))
    # A session's language is free text typed by a training admin, shown as typed: not
    # "English", which would read as one of our messages left untranslated.
    session.language = "Ukrainian"
    session.save(update_fields=["language"])
    return Pages(world, allegation.pk, session.start_date)


# (page, who looks at it, its address, a message of ours that the page shows)
MAIN_PAGES = [
    ("dashboard", "lead", lambda p: reverse("dashboard"), "Your roles"),
    ("case list", "lead", lambda p: reverse("cases:list"), "Search and filter cases"),
    (
        "case detail",
        "lead",
        lambda p: reverse("cases:detail", args=[p.world.case.pk]),
        "Latest status changes",
    ),
    (
        "evidence list",
        "lead",
        lambda p: reverse("evidence:register", args=[p.world.case.pk]),
        "Filter evidence",
    ),
    (
        "evidence upload",
        "investigator",
        lambda p: reverse("evidence:create", args=[p.world.case.pk]),
        "Register evidence",
    ),
    ("proof matrix", "lead", lambda p: reverse("proof:matrix", args=[p.allegation_pk]), "Coverage"),
    ("partner directory", "lead", lambda p: reverse("partners:directory"), "Partner organisations"),
    (
        "training catalogue",
        "lead",
        lambda p: reverse("training:catalogue"),
        "Sessions of the unit's training courses",
    ),
    (
        "training statistics",
        "unit_admin",
        lambda p: reverse("training:statistics"),
        "Training statistics",
    ),
]


class _Text(HTMLParser):
    """The text a reader meets on a page (text and labelling attributes), leaving out scripts,
    styles and anything marked as being in another language (the language switcher)."""

    ATTRIBUTES = ("aria-label", "title", "placeholder", "alt")

    def __init__(self, page_language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_language = page_language
        self.stack: list[tuple[str, bool]] = []
        self.texts: list[str] = []

    def _foreign(self) -> bool:
        return any(skip for _tag, skip in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        lang = values.get("lang")
        skip = tag in ("script", "style") or (
            lang is not None and tag != "html" and lang != self.page_language
        )
        if tag not in ("meta", "link", "input", "br", "hr", "img", "source", "col", "wbr"):
            self.stack.append((tag, skip))
        if not (skip or self._foreign()):
            self.texts.extend(v.strip() for k, v in attrs if k in self.ATTRIBUTES and v)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data: str) -> None:
        if not self._foreign() and data.strip():
            self.texts.append(" ".join(data.split()))


def _page_texts(html: str, language: str) -> set[str]:
    parser = _Text(language)
    parser.feed(html)
    return set(parser.texts)


_TRANSLATED: dict[str, set[str]] = {}


def _english_messages(language: str) -> set[str]:
    """Our English messages that this language translates differently, as a reader would see
    them (placeholders can't be matched, so messages with them are left out)."""
    if language not in _TRANSLATED:
        po = polib.pofile(
            str(settings.BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po")
        )
        _TRANSLATED[language] = {
            " ".join(e.msgid.split())
            for e in po
            if e.msgstr
            and not e.msgid_plural
            and e.msgstr != e.msgid
            and "%" not in e.msgid
            and "{" not in e.msgid
            and "fuzzy" not in e.flags
        }
    return _TRANSLATED[language]


def _assert_in_language(html: str, language: str) -> None:
    tag = HTML_TAG.search(html)
    assert tag, "the page has no <html> element"
    direction = "rtl" if language in RTL else "ltr"
    assert f'lang="{language}"' in tag.group(0), tag.group(0)
    assert f'dir="{direction}"' in tag.group(0), tag.group(0)
    if language in RTL:
        assert RTL_CSS in html
        assert f"/{LTR_CSS}" not in html
    else:
        assert f"/{LTR_CSS}" in html
        assert RTL_CSS not in html
    # No message of ours left in English: a string translated once at import time (gettext
    # instead of gettext_lazy) or rendered outside the active language shows up here.
    english = _page_texts(html, language) & _english_messages(language)
    assert not english, f"untranslated messages on a {language} page: {sorted(english)}"


def _translated(msgid: str, language: str) -> str:
    with translation.override(language):
        text = gettext(msgid)
    assert text != msgid, f"{language}: {msgid!r} has no translation"
    return text


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    ("page", "who", "address", "message"), MAIN_PAGES, ids=[p[0] for p in MAIN_PAGES]
)
def test_main_pages_render_in_the_users_language(
    pages: Pages, language: str, page: str, who: str, address: Callable[[Pages], str], message: str
) -> None:
    user = getattr(pages.world, who)
    user.preferred_language = language
    user.save(update_fields=["preferred_language"])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    response = client.get(address(pages))
    assert response.status_code == 200, page
    html = response.content.decode()
    _assert_in_language(html, language)
    assert _translated(message, language) in html
    assert response["Content-Language"] == language


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_login_page_follows_the_browsers_language(db: None, language: str) -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE=f"{language};q=0.9,en;q=0.5").get(
        reverse("accounts:login")
    )
    html = response.content.decode()
    assert response.status_code == 200
    _assert_in_language(html, language)
    assert _translated("Log in to Custos", language) in html


def test_an_unknown_browser_language_falls_back_to_english(db: None) -> None:
    html = Client(HTTP_ACCEPT_LANGUAGE="sw").get(reverse("accounts:login")).content.decode()
    assert 'lang="en"' in _html_tag(html)
    assert "Log in to Custos" in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_dates_are_formatted_for_the_language(pages: Pages, language: str) -> None:
    lead = pages.world.lead
    lead.preferred_language = language
    lead.save(update_fields=["preferred_language"])
    client = Client()
    client.force_login(lead)
    case_page = client.get(reverse("cases:detail", args=[pages.world.case.pk])).content.decode()
    catalogue = client.get(reverse("training:catalogue")).content.decode()
    case_start = pages.world.case.period_start
    assert case_start is not None
    with translation.override(language):
        period_start = formats.date_format(case_start, "DATE_FORMAT")
        session_start = formats.date_format(pages.session_date, "DATE_FORMAT")
    with translation.override("en"):
        english = formats.date_format(case_start, "DATE_FORMAT")
    assert period_start != english  # the month's name and the order are the language's
    assert period_start in case_page
    assert english not in case_page
    assert session_start in catalogue


def test_the_saved_language_wins_over_the_browser_and_the_cookie(pages: Pages) -> None:
    lead = pages.world.lead
    lead.preferred_language = "es"
    lead.save(update_fields=["preferred_language"])
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    client.force_login(lead)
    for address in (reverse("dashboard"), reverse("cases:list"), reverse("partners:directory")):
        html = client.get(address).content.decode()
        assert 'lang="es"' in _html_tag(html), address


def test_logging_in_switches_to_the_saved_language_and_keeps_it_after_logout(db: None) -> None:
    user = UserFactory(username="arabic_reader", roles=[Role.INVESTIGATOR])
    user.preferred_language = "ar"
    user.save(update_fields=["preferred_language"])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        reverse("accounts:login"), {"username": "arabic_reader", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ar"
    dashboard = client.get(response["Location"]).content.decode()
    assert 'dir="rtl"' in _html_tag(dashboard)

    client.post(reverse("accounts:logout"))
    login_page = client.get(reverse("accounts:login")).content.decode()
    assert 'lang="ar"' in _html_tag(login_page)
    with translation.override("ar"):
        assert gettext("You have been logged out.") in login_page


def test_the_switcher_saves_the_choice_to_the_profile(db: None) -> None:
    user = UserFactory(username="switcher", roles=[Role.INVESTIGATOR])
    client = Client()
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.preferred_language == "fr"
    html = client.get("/").content.decode()
    assert 'lang="fr"' in _html_tag(html)


def test_changing_the_language_in_the_profile_confirms_in_the_new_language(db: None) -> None:
    user = UserFactory(username="profiled", roles=[Role.INVESTIGATOR], full_name="Ana Ruiz")
    client = Client()
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile"),
        {"full_name": "Ana Ruiz", "preferred_language": "es"},
        follow=True,
    )
    html = response.content.decode()
    assert 'lang="es"' in _html_tag(html)
    assert _translated("Your profile has been saved.", "es") in html
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"


def test_notifications_and_their_emails_are_in_the_recipients_language(db: None) -> None:
    recipient = UserFactory(username="receptor", roles=[Role.INVESTIGATOR], full_name="Luis")
    recipient.preferred_language = "es"
    recipient.save(update_fields=["preferred_language"])
    title = gettext_lazy("You have been added to a case team")
    with translation.override("en"):  # the actor works in English
        notification = account_services.notification_send(
            user=recipient, title=title, url="/cases/"
        )
    expected = _translated("You have been added to a case team", "es")
    assert notification.title == expected
    with translation.override("en"):  # so does the worker
        send_notification_email.run(notification.pk)
    message = mail.outbox[-1]
    assert expected in message.subject
    assert _translated("Open it in Custos:", "es") in message.body
    assert "Hola, Luis" in message.body


def test_a_certificate_is_in_the_trainees_language(db: None) -> None:
    from training import services as training_services
    from training.models import Certificate
    from training.pdf import certificate_html

    admin = UserFactory(username="cert_admin", roles=[Role.TRAINING_ADMIN])
    trainee = UserFactory(username="cert_trainee", roles=[Role.TRAINEE], full_name="Nadia")
    trainee.preferred_language = "es"
    trainee.save(update_fields=["preferred_language"])
    session = make_session(Course.objects.create(title="Interviewing survivors"))
    application = training_services.application_submit(
        session=session,
        applicant=trainee,
        country="UA",
        organisation="Office of the Prosecutor General",
        function="Investigator",
        years_experience=5,
        gender="female",
        motivation="To document crimes.",
    )
    training_services.application_decide(application=application, actor=admin, decision="accepted")
    certificate = Certificate.objects.create(application=application)
    with translation.override("en"):
        html = certificate_html(certificate)
    assert 'lang="es"' in _html_tag(html)
    assert _translated("Certificate of completion", "es") in html


def test_the_printable_statistics_are_right_to_left_in_arabic(unit_admin: User) -> None:
    unit_admin.preferred_language = "ar"
    unit_admin.save(update_fields=["preferred_language"])
    client = Client()
    client.force_login(unit_admin)
    html = client.get(reverse("training:statistics_print")).content.decode()
    tag = _html_tag(html)
    assert 'lang="ar"' in tag
    assert 'dir="rtl"' in tag


def test_a_liaison_account_starts_in_the_language_the_invitation_was_accepted_in(
    db: None,
) -> None:
    from partners import services as partner_services

    admin = UserFactory(username="inviter", roles=[Role.UNIT_ADMIN])
    organisation = PartnerOrganisation.objects.create(name="Fiscalía de Southvale")
    _invitation, token = partner_services.invitation_create(
        actor=admin, organisation=organisation, email="enlace@example.org", full_name="Rosa"
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="es-AR,es;q=0.9")
    address = reverse("partners:invitation_accept", args=[token])
    assert 'lang="es"' in _html_tag(client.get(address).content.decode())
    passphrase = "una frase de paso larga 42"
    client.post(address, {"username": "rosa", "password1": passphrase, "password2": passphrase})
    assert User.objects.get(username="rosa").preferred_language == "es"
