from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from training.models import Application


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
