"""The demo users of the embedded default. Later issues add their demo data beside them."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from accounts.models import Clearance, User
from accounts.roles import Role
from accounts.services import user_create

DEMO_PASSWORD = "custos-demo"  # noqa: S105 - the documented demo password, refused in production


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: Role
    clearance: Clearance


DEMO_USERS = (
    DemoUser("admin", "Amara Okafor", Role.UNIT_ADMIN, Clearance.SECRET),
    DemoUser("lead", "Lucía Fernández", Role.CASE_LEAD, Clearance.SECRET),
    DemoUser("investigator", "Jonas Weber", Role.INVESTIGATOR, Clearance.CONFIDENTIAL),
    DemoUser("analyst", "Nadia Haddad", Role.ANALYST, Clearance.CONFIDENTIAL),
    DemoUser("liaison", "Pierre Lambert", Role.TRIBUNAL_LIAISON, Clearance.RESTRICTED),
    DemoUser("trainer", "Sipho Dlamini", Role.TRAINING_ADMIN, Clearance.RESTRICTED),
    DemoUser("trainee", "Mariam Yusuf", Role.TRAINEE, Clearance.UNCLASSIFIED),
)


@transaction.atomic
def demo_users_seed() -> list[tuple[DemoUser, bool]]:
    """Creates the missing demo users; returns each with whether it was created now."""
    if settings.PRODUCTION:
        raise ImproperlyConfigured("Demo users are never created when DJANGO_ENV=production.")
    existing = set(
        User.objects.filter(username__in=[d.username for d in DEMO_USERS]).values_list(
            "username", flat=True
        )
    )
    result = []
    for demo in DEMO_USERS:
        created = demo.username not in existing
        if created:
            user_create(
                username=demo.username,
                email=f"{demo.username}@custos.invalid",
                full_name=demo.full_name,
                roles=[demo.role],
                clearance=demo.clearance,
                password=DEMO_PASSWORD,
                actor=None,
            )
        result.append((demo, created))
    return result
