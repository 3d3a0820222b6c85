"""Closed and archived cases are frozen: the one rule every service that writes a case's
content calls (its notes, incidents, persons, evidence items and files, proof allegations and
links, and the case's own fields). Custody goes on: events, hand-overs and fixity checks are
about the exhibits in the unit's hands, whatever the state of the investigation. A case lead
unfreezes a case by reopening it, with a reason like every other step of the workflow."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from cases.models import Case

FROZEN_MESSAGE = _("This case is closed: reopen it to change it.")


class CaseFrozen(ValidationError):
    """A change refused because its case is closed or archived. A form shows it as its error;
    anywhere else ``CaseFrozenMiddleware`` turns it into a message on the case's page."""

    def __init__(self, case_id: int) -> None:
        super().__init__(FROZEN_MESSAGE, code="case_frozen")
        self.case_id = case_id


def case_require_open(case: Case) -> None:
    """Raises ``CaseFrozen`` when ``case`` is closed or archived, as stored now (not as the
    caller's copy says: the case may have been closed since it was loaded)."""
    frozen = (Case.Status.CLOSED, Case.Status.ARCHIVED)
    if Case.objects.filter(pk=case.pk, status__in=frozen).exists():
        raise CaseFrozen(case.pk)


class CaseFrozenMiddleware:
    """A ``CaseFrozen`` that no form caught (a button, a POST-only view) becomes the message
    on the case's page, not a server error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, CaseFrozen):
            return None
        messages.error(request, FROZEN_MESSAGE)
        return redirect("cases:detail", pk=exception.case_id)
