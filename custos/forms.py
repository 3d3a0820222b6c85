"""Form rendering shared by every app: Bootstrap classes and accessible markup.

Every form renders through ``templates/forms/``: each input has a visible label, its help
text and errors are tied to it with ``aria-describedby``, and invalid inputs are marked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

# The longest query a search box takes: a longer one is refused by the form with a message,
# never sent to the database.
SEARCH_MAX_LENGTH = 200
SEARCH_TOO_LONG = _("A search can be at most %(limit_value)d characters long.")


def _widget_class(widget: forms.Widget) -> str:
    if isinstance(widget, forms.CheckboxInput | forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "form-check-input" if isinstance(widget, forms.CheckboxInput) else ""
    if isinstance(widget, forms.Select | forms.SelectMultiple):
        return "form-select"
    if isinstance(widget, forms.HiddenInput):
        return ""
    return "form-control"


class CustosBoundField(BoundField):
    def build_widget_attrs(
        self, attrs: dict[str, Any], widget: forms.Widget | None = None
    ) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        css = _widget_class(widget or self.field.widget)
        if self.errors:  # Django itself adds the error list to aria-describedby
            css = f"{css} is-invalid"
        if css.strip():
            attrs["class"] = f"{css} {attrs.get('class', '')}".strip()
        return attrs


class CustosFormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
    bound_field_class = CustosBoundField


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Shows a service's ValidationError on the form: on its field where the form has it,
    above the form otherwise. The form re-renders with everything the user typed."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a service returned for a form it accepted (``value`` may be ``None``)."""

    value: T


def form_service(
    request: HttpRequest, form: forms.BaseForm, call: Callable[[], T]
) -> Outcome[T] | None:
    """Runs ``call`` (one service) for a valid POSTed form: its result as an ``Outcome``.

    ``None`` when the request is not a POST, the form is invalid, or the service refused
    with a ValidationError, which ``add_service_errors`` shows on the form; the view then
    renders the form again::

        form = SessionForm(request.POST or None)
        done = form_service(request, form, lambda: services.session_create(**form.cleaned_data))
        if done:
            messages.success(request, _("The session was scheduled."))
            return redirect("training:session_detail", pk=done.value.pk)
        return render(request, "training/session_form.html", {"form": form})
    """
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return Outcome(call())
    except ValidationError as error:
        add_service_errors(form, error)
        return None


def action_service(request: HttpRequest, call: Callable[[], T]) -> Outcome[T] | None:
    """Runs ``call`` (one service) for a button with no form (a POST-only action, or one
    behind ``custos.views.confirm_action``): its result as an ``Outcome``, or ``None`` when
    the service refused with a ValidationError, whose messages are shown as an error
    message. The view adds its success message and redirects either way::

        if action_service(request, lambda: services.transfer_cancel(transfer=t, actor=user)):
            messages.success(request, _("Hand-over cancelled."))
        return redirect("evidence:detail", pk=t.item_id)
    """
    try:
        return Outcome(call())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return None


def search_field(**kwargs: Any) -> forms.CharField:
    """The search box of every list (at most ``SEARCH_MAX_LENGTH`` characters)."""
    kwargs.setdefault("label", _("Search"))
    return forms.CharField(
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        error_messages={"max_length": SEARCH_TOO_LONG},
        **kwargs,
    )


class SearchForm(forms.Form):
    """A list's search box alone (where the rest of the page has no filter form)."""

    q = search_field()
