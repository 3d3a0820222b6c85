"""Meeting pages. Every view of one meeting loads it through ``selectors.meeting_get``: 404 for
a meeting the user may not see, 403 for an action their role does not allow."""

from __future__ import annotations

import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import role_required
from audit.services import audit_read
from custos.forms import form_service
from custos.http import AuthenticatedHttpRequest
from custos.uploads import access_before_body
from custos.views import GET_POST
from partners.meetings import selectors, services
from partners.meetings.forms import ActionForm, MeetingFilterForm, MeetingForm
from partners.models import Meeting


@role_required(*selectors.LIST_ROLES)
@require_GET
def meeting_list_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = MeetingFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    meetings = selectors.meeting_list(
        request.user, kind=filters.get("kind") or "", when=filters.get("when") or ""
    )
    page = Paginator(meetings, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "partners/meeting_list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "overdue": selectors.overdue_actions(request.user)[:50],
            "can_manage": selectors.may_manage(request.user),
        },
    )


def _manager(request: AuthenticatedHttpRequest) -> None:
    if not selectors.may_manage(request.user):
        raise PermissionDenied


def _meeting_manager(request: AuthenticatedHttpRequest, pk: int) -> None:
    selectors.meeting_get(request.user, pk)
    _manager(request)


# The minutes are uploaded with the form: access is decided before the body is read.
@access_before_body(_manager)
@role_required(*selectors.MANAGERS)
@GET_POST
def meeting_create_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = MeetingForm(request.POST or None, request.FILES or None)
    recorded = form_service(
        request, form, lambda: services.meeting_create(actor=request.user, **form.cleaned_data)
    )
    if recorded:
        messages.success(request, _("The meeting has been recorded."))
        return redirect("meetings:detail", pk=recorded.value.pk)
    return render(request, "partners/meeting_form.html", {"form": form})


def _detail_page(
    request: AuthenticatedHttpRequest, meeting: Meeting, action_form: ActionForm | None = None
) -> HttpResponse:
    can_manage = selectors.may_manage(request.user)
    actions = list(meeting.actions.select_related("owner", "done_by"))
    for action in actions:
        # Read by the template only.
        action.can_complete = not action.done and selectors.may_complete(  # type: ignore[attr-defined]
            request.user, action
        )
    if can_manage and action_form is None:
        action_form = ActionForm(meeting=meeting, prefix="action")
    return render(
        request,
        "partners/meeting_detail.html",
        {
            "meeting": meeting,
            "contacts": meeting.participant_contacts.select_related("organisation").order_by(
                "organisation__name", "name"
            ),
            "users": meeting.participant_users.order_by("full_name", "username"),
            "actions": actions,
            "overdue_count": sum(1 for action in actions if action.is_overdue),
            "today": timezone.localdate(),
            "can_manage": can_manage,
            "action_form": action_form if can_manage else None,
        },
    )


@require_GET
def meeting_detail_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get(request.user, pk)
    audit_read(actor=request.user, action="meeting.viewed", target=meeting)
    return _detail_page(request, meeting)


@access_before_body(_meeting_manager)
@GET_POST
def meeting_edit_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get(request.user, pk)
    if not selectors.may_manage(request.user):
        raise PermissionDenied
    # A copy: a ModelForm writes into its instance while validating.
    form = MeetingForm(request.POST or None, request.FILES or None, instance=copy.copy(meeting))
    if form_service(
        request,
        form,
        lambda: services.meeting_update(meeting=meeting, actor=request.user, **form.cleaned_data),
    ):
        messages.success(request, _("The meeting has been saved."))
        return redirect("meetings:detail", pk=pk)
    return render(request, "partners/meeting_form.html", {"form": form, "meeting": meeting})


@require_POST
def action_add_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    meeting = selectors.meeting_get(request.user, pk)
    if not selectors.may_manage(request.user):
        raise PermissionDenied
    form = ActionForm(request.POST, meeting=meeting, prefix="action")
    if form_service(
        request,
        form,
        lambda: services.action_add(meeting=meeting, actor=request.user, **form.cleaned_data),
    ):
        messages.success(request, _("The follow-up action has been added."))
        return redirect("meetings:detail", pk=pk)
    return _detail_page(request, meeting, form)


@require_POST
def action_complete_view(
    request: AuthenticatedHttpRequest, pk: int, action_pk: int
) -> HttpResponse:
    meeting = selectors.meeting_get(request.user, pk)
    action = selectors.action_get(meeting, action_pk)
    if not selectors.may_complete(request.user, action):
        raise PermissionDenied
    was_done = action.done
    services.action_complete(action=action, actor=request.user)
    if was_done:
        messages.info(request, _("This action was already done."))
    else:
        messages.success(request, _("The follow-up action is marked as done."))
    return redirect("meetings:detail", pk=pk)


@require_GET
def minutes_download_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    meeting = selectors.meeting_get(request.user, pk)
    if not meeting.minutes:
        raise Http404
    audit_read(
        actor=request.user,
        action="meeting.minutes_downloaded",
        target=meeting,
        details={"file": meeting.minutes.name},
    )
    # A file object: FileResponse streams it in blocks and sets Content-Length and the
    # Content-Disposition. Never shown inline: minutes may be HTML-like documents.
    response = FileResponse(
        meeting.minutes.open("rb"),
        as_attachment=True,
        filename=meeting.minutes_filename,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return response
