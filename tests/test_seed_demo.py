from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from accounts.demo import DEMO_PASSWORD
from accounts.models import User
from accounts.roles import Role
from audit.models import AuditEvent


@pytest.mark.django_db
def test_seed_demo_creates_the_demo_users_with_their_roles(capsys) -> None:
    call_command("seed_demo")
    out = capsys.readouterr().out
    expected = {
        "admin": Role.UNIT_ADMIN,
        "lead": Role.CASE_LEAD,
        "investigator": Role.INVESTIGATOR,
        "analyst": Role.ANALYST,
        "liaison": Role.TRIBUNAL_LIAISON,
        "trainer": Role.TRAINING_ADMIN,
        "trainee": Role.TRAINEE,
    }
    for username, role in expected.items():
        user = User.objects.get(username=username)
        assert user.roles == {role.value}
        assert username in out
    assert DEMO_PASSWORD in out


@pytest.mark.django_db
def test_seed_demo_run_twice_creates_nothing_new() -> None:
    call_command("seed_demo")
    counts = (User.objects.count(), AuditEvent.objects.count())
    call_command("seed_demo")
    assert (User.objects.count(), AuditEvent.objects.count()) == counts


@pytest.mark.django_db
def test_demo_logins_work(client: Client) -> None:
    call_command("seed_demo")
    response = client.post("/accounts/login/", {"username": "lead", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert "Case lead" in client.get("/").content.decode()


@pytest.mark.django_db
def test_seed_demo_is_refused_in_production(settings) -> None:
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")
    assert not User.objects.filter(username="admin").exists()
