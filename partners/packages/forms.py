"""Forms of the case package pages. Choices are limited to the case at hand: an id of another
case's item, allegation or person is simply not a valid choice."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts.models import Clearance, User
from cases.models import Case, CasePerson
from evidence.models import Allegation, EvidenceItem
from partners.models import Package
from partners.packages.selectors import disclosable_persons, liaisons_of


class _ItemChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: EvidenceItem) -> str:
        return f"{obj.exhibit}: {obj.description[:80]}"


class _AllegationChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Allegation) -> str:
        return obj.audit_label


class _PersonChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: CasePerson) -> str:
        # Only the pseudonym: the decision page does not need the name to pick a person.
        return f"{obj.pseudonym} ({obj.get_role_display()})"


class _RecipientChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return _("%(name)s (cleared up to %(level)s)") % {
            "name": obj.get_full_name() or obj.get_username(),
            "level": Clearance(obj.clearance).label,
        }


class PackageRequestForm(forms.Form):
    """A request. A liaison does not see the case's evidence, so only a case lead chooses
    items and allegations; a liaison describes what they need in the details."""

    purpose = forms.ChoiceField(label=_("Purpose"), choices=Package.Purpose.choices)
    purpose_detail = forms.CharField(
        label=_("Details of the request"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("The proceedings, the request reference, what the package must show."),
    )
    recipient = forms.CharField(
        label=_("Recipient"),
        max_length=300,
        required=False,
        help_text=_("Printed on the cover and in the watermark of every page."),
    )
    sections = forms.MultipleChoiceField(
        label=_("Sections"),
        choices=Package.Section.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=Package.Section.values,
    )
    all_evidence = forms.BooleanField(label=_("All evidence items"), required=False, initial=True)
    evidence_items = _ItemChoice(
        label=_("Only these evidence items"),
        queryset=EvidenceItem.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    all_allegations = forms.BooleanField(label=_("All allegations"), required=False, initial=True)
    allegations = _AllegationChoice(
        label=_("Only these allegations"),
        queryset=Allegation.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    language = forms.ChoiceField(label=_("Language of the package"), choices=settings.LANGUAGES)
    deadline = forms.DateField(
        label=_("Needed by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, case: Case, for_liaison: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if for_liaison:
            for name in ("recipient", "all_evidence", "evidence_items"):
                del self.fields[name]
            for name in ("all_allegations", "allegations"):
                del self.fields[name]
        else:
            self.fields["recipient"].required = True
            cast(
                forms.ModelChoiceField, self.fields["evidence_items"]
            ).queryset = case.evidence.order_by("number")
            cast(
                forms.ModelChoiceField, self.fields["allegations"]
            ).queryset = case.allegations.select_related("crime").order_by("pk")

    def scope_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "sections": data["sections"],
            "all_evidence": data.get("all_evidence", True) or not data.get("evidence_items"),
            "evidence_items": tuple(data.get("evidence_items") or ()),
            "all_allegations": data.get("all_allegations", True) or not data.get("allegations"),
            "allegations": tuple(data.get("allegations") or ()),
        }


class PackageDecisionForm(forms.Form):
    APPROVE = "approve"
    REJECT = "reject"

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(APPROVE, _("Approve")), (REJECT, _("Reject"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Required for a rejection; shown to the requester."),
    )
    recipients = _RecipientChoice(
        label=_("Named recipients"),
        queryset=User.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Only these liaisons may download the package; nobody else of their organisation."
        ),
    )
    disclose = _PersonChoice(
        label=_("Include the identity of these protected persons"),
        queryset=CasePerson.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Only identities you hold yourself can be included. Everyone else appears by "
            "pseudonym only."
        ),
    )
    justification = forms.CharField(
        label=_("Justification for including identities"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )
    declassify_to = forms.TypedChoiceField(
        label=_("Declassify the package to"),
        choices=(),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("Needed only when a recipient is not cleared for the package's level."),
    )
    declassification_reason = forms.CharField(
        label=_("Reason for the declassification"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        package: Package,
        actor: User,
        can_disclose: bool,
        level: int,
        **kwargs: Any,
    ) -> None:
        """``level`` is the classification of the package's content."""
        super().__init__(*args, **kwargs)
        self.package = package
        if package.organisation_id:
            cast(forms.ModelChoiceField, self.fields["recipients"]).queryset = liaisons_of(package)
        else:
            del self.fields["recipients"]
        held = disclosable_persons(actor, package.case) if can_disclose else None
        if held is not None and held.exists():
            cast(forms.ModelChoiceField, self.fields["disclose"]).queryset = held
        else:
            del self.fields["disclose"]
            del self.fields["justification"]
        lower = [(value, label) for value, label in Clearance.choices if value < level]
        if lower:
            cast(forms.ChoiceField, self.fields["declassify_to"]).choices = [
                ("", _("No declassification")),
                *lower,
            ]
        else:
            del self.fields["declassify_to"]
            del self.fields["declassification_reason"]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        approving = data.get("decision") == self.APPROVE
        if data.get("decision") == self.REJECT and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason for the rejection."))
        if approving and "recipients" in self.fields and not data.get("recipients"):
            self.add_error("recipients", _("Name who may download the package."))
        disclosing = approving and data.get("disclose")
        if disclosing and not (data.get("justification") or "").strip():
            self.add_error(
                "justification", _("Record why the identity is included in the package.")
            )
        declassifying = approving and data.get("declassify_to") is not None
        if declassifying and not (data.get("declassification_reason") or "").strip():
            self.add_error("declassification_reason", _("Record why the package is declassified."))
        return data


class PackageRevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for revocation"), widget=forms.Textarea(attrs={"rows": 3})
    )


class PackageVerifyForm(forms.Form):
    file = forms.FileField(
        label=_("Package PDF"),
        help_text=_("The file is checked and not kept."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
