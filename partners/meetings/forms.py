"""Forms of the meeting pages."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.validators import FileExtensionValidator
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from partners.meetings.selectors import eligible_owners, eligible_participants
from partners.models import Contact, FollowUpAction, Meeting, PartnerOrganisation

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MINUTES_EXTENSIONS = ["pdf", "odt", "docx", "doc", "rtf", "txt"]
MINUTES_MAX_BYTES = 50 * 1024 * 1024


class ContactChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Contact) -> str:
        organisation = obj.organisation
        return f"{obj.name} ({organisation.acronym or organisation.name})"


class UserChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name()


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name()


class MeetingForm(forms.ModelForm):
    participant_contacts = ContactChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        label=_("Partner participants"),
        help_text=_("Hold Ctrl (or Cmd) to choose several."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    participant_users = UserChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=_("Custos participants"),
        help_text=_("A liaison sees only the meetings they take part in."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    minutes = forms.FileField(
        label=_("Minutes"),
        required=False,
        help_text=_("PDF, ODT, DOCX, DOC, RTF or TXT. A new file replaces the current one."),
        validators=[FileExtensionValidator(MINUTES_EXTENSIONS)],
    )

    class Meta:
        model = Meeting
        fields = [
            "title",
            "kind",
            "start_date",
            "end_date",
            "venue",
            "online",
            "organiser",
            "participant_contacts",
            "participant_users",
            "agenda",
        ]
        help_texts = {"venue": _("The place, or leave empty for a meeting held only online.")}
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "agenda": forms.Textarea(attrs={"rows": 6}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organiser = cast(forms.ModelChoiceField, self.fields["organiser"])
        organiser.queryset = PartnerOrganisation.objects.order_by("name")
        organiser.empty_label = _("The unit")
        cast(
            forms.ModelChoiceField, self.fields["participant_contacts"]
        ).queryset = Contact.objects.select_related("organisation").order_by(
            "organisation__name", "name"
        )
        cast(
            forms.ModelChoiceField, self.fields["participant_users"]
        ).queryset = eligible_participants()

    def clean_minutes(self) -> Any:
        file = self.cleaned_data.get("minutes")
        if file and file.size > MINUTES_MAX_BYTES:
            raise forms.ValidationError(
                _("The minutes may be at most %(size)s.")
                % {"size": filesizeformat(MINUTES_MAX_BYTES)}
            )
        return file

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The meeting ends before it starts."))
        if "venue" in data and not data.get("venue", "").strip() and not data.get("online"):
            self.add_error("venue", _("Give a venue or mark the meeting as online."))
        return data


class MeetingFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *Meeting.Kind.choices],
    )
    when = forms.ChoiceField(
        label=_("When"),
        required=False,
        choices=[("", _("Upcoming and past")), ("upcoming", _("Upcoming")), ("past", _("Past"))],
    )


class ActionForm(forms.ModelForm):
    owner = OwnerChoiceField(queryset=User.objects.none(), label=_("Owner"))

    class Meta:
        model = FollowUpAction
        fields = ["owner", "description", "due_date"]
        widgets = {"due_date": DATE, "description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["owner"]).queryset = eligible_owners(meeting)
