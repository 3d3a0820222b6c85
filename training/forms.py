from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import STAFF_ROLES, Role
from training.models import Application, Course, Module, Session
from training.services import SESSION_FIELDS, session_date_errors

# Who may teach a session: the unit's staff.
TRAINER_ROLES = (*STAFF_ROLES, Role.TRAINING_ADMIN)


class ApplicationForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = [
            "country",
            "organisation",
            "organisation_international",
            "function",
            "years_experience",
            "gender",
            "motivation",
        ]
        widgets = {"motivation": forms.Textarea(attrs={"rows": 5})}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            (Application.Status.ACCEPTED, _("Accept")),
            (Application.Status.WAITLISTED, _("Waitlist")),
            (Application.Status.REJECTED, _("Reject")),
        ],
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Sent to the applicants; required for a rejection."),
    )


class AttendanceDayForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "Columns: session, email, partner, country, organisation, function, "
            "years_experience, gender, motivation."
        ),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > 2 * 1024 * 1024:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from exc


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class CourseForm(forms.ModelForm):
    modules = forms.CharField(
        label=_("Modules"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One module per line, in the order they are taught."),
    )

    class Meta:
        model = Course
        fields = ["title", "description", "languages"]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["modules"] = "\n".join(
                self.instance.modules.order_by("position", "pk").values_list("title", flat=True)
            )

    def clean_modules(self) -> list[str]:
        titles = [line.strip() for line in self.cleaned_data["modules"].splitlines()]
        titles = [t for t in titles if t]
        limit = cast(int, Module._meta.get_field("title").max_length)
        too_long = [t for t in titles if len(t) > limit]
        if too_long:
            raise forms.ValidationError(
                _("A module title may be at most %(limit)s characters: %(title)s")
                % {"limit": limit, "title": too_long[0][:40]}
            )
        return titles


class TrainerChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.get_username()


_AFTER_CAPACITY = SESSION_FIELDS.index("capacity") + 1


class SessionForm(forms.ModelForm):
    trainers = TrainerChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=_("Trainers"),
        help_text=_("Hold Ctrl (or Cmd) to choose several."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )

    class Meta:
        model = Session
        # The service's fields, with the trainers shown after the capacity.
        fields = [*SESSION_FIELDS[:_AFTER_CAPACITY], "trainers", *SESSION_FIELDS[_AFTER_CAPACITY:]]
        help_texts = {
            "city": _("Leave the city and country empty for a session held only online."),
            "applications_close": _("At the latest the first day of the session."),
        }
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "applications_open": DATE,
            "applications_close": DATE,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["course"]).queryset = Course.objects.order_by(
            "title"
        )
        cast(forms.ModelChoiceField, self.fields["trainers"]).queryset = (
            User.objects.filter(is_active=True, groups__name__in=[r.value for r in TRAINER_ROLES])
            .distinct()
            .order_by("full_name", "username")
        )
        cast(forms.IntegerField, self.fields["capacity"]).min_value = 1
        self.fields["capacity"].widget.attrs["min"] = 1
        self.fields["capacity"].validators.append(MinValueValidator(1))
        # Completion issues the certificates: it is done from the attendance page, not here.
        if self.instance.status != Session.Status.COMPLETED:
            cast(forms.ChoiceField, self.fields["status"]).choices = [
                c for c in Session.Status.choices if c[0] != Session.Status.COMPLETED
            ]

    def clean_capacity(self) -> int:
        capacity = self.cleaned_data["capacity"]
        if self.instance.pk:
            accepted = self.instance.applications.filter(status=Application.Status.ACCEPTED).count()
            if capacity < accepted:
                raise forms.ValidationError(
                    _(
                        "%(accepted)s participants are already accepted: the capacity cannot "
                        "be lower."
                    )
                    % {"accepted": accepted}
                )
        return capacity

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for field, message in session_date_errors(
            start_date=data.get("start_date"),
            end_date=data.get("end_date"),
            applications_open=data.get("applications_open"),
            applications_close=data.get("applications_close"),
        ).items():
            self.add_error(field, message)
        venue_missing = not data.get("city", "").strip() or not data.get("country")
        if "city" in data and not data.get("online") and venue_missing:
            self.add_error("city", _("Give the city and country, or mark the session as online."))
        return data

    def _post_clean(self) -> None:
        # The services validate the model; a ModelForm's own pass would repeat the checks
        # above as the database constraints' terse messages.
        pass

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}
