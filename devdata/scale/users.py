"""The unit's staff of the scale data: pools of leads, investigators and analysts, and two named
investigators whose case counts the benchmarks rely on (about 200 and about 20,000 cases)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

from accounts.models import Clearance, User
from accounts.roles import Role as UserRole
from devdata.scale.words import FAMILY, GIVEN

SCALE_PASSWORD = "custos-scale-bench"  # noqa: S105 - benchmark users, refused in production
INVESTIGATOR_200 = "scale_inv200"
INVESTIGATOR_20K = "scale_inv20k"


@dataclass
class Team:
    leads: list[int]
    investigators: list[int]
    analysts: list[int]
    named: dict[str, int]


def scale_users(n_cases: int, now: datetime) -> Team:
    """The unit's staff, created once and reused by later runs (fixed usernames)."""
    password = make_password(SCALE_PASSWORD)
    pools = {
        UserRole.CASE_LEAD: ("scale_lead", max(4, n_cases // 100)),
        UserRole.INVESTIGATOR: ("scale_inv", max(6, n_cases // 50)),
        UserRole.ANALYST: ("scale_analyst", max(3, n_cases // 200)),
    }
    wanted: list[tuple[str, str]] = [
        (f"{prefix}_{i:05d}", role) for role, (prefix, n) in pools.items() for i in range(n)
    ]
    wanted += [(INVESTIGATOR_200, UserRole.INVESTIGATOR), (INVESTIGATOR_20K, UserRole.INVESTIGATOR)]
    existing = set(
        User.objects.filter(username__in=[u for u, _ in wanted]).values_list("username", flat=True)
    )
    rng = random.Random(7)  # noqa: S311 - made-up data, not secrets
    new = [
        User(
            username=username,
            email=f"{username}@scale.custos.invalid",
            full_name=f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
            password=password,
            clearance=Clearance.SECRET,
            date_joined=now,
        )
        for username, _ in wanted
        if username not in existing
    ]
    User.objects.bulk_create(new, batch_size=2000)
    ids = dict(
        User.objects.filter(username__in=[u for u, _ in wanted]).values_list("username", "pk")
    )
    groups = dict(Group.objects.values_list("name", "pk"))
    through = User.groups.through
    through.objects.bulk_create(
        [
            through(user_id=ids[username], group_id=groups[role])
            for username, role in wanted
            if username not in existing
        ],
        batch_size=2000,
    )

    def pool(role: UserRole) -> list[int]:
        return [ids[u] for u, r in wanted if r == role and u.startswith(pools[role][0] + "_")]

    return Team(
        leads=pool(UserRole.CASE_LEAD),
        investigators=pool(UserRole.INVESTIGATOR),
        analysts=pool(UserRole.ANALYST),
        named={INVESTIGATOR_200: ids[INVESTIGATOR_200], INVESTIGATOR_20K: ids[INVESTIGATOR_20K]},
    )


def named_members(index: int, n_cases: int) -> list[str]:
    """Which named investigators sit on the case at ``index`` (spread over the whole range)."""
    names = []
    step_20k = max(1, n_cases // 20_000)
    if index % step_20k == 0:
        names.append(INVESTIGATOR_20K)
    step_200 = max(1, n_cases // 200)
    if index % step_200 == min(1, step_200 - 1) and index // step_200 < 200:
        names.append(INVESTIGATOR_200)
    return names
