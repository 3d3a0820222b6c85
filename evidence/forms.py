from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Clearance, User
from cases.models import Case, CasePerson
from cases.selectors import PersonRow
from custos.forms import search_field
from evidence.models import CustodyEvent, EvidenceFile, EvidenceItem
from evidence.services import CUSTODY_STEPS, ITEM_FIELDS

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ItemForm(forms.ModelForm):
    """An item's description. ``source_person`` and ``identifies`` list the case's persons as
    this user may see them: protected persons by pseudonym. ``classification`` offers the
    levels from the case's (the floor) to the user's clearance."""

    source_person = forms.TypedChoiceField(
        label=_("Source person"), required=False, coerce=int, empty_value=None
    )
    identifies = forms.TypedMultipleChoiceField(
        label=_("Persons the item identifies"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Whose identity its files reveal (a statement names them, a photograph shows "
            "them). The files of an item that identifies a protected person are read only by "
            "those who hold that identity."
        ),
    )
    capture_url = forms.URLField(
        label=_("Source URL"), required=False, max_length=2000, assume_scheme="https"
    )

    class Meta:
        model = EvidenceItem
        fields = list(ITEM_FIELDS)
        widgets = {
            "collected_at": DATETIME,
            "capture_time": DATETIME,
            "capture_published_at": DATETIME,
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(
        self,
        *args: Any,
        persons: list[PersonRow],
        case: Case | None = None,
        actor: User | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.persons = {row.case_person.pk: row.case_person for row in persons}
        labels = [
            (row.case_person.pk, f"{row.label} ({row.case_person.get_role_display()})")
            for row in persons
        ]
        cast(forms.ChoiceField, self.fields["source_person"]).choices = [("", "—"), *labels]
        cast(forms.ChoiceField, self.fields["identifies"]).choices = labels
        case = case or (self.instance.case if self.instance.case_id else None)
        floor = case.classification if case else Clearance.UNCLASSIFIED
        ceiling = actor.clearance if actor else Clearance.SECRET
        cast(forms.ChoiceField, self.fields["classification"]).choices = [
            (value, label) for value, label in Clearance.choices if floor <= value <= ceiling
        ]
        self.fields["classification"].required = False  # the case's level when left out
        self.fields["classification"].help_text = _(
            "Never below the case's level; those cleared below it do not see the item."
        )
        self.initial.setdefault("classification", max(self.instance.classification, floor))
        if self.instance.pk:
            self.initial["classification"] = max(self.instance.classification, floor)
            if self.instance.source_person_id:
                self.initial["source_person"] = self.instance.source_person_id
            self.initial["identifies"] = list(self.instance.identifies.values_list("pk", flat=True))

    def clean_source_person(self) -> Any:
        pk = self.cleaned_data.get("source_person")
        return self.persons.get(pk) if pk else None

    def clean_classification(self) -> int | None:
        value = self.cleaned_data.get("classification")
        if value in (None, ""):
            return self.instance.classification if self.instance.pk else None
        return int(value)

    def clean_identifies(self) -> list[CasePerson]:
        return [self.persons[pk] for pk in self.cleaned_data.get("identifies") or []]

    def clean_capture_page_sha256(self) -> str:
        value = self.cleaned_data.get("capture_page_sha256", "").strip().lower()
        if value and not SHA256.match(value):
            raise forms.ValidationError(_("A SHA-256 is 64 hexadecimal characters."))
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        now = timezone.now()
        for name in ("collected_at", "capture_time", "capture_published_at"):
            if data.get(name) and data[name] > now:
                self.add_error(name, _("This date is in the future."))
        if data.get("source_kind") == EvidenceItem.SourceKind.PERSON and not data.get(
            "source_person"
        ):
            self.add_error("source_person", _("Choose the person the item came from."))
        return data


class NewItemForm(ItemForm):
    upload = forms.FileField(
        label=_("Original file"),
        required=False,
        help_text=_("Optional for physical items. It is hashed (SHA-256) while it uploads."),
    )


class FileForm(forms.Form):
    upload = forms.FileField(label=_("File"))
    role = forms.ChoiceField(label=_("What this file is"), choices=EvidenceFile.Role.choices)
    derived_from = forms.TypedChoiceField(
        label=_("Derived from"), required=False, coerce=int, empty_value=None
    )
    method = forms.CharField(
        label=_("Method"),
        required=False,
        max_length=300,
        help_text=_(
            "How it was made from the other file, e.g. “translated by a sworn translator”."
        ),
    )

    def __init__(self, *args: Any, files_of_item: list[EvidenceFile], **kwargs: Any) -> None:
        """``files_of_item``: the files of the item the user may name (evidence.access)."""
        super().__init__(*args, **kwargs)
        self.item_files = {f.pk: f for f in files_of_item}
        cast(forms.ChoiceField, self.fields["derived_from"]).choices = [("", "—")] + [
            (f.pk, f"{f.get_role_display()}: {f.filename}") for f in files_of_item
        ]

    def clean_derived_from(self) -> EvidenceFile | None:
        pk = self.cleaned_data.get("derived_from")
        return self.item_files.get(pk) if pk else None


class RecipientField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.get_full_name()} ({obj.username})"


class TransferForm(forms.Form):
    to_user = RecipientField(queryset=User.objects.none(), label=_("Hand over to"))
    purpose = forms.CharField(label=_("Purpose"), max_length=300)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, recipients: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["to_user"]).queryset = recipients


class AcceptForm(forms.Form):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text=_("Taking custody is signed with your password."),
    )
    location = forms.CharField(label=_("Where you keep it now"), required=False, max_length=300)


class CustodyEventForm(forms.Form):
    kind = forms.ChoiceField(label=_("What happened"))
    occurred_at = forms.DateTimeField(
        label=_("When"), required=False, widget=DATETIME, help_text=_("Leave empty for now.")
    )
    late_entry = forms.BooleanField(
        label=_("Late entry"),
        required=False,
        help_text=_(
            "It happened before the previous event or before the item was acquired, and is "
            "recorded only now."
        ),
    )
    late_reason = forms.CharField(
        label=_("Why it is recorded late"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    location = forms.CharField(label=_("Location"), required=False, max_length=300)
    purpose = forms.CharField(label=_("Purpose"), required=False, max_length=300)
    to_external = forms.CharField(
        label=_("Handed to (organisation or person)"),
        required=False,
        max_length=300,
        help_text=_("For a release to a partner or a return to the owner."),
    )
    seal_numbers = forms.CharField(label=_("Seal numbers"), required=False, max_length=300)
    authorisation = forms.CharField(
        label=_("Authorisation for destruction"), required=False, max_length=500
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, item: EvidenceItem, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = [
            (kind, CustodyEvent.Kind(kind).label)
            for kind, (allowed, _new) in CUSTODY_STEPS.items()
            if item.status in allowed
        ]


class RegisterFilterForm(forms.Form):
    q = search_field()
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any")), *EvidenceItem.Kind.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any")), *EvidenceItem.Status.choices]
    )
