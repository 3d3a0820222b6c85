"""Forms of the proof matrix. Persons are offered as the user may see them (a protected
suspect by pseudonym); the rows a link may point to are named by value as ``e:<crime>:<index>``
(an element of that crime) or ``m:<mode>`` (a mode of liability), so that a form rendered for
another crime than the allegation's no longer validates."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from cases.models import Case, CasePerson, Crime, Incident, ModeOfLiability
from cases.selectors import PersonRow
from evidence.models import Allegation, EvidenceItem, EvidenceLink
from evidence.proof.selectors import is_contextual, liability_modes

Assessment = EvidenceLink.Assessment


class CrimeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Crime) -> str:
        label = f"{obj.article} {obj.title}"
        if not obj.verified_from_source:
            return f"{label} ({_('wording pending verification')})"
        return label


class ModeChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: ModeOfLiability) -> str:
        return f"{obj.article} {obj.title}"


class IncidentChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Incident) -> str:
        return f"{obj.date_start:%Y-%m-%d} {obj.title}"


class AllegationForm(forms.Form):
    """An allegation: ``suspect`` lists the case's suspects as this user may see them."""

    suspect = forms.TypedChoiceField(label=_("Suspect"), coerce=int)
    crime = CrimeChoiceField(
        label=_("Crime"), queryset=Crime.objects.order_by("position"), empty_label="—"
    )
    modes = ModeChoiceField(
        label=_("Modes of liability"),
        queryset=liability_modes(),
        widget=forms.CheckboxSelectMultiple,
    )
    incidents = IncidentChoiceField(
        label=_("Incidents covered"),
        queryset=Incident.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    status = forms.ChoiceField(label=_("Status"), choices=Allegation.Status.choices)

    def __init__(
        self,
        *args: Any,
        case: Case,
        persons: list[PersonRow],
        allegation: Allegation | None = None,
        **kwargs: Any,
    ) -> None:
        if allegation is not None:
            kwargs.setdefault(
                "initial",
                {
                    "suspect": allegation.suspect_id,
                    "crime": allegation.crime_id,
                    "modes": list(allegation.modes.all()),
                    "incidents": list(allegation.incidents.all()),
                    "status": allegation.status,
                },
            )
        super().__init__(*args, **kwargs)
        current = allegation.suspect_id if allegation else None
        suspects = [
            row
            for row in persons
            if row.case_person.role == CasePerson.Role.SUSPECT or row.case_person.pk == current
        ]
        self.suspects = {row.case_person.pk: row.case_person for row in suspects}
        cast(forms.ChoiceField, self.fields["suspect"]).choices = [("", "—")] + [
            (row.case_person.pk, row.label) for row in suspects
        ]
        cast(forms.ModelChoiceField, self.fields["incidents"]).queryset = case.incidents.order_by(
            "date_start", "id"
        )

    def clean_suspect(self) -> CasePerson:
        return self.suspects[self.cleaned_data["suspect"]]


def _element_label(index: int, text: str) -> str:
    body = Truncator(text.split(". ", 1)[-1] if text[:1].isdigit() else text).chars(110)
    if is_contextual(text):
        return _("Element %(number)s (contextual): %(text)s") % {"number": index + 1, "text": body}
    return _("Element %(number)s: %(text)s") % {"number": index + 1, "text": body}


def target_choices(allegation: Allegation, prefix: str = "") -> list[tuple[str, str]]:
    """The rows of an allegation's matrix as choices: its crime's elements, then its modes."""
    crime = allegation.crime
    choices = [
        (f"{prefix}e:{crime.pk}:{index}", _element_label(index, text))
        for index, text in enumerate(crime.elements)
    ]
    choices += [
        (f"{prefix}m:{mode.pk}", f"{mode.article} {mode.title}") for mode in allegation.modes.all()
    ]
    return choices


def parse_target(value: str) -> dict[str, Any]:
    """``e:<crime>:<index>`` or ``m:<mode>`` as the arguments of ``proof.link_create``."""
    kind, _sep, rest = value.partition(":")
    if kind == "e":
        crime_pk, _sep, index = rest.partition(":")
        return {
            "element_index": int(index),
            "element_crime": Crime.objects.filter(pk=int(crime_pk)).first(),
            "mode": None,
        }
    return {"element_index": None, "mode": ModeOfLiability.objects.get(pk=int(rest))}


class _LinkFields(forms.Form):
    locator = forms.CharField(
        label=_("Where in the item"),
        max_length=200,
        required=False,
        help_text=_("A page, a timestamp or a paragraph (e.g. p. 4, 00:12:30, § 17)."),
    )
    relevance = forms.CharField(
        label=_("Relevance"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What this part of the item shows for this element."),
    )
    assessment = forms.ChoiceField(
        label=_("Assessment"), choices=Assessment.choices, widget=forms.RadioSelect
    )


class LinkForm(_LinkFields):
    """A link from the matrix: an item of the case, and the row (preselected from the query
    string when the user came from a row)."""

    item = forms.TypedChoiceField(label=_("Evidence item"), coerce=int)
    target = forms.ChoiceField(label=_("Element or mode of liability"))
    field_order = ["item", "target", "locator", "relevance", "assessment"]

    def __init__(
        self, *args: Any, allegation: Allegation, items: list[EvidenceItem], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.items = {item.pk: item for item in items}
        cast(forms.ChoiceField, self.fields["item"]).choices = [("", "—")] + [
            (item.pk, f"{item.exhibit}: {Truncator(item.description).chars(80)}") for item in items
        ]
        cast(forms.ChoiceField, self.fields["target"]).choices = target_choices(allegation)

    def clean_item(self) -> EvidenceItem:
        return self.items[self.cleaned_data["item"]]

    def clean_target(self) -> dict[str, Any]:
        return parse_target(self.cleaned_data["target"])


class ItemLinkForm(_LinkFields):
    """A link from an item's page: the allegation and its row in one choice, grouped by
    allegation (labelled with the suspect as this user may see them)."""

    target = forms.ChoiceField(label=_("Allegation and element"))
    field_order = ["target", "locator", "relevance", "assessment"]

    def __init__(
        self,
        *args: Any,
        allegations: list[Allegation],
        suspect_labels: dict[int, str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.allegations = {a.pk: a for a in allegations}
        cast(forms.ChoiceField, self.fields["target"]).choices = [("", "—")] + [
            (
                allegation_label(a, suspect_labels.get(a.suspect_id, "")),
                target_choices(a, prefix=f"{a.pk}|"),
            )
            for a in allegations
        ]

    def clean_target(self) -> dict[str, Any]:
        allegation_pk, _sep, value = self.cleaned_data["target"].partition("|")
        return {"allegation": self.allegations[int(allegation_pk)], **parse_target(value)}


def allegation_label(allegation: Allegation, suspect: str) -> str:
    return _("#%(pk)s %(suspect)s: art. %(article)s %(title)s") % {
        "pk": allegation.pk,
        "suspect": suspect,
        "article": allegation.crime.article,
        "title": allegation.crime.title,
    }


class ReviseForm(_LinkFields):
    """A new version of a link: what changes, and why."""

    reason = forms.CharField(
        label=_("Reason for the change"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with this version in the link's history."),
    )

    def __init__(self, *args: Any, link: EvidenceLink, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {"locator": link.locator, "relevance": link.relevance, "assessment": link.assessment},
        )
        super().__init__(*args, **kwargs)


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for withdrawing the link"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The link leaves the matrix; its history and this reason are kept."),
    )
