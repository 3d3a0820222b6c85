"""Training pages: the catalogue and applications (staff and trainees), a trainee's own
applications and certificates, the training admins' tools, statistics, and the public
verification of a certificate."""

from __future__ import annotations

import copy
import itertools

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import role_required
from accounts.roles import Role
from custos.csv import csv_response
from custos.forms import action_service, form_service
from custos.http import AuthenticatedHttpRequest
from custos.uploads import access_before_body
from custos.views import GET_POST
from training import selectors, services
from training.forms import (
    ApplicationForm,
    AttendanceDayForm,
    CourseForm,
    DecisionForm,
    ImportForm,
    SessionForm,
)
from training.models import APPLICANT_ROLES, Application, Certificate, Course

CATALOGUE = role_required(*APPLICANT_ROLES)
TRAINING_ADMIN = role_required(Role.TRAINING_ADMIN)
STATISTICS = role_required(Role.TRAINING_ADMIN, Role.UNIT_ADMIN)


@CATALOGUE
@require_GET
def catalogue_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    is_admin = selectors.is_training_admin(request.user)
    return render(
        request,
        "training/session_list.html",
        {
            "sessions": selectors.sessions_for_catalogue(request.user),
            "is_admin": is_admin,
            "courses": (
                Course.objects.visible_to(request.user).order_by("title")
                if is_admin
                else Course.objects.none()
            ),
        },
    )


@CATALOGUE
@require_GET
def session_detail_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.user, pk)
    mine = (
        Application.objects.visible_to(request.user)
        .filter(session=session, applicant=request.user)
        .first()
    )
    return render(
        request,
        "training/session_detail.html",
        {
            "session": session,
            "modules": session.course.modules.all(),
            "mine": mine,
            "can_apply": mine is None and session.window_is_open(),
            "is_admin": selectors.is_training_admin(request.user),
        },
    )


@CATALOGUE
@GET_POST
def apply_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.user, pk)
    form = ApplicationForm(request.POST or None)
    if form_service(
        request,
        form,
        lambda: services.application_submit(
            session=session, applicant=request.user, **form.cleaned_data
        ),
    ):
        messages.success(request, _("Your application was received."))
        return redirect("training:my")
    return render(request, "training/application_form.html", {"session": session, "form": form})


@require_GET
def my_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The user's own applications and certificates (everyone logged in; maybe none)."""
    return render(
        request,
        "training/my_applications.html",
        {"applications": selectors.applications_of(request.user)},
    )


@require_POST
def withdraw_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get(request.user, pk)
    if action_service(
        request,
        lambda: services.application_withdraw(application=application, actor=request.user),
    ):
        messages.success(request, _("The application was withdrawn."))
    if application.applicant_id == request.user.pk:
        return redirect("training:my")
    return redirect("training:applications", pk=application.session_id)


@require_GET
def certificate_pdf_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    certificate = selectors.certificate_get(request.user, pk)
    if certificate.status != Certificate.Status.READY:
        raise Http404
    return FileResponse(
        certificate.pdf.open("rb"),
        as_attachment=True,
        filename=f"certificate-{certificate.code}.pdf",
        content_type="application/pdf",
    )


@login_not_required
@require_GET
def verify_view(request: HttpRequest, code: str) -> HttpResponse:
    """Public: confirms the name, course and date of a certificate, and nothing else."""
    certificate = selectors.certificate_by_code(code)
    application = certificate.application
    return render(
        request,
        "training/verify.html",
        {
            "name": application.applicant.get_full_name(),
            "course": application.session.course.title,
            "date": application.session.end_date,
            "code": certificate.code,
        },
    )


# --- Training admins --------------------------------------------------------------------------


@TRAINING_ADMIN
@GET_POST
def applications_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A session's applications, with bulk accept / waitlist / reject."""
    session = selectors.session_get(request.user, pk)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ids = [int(i) for i in request.POST.getlist("application") if i.isdigit()]
        chosen = (
            Application.objects.visible_to(request.user)
            .filter(session=session, pk__in=ids)
            .order_by("created_at", "pk")
        )
        done, refused = 0, []
        for application in chosen:
            try:
                services.application_decide(
                    application=application,
                    actor=request.user,
                    decision=form.cleaned_data["decision"],
                    reason=form.cleaned_data["reason"],
                )
                done += 1
            except ValidationError as exc:
                refused.append(f"{application.applicant}: {' '.join(exc.messages)}")
        if done:
            messages.success(request, _("%(count)s applications decided.") % {"count": done})
        for message in refused:
            messages.error(request, message)
        if not chosen:
            messages.error(request, _("Select at least one application."))
        return redirect("training:applications", pk=session.pk)
    applications = session.applications.select_related("applicant", "nominated_by").order_by(
        "status", "waitlisted_at", "created_at"
    )
    return render(
        request,
        "training/application_list.html",
        {"session": session, "applications": applications, "form": form},
    )


