from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries.fields import LazyTypedChoiceField  # type: ignore[attr-defined]  # its stubs omit it

from cases.forms import any_country
from custos.forms import search_field
from partners.models import (
    Agreement,
    CaseShare,
    Contact,
    Network,
    PartnerOrganisation,
)
from partners.services import ORGANISATION_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class DirectoryFilterForm(forms.Form):
    q = search_field()
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any")), *PartnerOrganisation.Kind.choices]
    )
    country = LazyTypedChoiceField(label=_("Country"), required=False, choices=any_country)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), *PartnerOrganisation.Status.choices],
    )
    network = forms.ModelChoiceField(
        label=_("Network"), required=False, queryset=Network.objects.all(), empty_label=_("Any")
    )


class OrganisationForm(forms.ModelForm):
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = PartnerOrganisation
        fields = [*ORGANISATION_FIELDS, "networks"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "function", "email", "phone", "languages", "is_contact_point"]


class AgreementForm(forms.ModelForm):
    class Meta:
        model = Agreement
        fields = ["kind", "title", "signed_on", "valid_from", "valid_until", "scope", "document"]
        widgets = {
            "signed_on": DATE,
            "valid_from": DATE,
            "valid_until": DATE,
            "scope": forms.Textarea(attrs={"rows": 3}),
        }

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("valid_from"), data.get("valid_until")
        if start and end and end < start:
            self.add_error("valid_until", _("The agreement ends before it starts."))
        return data


class InvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    email = forms.EmailField(label=_("E-mail"))
    language = forms.ChoiceField(
        label=_("Language"),
        choices=settings.LANGUAGES,
        help_text=_("The language of the invitation e-mail."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].initial = get_language()


class AcceptInvitationForm(forms.Form):
    username = forms.RegexField(
        label=_("Username"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        help_text=_("Letters, digits and @/./+/-/_ only."),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_username(self) -> str:
        from accounts.models import User

        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise forms.ValidationError(_("This username is taken. Choose another."))
        return username

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


class AgreementChoiceField(forms.ModelChoiceField):
    """An agreement by its partner, its title and its end."""

    def label_from_instance(self, obj: Agreement) -> str:
        return f"{obj.organisation.acronym or obj.organisation.name}: {obj.title}" + (
            f" (→ {obj.valid_until:%Y-%m-%d})" if obj.valid_until else ""
        )


class ShareForm(forms.Form):
    organisation = forms.ModelChoiceField(
        label=_("Partner"),
        queryset=PartnerOrganisation.objects.filter(status=PartnerOrganisation.Status.ACTIVE),
    )
    agreement = AgreementChoiceField(
        label=_("Agreement (legal basis)"),
        queryset=Agreement.objects.select_related("organisation"),
    )
    legal_basis_note = forms.CharField(
        label=_("Legal basis"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The provision or request the sharing rests on."),
    )
    level = forms.ChoiceField(label=_("Level"), choices=CaseShare.Level.choices)
    expires_on = forms.DateField(label=_("Expires on"), widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        cast(
            forms.ModelChoiceField, self.fields["agreement"]
        ).queryset = Agreement.objects.active_on(today).select_related("organisation")
