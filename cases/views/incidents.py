"""The incidents of a case."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases import permissions as P
from cases import selectors, services
from cases.forms import (
    IncidentForm,
)
from cases.views.common import case_page, case_read, content_access
from custos.forms import form_service
from custos.http import AuthenticatedHttpRequest
from custos.views import GET_POST


@require_GET
def incident_list_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    access = selectors.case_access(request.user, pk)
    case_read(request, access, "incidents")
    return case_page(
        request,
        "cases/incident_list.html",
        access,
        "incidents",
        incidents=selectors.incidents_of(access.case),
    )


@GET_POST
def incident_create_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    access = content_access(request, pk, P.CONTRIBUTE)
    form = IncidentForm(request.POST or None)
    recorded = form_service(
        request,
        form,
        lambda: services.incident_create(case=access.case, actor=request.user, **form.cleaned_data),
    )
    if recorded:
        messages.success(request, _("Incident recorded."))
        return redirect("cases:incident_detail", pk=pk, incident_pk=recorded.value.pk)
    return case_page(request, "cases/incident_form.html", access, "incidents", form=form)


@require_GET
def incident_detail_view(
    request: AuthenticatedHttpRequest, pk: int, incident_pk: int
) -> HttpResponse:
    access = selectors.case_access(request.user, pk)
    incident = selectors.incident_get(access.case, incident_pk)
    case_read(request, access, "incident", incident=incident.pk)
    return case_page(request, "cases/incident_detail.html", access, "incidents", incident=incident)


@GET_POST
def incident_edit_view(
    request: AuthenticatedHttpRequest, pk: int, incident_pk: int
) -> HttpResponse:
    access = content_access(request, pk, P.CONTRIBUTE)
    incident = selectors.incident_get(access.case, incident_pk)
    form = IncidentForm(request.POST or None, instance=copy.copy(incident))
    if form_service(
        request,
        form,
        lambda: services.incident_update(
            incident=incident, actor=request.user, **form.cleaned_data
        ),
    ):
        messages.success(request, _("Incident saved."))
        return redirect("cases:incident_detail", pk=pk, incident_pk=incident.pk)
    return case_page(
        request, "cases/incident_form.html", access, "incidents", form=form, incident=incident
    )
