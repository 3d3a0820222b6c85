from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils.module_loading import import_string

from accounts.models import Clearance, User
from audit.models import AuditEvent

STRONG = "a long and unusual passphrase 77"


@pytest.fixture
def typed(monkeypatch):
    def _typed(*answers: str) -> None:
        replies = iter(answers)
        monkeypatch.setattr("getpass.getpass", lambda prompt="": next(replies))

    return _typed


@pytest.mark.real_password_hasher
@pytest.mark.django_db
def test_create_user_bootstraps_a_unit_admin_and_audits_it(typed) -> None:
    typed(STRONG, STRONG)
    call_command(
        "create_user",
        "chief",
        "--email",
        "chief@unit.example",
        "--full-name",
        "Chief Admin",
        "--role",
        "unit_admin",
        "--clearance",
        "secret",
    )
    user = User.objects.get(username="chief")
    assert user.roles == {"unit_admin"}
    assert user.clearance == Clearance.SECRET
    assert user.check_password(STRONG)
    # Stored with production's first hasher (PBKDF2 at Django's full strength), never weaker.
    production = import_string(settings.PASSWORD_HASHERS[0])
    assert identify_hasher(user.password).algorithm == production.algorithm != "md5"
    event = AuditEvent.objects.get(action="account.created")
    assert event.target_id == str(user.pk)
    assert event.details == {"roles": ["unit_admin"], "clearance": 3}


@pytest.mark.django_db
def test_create_user_refuses_a_weak_password_and_creates_nothing(typed) -> None:
    typed("password", "password")
    with pytest.raises(CommandError, match="too common"):
        call_command(
            "create_user",
            "weak",
            "--email",
            "w@unit.example",
            "--full-name",
            "W",
            "--role",
            "investigator",
        )
    assert not User.objects.filter(username="weak").exists()


@pytest.mark.django_db
def test_create_user_refuses_a_taken_username(typed, investigator: User) -> None:
    typed(STRONG, STRONG)
    with pytest.raises(CommandError, match="already exists"):
        call_command(
            "create_user",
            investigator.username.upper(),
            "--email",
            "x@unit.example",
            "--full-name",
            "X",
            "--role",
            "analyst",
        )
