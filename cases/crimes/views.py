"""The crime browser: the crimes of Rome Statute arts. 6-8 and the modes of liability.

Public legal text, read-only: every logged-in user may read it. Reading it is not audited,
searching it is (like every search).
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from audit.services import search_audited
from cases.crimes.forms import CrimeFilterForm
from cases.crimes.selectors import crime_get, crimes_for_browser, crimes_grouped, modes_of_liability
from cases.models import Crime
from custos.http import AuthenticatedHttpRequest


@require_GET
def crime_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = CrimeFilterForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        groups = crimes_grouped(Crime.objects.none())
    else:
        cleaned = form.cleaned_data if form.is_bound else {}

        def read() -> tuple[list, int]:
            found = crimes_grouped(
                crimes_for_browser(cleaned.get("category") or None, cleaned.get("q") or None)
            )
            return found, sum(len(group.crimes) for group in found)

        groups = search_audited(
            actor=request.user,
            area="crimes",
            query=(cleaned.get("q") or "").strip(),
            params=request.GET,
            read=read,
        )
    context = {
        "form": form,
        "groups": groups,
        "total": sum(len(group.crimes) for group in groups),
        "filtered": form.is_bound,
    }
    return render(request, "cases/crime_list.html", context)


@require_GET
def crime_detail_view(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    return render(request, "cases/crime_detail.html", {"crime": crime_get(code=code)})


@require_GET
def mode_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "cases/mode_list.html", {"modes": modes_of_liability()})
