"""The Resolution 22 dashboard's data: indicators, their targets, and new-rural recognitions."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from cells.models import Organization


class Indicator(models.Model):
    """A Resolution 22 indicator as data (DOMAIN §6): what it measures and on which basis.

    The arithmetic lives in assessments.indicators (looked up by `formula`); everything a
    reports officer may want to change (name, unit, direction, source, order) is here.
    """

    class Unit(models.TextChoices):
        PERCENT = "percent", _("Percent")
        COUNT = "count", _("Count")
        RATIO = "ratio", _("Ratio")
        PER_100 = "per_100", _("Per 100 members")
        AVERAGE = "average", _("Average")

    class Better(models.TextChoices):
        HIGHER = "higher", _("Higher is better")
        LOWER = "lower", _("Lower is better")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=255)
    group = models.CharField(_("group"), max_length=40)
    formula = models.CharField(_("formula"), max_length=60)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices)
    better = models.CharField(_("better direction"), max_length=6, choices=Better.choices)
    source_number = models.CharField(_("source document number"), max_length=60)
    source_date = models.DateField(_("source document date"), null=True, blank=True)
    source_issuer = models.CharField(_("source document issuer"), max_length=120)
    is_headline = models.BooleanField(_("headline figure"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["sort_order", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__in=["percent", "count", "ratio", "per_100", "average"]),
                name="indicator_unit_valid",
            ),
            models.CheckConstraint(
                condition=Q(better__in=["higher", "lower"]), name="indicator_better_valid"
            ),
        ]

    def __str__(self):
        return self.name


class IndicatorTarget(models.Model):
    """A baseline and a target of one indicator for one scope (a node of the tree).

    Entered by reports staff; a node without its own target shows its nearest ancestor's.
    """

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), related_name="targets", on_delete=models.CASCADE
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("scope"),
        related_name="indicator_targets",
        on_delete=models.PROTECT,
    )
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"), null=True, blank=True)
    baseline_value = models.DecimalField(
        _("baseline value"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    target_year = models.PositiveSmallIntegerField(_("target year"))
    target_value = models.DecimalField(_("target value"), max_digits=12, decimal_places=2)
    note = models.CharField(_("note"), max_length=255, blank=True)
    # Set when the target was split from the upper level's target (cascading targets).
    cascaded_from = models.ForeignKey(
        "self",
        verbose_name=_("split from"),
        related_name="cascaded",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("indicator target")
        verbose_name_plural = _("indicator targets")
        ordering = ["indicator", "organization", "target_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "organization", "target_year"],
                name="indicator_target_unique",
            ),
            models.CheckConstraint(
                condition=Q(baseline_year__isnull=True)
                | Q(baseline_year__lte=models.F("target_year")),
                name="indicator_target_baseline_before_target",
            ),
        ]
        indexes = [models.Index(fields=["organization", "indicator"], name="ind_target_org_idx")]

    def __str__(self):
        return f"{self.indicator} · {self.organization} · {self.target_year}"


class NewRuralRecognition(models.Model):
    """A commune recognised as meeting the national new-rural standard (xã đạt chuẩn NTM)."""

    commune = models.ForeignKey(
        Organization,
        verbose_name=_("commune-level unit"),
        related_name="new_rural_recognitions",
        on_delete=models.PROTECT,
    )
    year = models.PositiveSmallIntegerField(_("year recognised"))
    decision_number = models.CharField(_("decision number"), max_length=60, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("new-rural recognition")
        verbose_name_plural = _("new-rural recognitions")
        ordering = ["commune", "year"]
        constraints = [
            models.UniqueConstraint(fields=["commune", "year"], name="new_rural_unique"),
        ]
        indexes = [models.Index(fields=["year"], name="new_rural_year_idx")]

    def __str__(self):
        return f"{self.commune} · {self.year}"
