"""The crimes of Rome Statute arts. 6, 7 and 8 and the modes of liability, as loaded from the
ICC Elements of Crimes (``cases/data/elements_of_crimes.json``). Never edited in Custos."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Crime(models.Model):
    """One crime with its elements, statute text and footnotes.

    ``verified_from_source`` is false for the reconstructed 2017/2019 amendments: their
    wording is shown as pending verification and never presented as authoritative.
    """

    class Category(models.TextChoices):
        GENOCIDE = "genocide", _("Genocide")
        CRIMES_AGAINST_HUMANITY = "crimes_against_humanity", _("Crimes against humanity")
        WAR_CRIMES = "war_crimes", _("War crimes")

    code = models.CharField(_("code"), max_length=40, unique=True)
    article = models.CharField(_("article"), max_length=40)
    category = models.CharField(_("category"), max_length=32, choices=Category.choices)
    title = models.CharField(_("title"), max_length=300)
    elements = models.JSONField(_("elements"), default=list)
    statute_text = models.TextField(_("statute text"), blank=True)
    footnotes = models.JSONField(_("footnotes"), default=list)
    verified_from_source = models.BooleanField(_("verified from source"), default=True)
    source_ref = models.TextField(_("source"), blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("crime")
        verbose_name_plural = _("crimes")
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.article} {self.title}"


class ModeOfLiability(models.Model):
    """A mode of liability (arts. 25(3), 28) or the mental element (art. 30).

    ``summary`` is a plain-language paraphrase, not official text.
    """

    article = models.CharField(_("article"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=40)
    title = models.CharField(_("title"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    text = models.TextField(_("statute text"), blank=True)
    source_ref = models.TextField(_("source"), blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("mode of liability")
        verbose_name_plural = _("modes of liability")
        ordering = ["position"]

    def __str__(self) -> str:
        return f"{self.article} {self.title}"
