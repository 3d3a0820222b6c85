"""Other apps hide here the rows of a case's activity (its audit trail) that one user may not
see: evidence hides the rows about items above their clearance and about files withheld from
them, whose existence and number the rows would show."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.db.models import Q

if TYPE_CHECKING:
    from accounts.models import User
    from cases.models import Case

Hider = Callable[["Case", "User"], Q]
_hiders: list[Hider] = []


def register(hider: Hider) -> None:
    if hider not in _hiders:
        _hiders.append(hider)


def hidden_rows(case: Case, user: User) -> Q:
    """The audit rows of ``case`` that ``user`` may not see (matches nothing if none)."""
    hidden = Q(pk__in=[])
    for hider in _hiders:
        hidden |= hider(case, user)
    return hidden
