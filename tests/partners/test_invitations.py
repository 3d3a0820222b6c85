"""Inviting a liaison: a single-use, expiring link to set a password, then 2FA."""

from __future__ import annotations

import re
from datetime import timedelta

from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from partners.models import Invitation, PartnerMembership
from tests.cases.conftest import SHARED_WORLD
from tests.partners.conftest import Partners

pytestmark = SHARED_WORLD  # the case world is built once for the module

PASSWORD = "a strong liaison passphrase 42"


def _invite(
    client: Client,
    partners: Partners,
    email: str = "clerk@tribunal.example",
    capture=None,
    language: str = "en",
):
    client.force_login(partners.world.unit_admin)
    with capture(execute=True):
        response = client.post(
            reverse("partners:invite", args=[partners.org_a.pk]),
            {"full_name": "Clara Clerk", "email": email, "language": language},
        )
    return response


def test_the_invitation_flow_end_to_end(
    client: Client, partners: Partners, django_capture_on_commit_callbacks
) -> None:
    response = _invite(client, partners, capture=django_capture_on_commit_callbacks)
    assert "Invitation sent" in response.content.decode()
    assert len(mail.outbox) == 1
    link = re.search(r"(/partners/invitations/[\w-]+/)", str(mail.outbox[0].body)).group(1)
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert Invitation.objects.get().token_hash != token  # only the hash is stored
    # The link is for the invitee alone: the unit admin's screen does not show it.
    admin_page = response.content.decode()
    assert token not in admin_page
    assert "/partners/invitations/" not in admin_page

    client.logout()
    page = client.get(link)
    assert "Set up your account" in page.content.decode()
    done = client.post(link, {"username": "cclerk", "password1": PASSWORD, "password2": PASSWORD})
    assert done["Location"] == reverse("accounts:2fa_setup")
    user = User.objects.get(username="cclerk")
    assert user.email == "clerk@tribunal.example"
    assert user.roles == {"tribunal_liaison"}
    assert PartnerMembership.objects.get(user=user).organisation == partners.org_a
    assert client.session["_auth_user_id"] == str(user.pk)
    # The shared case is there for the new liaison at once.
    assert (
        partners.world.case.reference
        in client.get(reverse("partners:shared_list")).content.decode()
    )

    client.logout()
    again = client.get(link)
    assert again.status_code == 410
    assert "already been used, or it has expired" in again.content.decode()


def test_an_expired_invitation_cannot_be_used(
    client: Client, partners: Partners, django_capture_on_commit_callbacks
) -> None:
    _invite(client, partners, capture=django_capture_on_commit_callbacks)
    link = re.search(r"(/partners/invitations/[\w-]+/)", str(mail.outbox[0].body)).group(1)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    client.logout()
    response = client.post(link, {"username": "late", "password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 410
    assert not User.objects.filter(username="late").exists()


def test_inviting_an_address_already_registered_is_refused(
    client: Client, partners: Partners, django_capture_on_commit_callbacks
) -> None:
    response = _invite(
        client,
        partners,
        email=partners.world.lead.email,
        capture=django_capture_on_commit_callbacks,
    )
    assert "already exists" in response.content.decode()
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_a_weak_password_keeps_the_invitation_usable(
    client: Client, partners: Partners, django_capture_on_commit_callbacks
) -> None:
    _invite(client, partners, capture=django_capture_on_commit_callbacks)
    link = re.search(r"(/partners/invitations/[\w-]+/)", str(mail.outbox[0].body)).group(1)
    client.logout()
    weak = client.post(
        link, {"username": "cclerk", "password1": "password", "password2": "password"}
    )
    assert weak.status_code == 200
    assert "too common" in weak.content.decode()
    assert Invitation.objects.get().used_at is None


def test_a_guessed_token_is_refused(client: Client, partners: Partners) -> None:
    response = client.get(reverse("partners:invitation_accept", args=["not-a-real-token"]))
    assert response.status_code == 410


def test_the_invitation_e_mail_is_written_in_the_language_chosen_for_it(
    client: Client, partners: Partners, django_capture_on_commit_callbacks
) -> None:
    client.force_login(partners.world.unit_admin)
    form = client.get(reverse("partners:invite", args=[partners.org_a.pk])).content.decode()
    assert '<option value="en" selected>' in form  # the admin's own language by default
    response = _invite(client, partners, capture=django_capture_on_commit_callbacks, language="fr")
    assert "Invitation sent" in response.content.decode()  # the admin's page stays in English
    assert Invitation.objects.get().language == "fr"
    (sent,) = mail.outbox
    assert sent.subject.startswith("[Custos] Invitation à rejoindre Custos en tant qu")
    assert sent.subject.endswith(partners.org_a.name)
    assert sent.body.startswith("Bonjour Clara Clerk,")


def test_an_invitation_in_an_unknown_language_is_refused(
    client: Client, partners: Partners, django_capture_on_commit_callbacks
) -> None:
    response = _invite(client, partners, capture=django_capture_on_commit_callbacks, language="xx")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Invitation.objects.exists()
    assert mail.outbox == []