@TRAINING_ADMIN
@GET_POST
def attendance_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Bulk marking of who was present on one day of a session."""
    session = selectors.session_get(request.user, pk)
    form = AttendanceDayForm(request.POST or request.GET or None)
    participants = list(selectors.participants(session))
    if form_service(
        request,
        form,
        lambda: services.attendance_mark(
            session=session,
            actor=request.user,
            day=form.cleaned_data["day"],
            present_ids={int(i) for i in request.POST.getlist("present") if i.isdigit()},
        ),
    ):
        messages.success(request, _("Attendance saved."))
        return redirect("training:attendance", pk=session.pk)
    present_days: dict[int, int] = {}
    for application in participants:
        present_days[application.pk] = application.attendance.filter(present=True).count()
    rows = [(a, present_days[a.pk]) for a in participants]
    return render(
        request,
        "training/attendance.html",
        {"session": session, "form": form, "rows": rows, "days": session.day_count},
    )


@TRAINING_ADMIN
@require_POST
def assessment_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Records who passed the assessment (the ticked participants) and who did not."""
    session = selectors.session_get(request.user, pk)
    passed = {int(i) for i in request.POST.getlist("passed") if i.isdigit()}
    for application in selectors.participants(session):
        services.assessment_record(
            application=application, actor=request.user, passed=application.pk in passed
        )
    messages.success(request, _("Assessment results saved."))
    return redirect("training:attendance", pk=session.pk)


@TRAINING_ADMIN
@require_POST
def complete_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.user, pk)
    completed = action_service(
        request, lambda: services.session_complete(session=session, actor=request.user)
    )
    if completed:
        messages.success(
            request,
            _("%(count)s participants completed the session; their certificates are queued.")
            % {"count": len(completed.value)},
        )
    return redirect("training:attendance", pk=session.pk)


def _training_admin(request: AuthenticatedHttpRequest) -> None:
    if not request.user.has_role(Role.TRAINING_ADMIN):
        raise PermissionDenied


@access_before_body(_training_admin)  # the CSV: nothing is written for anyone else
@TRAINING_ADMIN
@GET_POST
def import_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """CSV import of partner nominations: all rows or none."""
    form = ImportForm(request.POST or None, request.FILES or None)
    imported = form_service(
        request,
        form,
        lambda: services.nominations_import(actor=request.user, text=form.cleaned_data["file"]),
    )
    if imported:
        messages.success(request, _("%(count)s nominations imported.") % {"count": imported.value})
        return redirect("training:catalogue")
    return render(request, "training/import.html", {"form": form})


@TRAINING_ADMIN
@require_GET
def export_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponseBase:
    session = selectors.session_get(request.user, pk)
    header = ["name", "email", "country", "organisation", "function", "nominated_by", "completed"]
    rows = (
        [
            a.applicant.get_full_name(),
            a.applicant.email,
            a.country.code,  # type: ignore[attr-defined]  # a Country at run time
            a.organisation,
            a.function,
            a.nominated_by.name if a.nominated_by else "",
            "yes" if a.completed_at else "no",
        ]
        for a in selectors.participants(session)
    )
    return csv_response(itertools.chain([header], rows), filename=f"participants-{session.pk}.csv")


@STATISTICS
@require_GET
def statistics_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "training/statistics.html", {"stats": selectors.training_statistics()})


@STATISTICS
@require_GET
def statistics_print_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(
        request, "training/statistics_print.html", {"stats": selectors.training_statistics()}
    )


# --- Courses and sessions (training admins) ---------------------------------------------------


@TRAINING_ADMIN
@GET_POST
def course_create_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = CourseForm(request.POST or None)
    if form_service(
        request, form, lambda: services.course_create(actor=request.user, **form.cleaned_data)
    ):
        messages.success(request, _("The course was added."))
        return redirect("training:catalogue")
    return render(request, "training/course_form.html", {"form": form})


@TRAINING_ADMIN
@GET_POST
def course_edit_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    course = selectors.course_get(request.user, pk)
    # A copy: a ModelForm writes into its instance while validating.
    form = CourseForm(request.POST or None, instance=copy.copy(course))
    if form_service(
        request,
        form,
        lambda: services.course_update(course=course, actor=request.user, **form.cleaned_data),
    ):
        messages.success(request, _("The course was saved."))
        return redirect("training:catalogue")
    return render(request, "training/course_form.html", {"form": form, "course": course})


@TRAINING_ADMIN
@GET_POST
def session_create_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = SessionForm(request.POST or None)
    created = form_service(
        request, form, lambda: services.session_create(actor=request.user, **form.service_data())
    )
    if created:
        messages.success(request, _("The session was scheduled."))
        return redirect("training:session_detail", pk=created.value.pk)
    return render(request, "training/session_form.html", {"form": form})


@TRAINING_ADMIN
@GET_POST
def session_edit_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    session = selectors.session_get(request.user, pk)
    form = SessionForm(request.POST or None, instance=copy.copy(session))
    if form_service(
        request,
        form,
        lambda: services.session_update(session=session, actor=request.user, **form.service_data()),
    ):
        messages.success(request, _("The session was saved."))
        return redirect("training:session_detail", pk=session.pk)
    return render(request, "training/session_form.html", {"form": form, "session": session})
