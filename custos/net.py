"""Where a request comes from, in one place (used by the audit trail and by django-axes)."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address.

    ``X-Forwarded-For`` is trusted only behind ``CUSTOS_TRUSTED_PROXY_COUNT`` proxies, and then
    only the entry that the nearest trusted proxy appended: anything to its left was written by
    the client and can be spoofed.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = settings.CUSTOS_TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                return remote
    return remote
