"""What the review at province scale keeps besides the ratings themselves.

- `RoundSnapshot`: the values of a round's members when the deciding level returned or decided
  it, so the next look shows per person what was and what is.
- `RoundSummary`: the review list's figures of one round version (counts per level, the
  violations the rules find), computed once per version instead of for every page view.
- `RoundFacts`: a counter per round bumped by database triggers when a fact the rules read
  about its members changes outside the rating (an event, a post, a membership, a member's
  record, a unit's discipline), so the summary is recomputed without bumping the round's
  version (which would refuse the unit's open grid as stale).
- `TargetExplanation`: a unit's short explanation (giải trình) of its number against a target,
  read by the level above beside the number.

Re-exported from `assessments.models`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RoundSnapshot(models.Model):
    """The members' values of a round at a return or a decision.

    `values` maps a member id (as text: JSON keys) to `[level, points, not_rated_reason]`,
    where level is the proposed level at a return and the decided one at a decision.
    """

    class Kind(models.TextChoices):
        RETURN = "return", _("Returned")
        DECIDE = "decide", _("Decided")

    round = models.ForeignKey(
        "assessments.RatingRound",
        verbose_name=_("rating round"),
        related_name="snapshots",
        on_delete=models.CASCADE,
    )
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    taken_at = models.DateTimeField(_("taken at"))
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, null=True, blank=True
    )
    values = models.JSONField(_("values"), default=dict)

    class Meta:
        verbose_name = _("round snapshot")
        verbose_name_plural = _("round snapshots")
        ordering = ["round", "-taken_at", "-id"]
        indexes = [models.Index(fields=["round", "-taken_at"], name="round_snapshot_latest_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["return", "decide"]), name="round_snapshot_kind"
            )
        ]

    def __str__(self):
        return f"{self.round} · {self.kind} · {self.taken_at:%d/%m/%Y %H:%M}"


class RoundSummary(models.Model):
    """The review list's figures of a round, valid for exactly one `version` of it.

    Every write to what a round is judged on bumps the round's version, so a summary whose
    version differs is recomputed on the next read. `violations` holds, per member id, the
    blocking rule messages; `changed` the members whose values differ from the last snapshot.
    """

    round = models.OneToOneField(
        "assessments.RatingRound",
        primary_key=True,
        related_name="summary",
        on_delete=models.CASCADE,
    )
    version = models.PositiveIntegerField()
    members = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict)
    rated = models.PositiveIntegerField(default=0)
    not_rated = models.PositiveIntegerField(default=0)
    # Whether the rules ran for this version (always for a submitted round; for a draft only
    # once someone opens its detail: the unit sees its violations in its own grid).
    checked = models.BooleanField(default=False)
    blocking = models.PositiveIntegerField(default=0)
    violations = models.JSONField(default=dict)
    findings = models.JSONField(default=list)  # [code, message, blocking] of every violation
    quota = models.JSONField(default=list)  # the Q1 arithmetic per scope
    changed = models.JSONField(default=list)
    changed_count = models.PositiveIntegerField(default=0)  # len(changed), read by the list
    # The round's `RoundFacts.seq` read before computing (0: no fact changed yet).
    facts_seq = models.BigIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("round summary")
        verbose_name_plural = _("round summaries")

    def __str__(self):
        return f"{self.round_id} · v{self.version}"


class RoundFacts(models.Model):
    """How many times facts about a round's members changed outside the rating itself.

    Written only by the triggers of migration 0012 (PostgreSQL), for rounds not yet decided;
    a summary whose `facts_seq` differs is stale. A separate row, not a column of the round,
    so a trigger never races a save of the round (nor waits for its lock).
    """

    round = models.OneToOneField(
        "assessments.RatingRound",
        primary_key=True,
        related_name="facts_stamp",
        on_delete=models.CASCADE,
    )
    seq = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("round facts stamp")
        verbose_name_plural = _("round facts stamps")

    def __str__(self):
        return f"{self.round_id} · {self.seq}"


class TargetExplanation(models.Model):
    """A unit's short explanation of its number against a target, for its upper level."""

    indicator = models.ForeignKey(
        "assessments.Indicator", verbose_name=_("indicator"), on_delete=models.CASCADE
    )
    organization = models.ForeignKey(
        "cells.Organization",
        verbose_name=_("organization"),
        related_name="target_explanations",
        on_delete=models.PROTECT,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    text = models.CharField(_("explanation"), max_length=500)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="+", on_delete=models.PROTECT, null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("explanation of a target")
        verbose_name_plural = _("explanations of targets")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "organization", "year"], name="target_explanation_unique"
            )
        ]

    def __str__(self):
        return f"{self.organization} · {self.indicator} · {self.year}"
