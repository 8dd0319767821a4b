"""The indicator tallies: per-unit dashboard counters kept by assessments.indicators.tally."""

from django.contrib.postgres.fields import ArrayField
from django.db import models

from cells.models import Organization

from ..choices import NotRatedReason


def _level_counters(prefix: str) -> tuple[str, ...]:
    reasons = [r.value for r in NotRatedReason] + ["unspecified"]
    return (
        f"{prefix}.total",
        f"{prefix}.rated",
        *(f"{prefix}.r{rank}" for rank in (3, 2, 1, 0)),
        f"{prefix}.not_rated",
        *(f"{prefix}.not_rated.{reason}" for reason in reasons),
        f"{prefix}.pending",
    )


# Cadre qualification on 31/12 (DOMAIN §6), in the order the grouped SQL returns them.
CADRE_COUNTERS = (
    "cad.committee",
    "cad.committee_degree",
    "cad.official",
    "cad.official_professional",
    "cad.official_theory",
    "cad.secretary",
    "cad.secretary_head",
)

# The counters of the indicator families that are tallied (assessments.indicators.tally): the
# families over the large tables. Each is an integer column named with "_" for ".".
TALLY_COUNTERS = (
    *_level_counters("gro"),
    "gro.exemplary",
    "gro.weak2",
    *_level_counters("cell"),
    "cell.exemplary",
    "cell.weak2",
    *_level_counters("mem"),
    "mc.end",
    "mc.start",
    "adm.total",
    "adm.women",
    "adm.youth",
    "adm.minority",
    "adm.religious",
    *CADRE_COUNTERS,
    "mt.thematic",
    "mt.full12",
    "exist.gro",
    "exist.cell",
    "exist.meeting_cell",
    "exist.commune",
    # Hamlet coverage: residential units carry no dates, so every tallied year of a commune
    # holds today's coverage (as the live count shows it), rewritten when a unit changes.
    "ru.total",
    "ru.independent",
    "ru.joint",
    "ru.no_cell",
)


def tally_column(counter: str) -> str:
    return counter.replace(".", "_")


class IndicatorTally(models.Model):
    """The dashboard counters of one unit's own rows for one year, on one basis.

    A derived table, never edited: `assessments.indicators.tally` recomputes a unit's rows
    from the source tables with the same grouped SQL the live computation uses, whenever a
    trigger has marked the unit changed (`IndicatorTallyDirty`). Summing a province's ≈ 28,000
    units is then ~50 ms instead of counting ≈ 2 million source rows on every page view.
    `with_proposals`: the row counts undecided rounds with their proposed levels (the
    dashboard's proposals switch), written only where that differs from the official row.
    """

    organization = models.ForeignKey(
        Organization, related_name="+", on_delete=models.CASCADE, db_index=False
    )
    year = models.PositiveSmallIntegerField()
    with_proposals = models.BooleanField()
    # On an official row: a `with_proposals` twin exists (the unit had undecided proposals
    # that year). Without one the official row serves both bases: half the rows.
    has_twin = models.BooleanField(default=False)
    last_change = models.DateTimeField(null=True)
    # The units whose roll-ups this row was added to when written (`IndicatorRollup`): the
    # unit's proper ancestors, and, mapped, the unit it counts under today (`maps_to`, else
    # itself) with that unit's ancestors, the unit itself left out. Kept on the row so that
    # its removal takes it out of exactly those roll-ups after the tree has changed.
    ancestors = ArrayField(models.BigIntegerField(), null=True)
    mapped_ancestors = ArrayField(models.BigIntegerField(), null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year", "with_proposals"], name="tally_unique"
            ),
        ]
        indexes = [models.Index(fields=["year", "with_proposals"], name="tally_year_idx")]

    def __str__(self):
        return f"{self.organization_id} · {self.year}"


class IndicatorRollup(models.Model):
    """The tallies of everything below a unit, summed, for one year on one basis.

    A derived table kept by triggers on `IndicatorTally` (assessments.indicators.rollups):
    each tally row written is added to the roll-ups of the units in its `ancestors` and
    `mapped_ancestors`, each row removed subtracted from them. A province's page then reads
    one row per child instead of summing every unit below (≈ 42,000 rows for two years of a
    400,000-member province; the national root sums every province's). Rows only for units
    with something below them. `with_proposals`: the proposals basis (undecided proposals
    counted), already resolved from the tallies' twins. `mapped`: summed by where each unit
    counts on today's tree (`Organization.maps_to`), the unit's own rows left out.
    """

    organization = models.ForeignKey(
        Organization, related_name="+", on_delete=models.CASCADE, db_index=False
    )
    year = models.PositiveSmallIntegerField()
    with_proposals = models.BooleanField()
    mapped = models.BooleanField()
    # The latest change summed in (never lowered by a removal: the roll-up changed then).
    last_change = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "year", "with_proposals", "mapped"],
                name="rollup_unique",
            ),
        ]

    def __str__(self):
        return f"{self.organization_id} · {self.year}"


for _counter in TALLY_COUNTERS:
    IndicatorTally.add_to_class(tally_column(_counter), models.IntegerField(default=0))
    IndicatorRollup.add_to_class(tally_column(_counter), models.IntegerField(default=0))


class IndicatorTallyDirty(models.Model):
    """A unit whose tallies may be out of date: appended by database triggers (migration
    0006 says which changes mark which units), claimed when the tallies are recomputed.
    Append-only (no unique key): see the migration. No foreign key: a trigger may mark a
    unit that its own statement is deleting."""

    organization_id = models.BigIntegerField(db_index=True)

    def __str__(self):
        return str(self.organization_id)


class IndicatorTallyWindow(models.Model):
    """The years the tallies cover (one row); other years are counted live."""

    first_year = models.PositiveSmallIntegerField()
    last_year = models.PositiveSmallIntegerField()
    rebuilt_at = models.DateTimeField()
    # The counting code the tallies were computed with (tally.rules_fingerprint): after a
    # release that changes it, the dashboard counts live until the tallies are rebuilt.
    fingerprint = models.CharField(max_length=64)

    def __str__(self):
        return f"{self.first_year}–{self.last_year}"
