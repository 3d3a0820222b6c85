from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent
from custos.forms import SEARCH_MAX_LENGTH, SEARCH_TOO_LONG

# Every text filter takes at most a search box's length.
TEXT: dict[str, Any] = {
    "max_length": SEARCH_MAX_LENGTH,
    "error_messages": {"max_length": SEARCH_TOO_LONG},
}


class AuditEventFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(
        field_name="actor_username", lookup_expr="iexact", label=_("Actor (username)"), **TEXT
    )
    action = django_filters.CharFilter(
        field_name="action", lookup_expr="istartswith", label=_("Action starts with"), **TEXT
    )
    target_type = django_filters.CharFilter(
        field_name="target_type", lookup_expr="iexact", label=_("Target type"), **TEXT
    )
    target_id = django_filters.CharFilter(field_name="target_id", label=_("Target id"), **TEXT)
    case_id = django_filters.NumberFilter(field_name="case_id", label=_("Case id"))
    ip = django_filters.CharFilter(field_name="ip", label=_("IP address"), **TEXT)
    since = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label=_("From"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label=_("Until"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = AuditEvent
        fields: list[str] = []

    def filter_queryset(self, queryset):
        # A malformed IP address is a filter that matches nothing, not a database error.
        ip = self.form.cleaned_data.get("ip")
        if ip:
            try:
                forms.GenericIPAddressField().clean(ip)
            except forms.ValidationError:
                return queryset.none()
        return super().filter_queryset(queryset)
