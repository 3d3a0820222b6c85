from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        # Logins, failures, lockouts and logouts happen inside django.contrib.auth and
        # django-axes; their signals are the only place to audit them.
        from accounts import signals  # noqa: F401
