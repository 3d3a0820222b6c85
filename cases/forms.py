from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField  # type: ignore[attr-defined]  # its stubs omit it

from accounts.models import Clearance, User
from cases.models import Case, CaseMember, CasePerson, Crime, Incident, Person, ProtectiveMeasure
from cases.permissions import next_statuses
from cases.services import CASE_FIELDS, INCIDENT_FIELDS, PERSON_FIELDS
from custos.forms import search_field
from custos.widgets import FastLazySelect

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def any_country() -> list[tuple[str, str]]:
    """“Any”, then every country, named and sorted in the active language: filter forms take
    this callable, because a list built at import would stay in the importing process's
    language."""
    return [("", _("Any")), *countries]


class CrimeChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Crime) -> str:
        return f"{obj.article} {obj.title}"


def _crimes_field() -> CrimeChoiceField:
    return CrimeChoiceField(
        queryset=Crime.objects.order_by("position"),
        required=False,
        label=_("Crimes alleged"),
        help_text=_("Hold Ctrl (or Cmd) to choose several."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )


class CaseForm(forms.ModelForm):
    crimes = _crimes_field()

    class Meta:
        model = Case
        fields = [*CASE_FIELDS, "crimes"]
        widgets = {
            "period_start": DATE,
            "period_end": DATE,
            "summary": forms.Textarea(attrs={"rows": 5}),
        }

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Nobody can classify a case above their own clearance: they could not see it.
        cast(forms.ChoiceField, self.fields["classification"]).choices = [
            (value, label) for value, label in Clearance.choices if value <= user.clearance
        ]
        self.fields["countries"].widget.attrs["size"] = 6

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The end of the period is before its start."))
        return data


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("New status"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, case: Case, role: str | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["to_status"]).choices = [
            (status, Case.Status(status).label) for status in next_statuses(case.status, role)
        ]


class IncidentForm(forms.ModelForm):
    crimes = _crimes_field()

    class Meta:
        model = Incident
        fields = [*INCIDENT_FIELDS, "crimes"]
        widgets = {
            "date_start": DATE,
            "date_end": DATE,
            "description": forms.Textarea(attrs={"rows": 5}),
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("date_start"), data.get("date_end")
        if start and end and end < start:
            self.add_error("date_end", _("The end date is before the start date."))
        if start and start > timezone.localdate():
            self.add_error("date_start", _("An incident cannot be in the future."))
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        return data


def _names(text: str, kind: str) -> list[tuple[str, str, str]]:
    return [(line.strip(), kind, "") for line in text.splitlines() if line.strip()]


class PersonForm(forms.ModelForm):
    """A person and their role in this case."""

    role = forms.ChoiceField(label=_("Role in the case"), choices=CasePerson.Role.choices)
    aliases = forms.CharField(
        label=_("Aliases"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line."),
    )
    transliterations = forms.CharField(
        label=_("Transliterations and spellings in other scripts"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line."),
    )
    notes = forms.CharField(
        label=_("Notes on this person in this case"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    class Meta:
        model = Person
        fields = list(PERSON_FIELDS)
        widgets = {"birth_date": DATE}

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        born, year = data.get("birth_date"), data.get("birth_year")
        today = timezone.localdate()
        if born and born > today:
            self.add_error("birth_date", _("A date of birth cannot be in the future."))
        if year and year > today.year:
            self.add_error("birth_year", _("A year of birth cannot be in the future."))
        if born and year and born.year != year:
            self.add_error("birth_year", _("The year of birth does not match the date of birth."))
        return data

    def names(self) -> list[tuple[str, str, str]]:
        return _names(self.cleaned_data.get("aliases", ""), "alias") + _names(
            self.cleaned_data.get("transliterations", ""), "transliteration"
        )


class CasePersonForm(forms.Form):
    """A person's role and notes in one case, for a case that is not their home case."""

    role = forms.ChoiceField(label=_("Role in the case"), choices=CasePerson.Role.choices)
    notes = forms.CharField(
        label=_("Notes on this person in this case"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ProtectionChoiceMixin(forms.Form):
    measures = forms.MultipleChoiceField(
        label=_("Protective measures"),
        choices=ProtectiveMeasure.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class NewPersonForm(PersonForm, ProtectionChoiceMixin):
    protect = forms.BooleanField(
        label=_("Protect this person (a pseudonym replaces the name for everyone not granted)"),
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("measures") and not data.get("protect"):
            self.add_error("protect", _("Protective measures need the person to be protected."))
        return data


class LinkPersonForm(ProtectionChoiceMixin):
    person = forms.TypedChoiceField(label=_("Person"), coerce=int)
    role = forms.ChoiceField(label=_("Role in the case"), choices=CasePerson.Role.choices)
    protect = forms.BooleanField(label=_("Protect this person"), required=False)

    def __init__(self, *args: Any, candidates: list[tuple[Person, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = {p.pk: p for p, _ in candidates}
        cast(forms.ChoiceField, self.fields["person"]).choices = [
            (p.pk, label) for p, label in candidates
        ]


class ProtectionForm(ProtectionChoiceMixin):
    note = forms.CharField(
        label=_("Note (order, decision or request)"), required=False, max_length=500
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.get_full_name()} ({obj.username})"


class GrantForm(forms.Form):
    user = UserChoiceField(queryset=User.objects.none(), label=_("Team member"))

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = candidates


class TeamMemberForm(forms.Form):
    user = UserChoiceField(queryset=User.objects.none(), label=_("User"))
    role = forms.ChoiceField(label=_("Role on this case"), choices=CaseMember.Role.choices)

    def __init__(self, *args: Any, candidates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["user"]).queryset = candidates


class BreakGlassForm(forms.Form):
    justification = forms.CharField(
        label=_("Justification"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why you need to read this case now. The case leads will be told."),
    )
    hours = forms.IntegerField(label=_("For how many hours"), min_value=1, max_value=24, initial=2)


class NoteForm(forms.Form):
    body = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 4}))


class CaseFilterForm(forms.Form):
    ORDER_CHOICES = [
        ("-opened", _("Newest first")),
        ("opened", _("Oldest first")),
        ("reference", _("Reference")),
        ("title", _("Title")),
        ("status", _("Status")),
        ("priority", _("Priority")),
    ]
    q = search_field()
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *Case.Status.choices]
    )
    country = LazyTypedChoiceField(
        label=_("Country"), required=False, choices=any_country, widget=FastLazySelect
    )
    crime_category = forms.ChoiceField(
        label=_("Crime category"),
        required=False,
        choices=[("", _("Any")), *Crime.Category.choices],
    )
    classification = forms.TypedChoiceField(
        label=_("Classification"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any")), *Clearance.choices],
    )
    period_from = forms.DateField(label=_("Period from"), required=False, widget=DATE)
    period_until = forms.DateField(label=_("Period until"), required=False, widget=DATE)
    order = forms.ChoiceField(label=_("Sort by"), required=False, choices=ORDER_CHOICES)
