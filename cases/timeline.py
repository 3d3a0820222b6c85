"""Other apps add their events to a case's timeline here (evidence adds custody events)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from accounts.models import User
    from cases.models import Case
    from cases.selectors import TimelineEntry

# A provider gives the entries of one case that one user may see.
Provider = Callable[["Case", "User"], Iterable["TimelineEntry"]]
_providers: list[Provider] = []


def register(provider: Provider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def provided_entries(case: Case, user: User) -> list[TimelineEntry]:
    return [entry for provider in _providers for entry in provider(case, user)]
