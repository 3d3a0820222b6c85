"""The crime browser's filter."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cases.models import Crime
from custos.forms import search_field


class CrimeFilterForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Category"),
        choices=[("", _("All categories")), *Crime.Category.choices],
        required=False,
    )
    q = search_field(
        help_text=_("Words in the title, the article or the statute text, e.g. “8(2)(b)”.")
    )
