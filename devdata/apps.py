from django.apps import AppConfig


class DevdataConfig(AppConfig):
    """Development data: the ``seed_demo`` and ``seed_scale`` commands. No models."""

    name = "devdata"
    verbose_name = "Development data"
