"""Stored values of the assessments app (English slugs; Vietnamese labels in the .po)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from . import schemes


class RoundState(models.TextChoices):
    """Where a unit's rating for a year stands (DOMAIN §4.2)."""

    DRAFT = "draft", _("In progress")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    DECIDED = "decided", _("Decided")
    PUBLISHED = "published", _("Published")


# States in which the unit may still change its proposals.
EDITABLE_STATES = frozenset({RoundState.DRAFT, RoundState.RETURNED})
# States in which the superior committee's decision stands: the decided level is the one that
# counts, and the round is locked until reopened.
DECIDED_STATES = frozenset({RoundState.DECIDED, RoundState.PUBLISHED})


class NotRatedReason(models.TextChoices):
    """Why a member or organization is not rated (DOMAIN §8 `ly_do_khong_xep_loai`)."""

    EXEMPT = "exempt", _("Exempt from Party work and meetings")
    SUSPENDED = "suspended", _("Suspended from Party activities")
    NEWLY_ADMITTED = "newly_admitted", _("Admitted less than 6 months ago")
    NEWLY_ESTABLISHED = "newly_established", _("Established less than 6 months ago")
    OTHER = "other", _("Other")


class TaskResult(models.TextChoices):
    """The result of a task assigned to a member or an organization for the year."""

    ON_TIME = "on_time", _("Done on time")
    LATE = "late", _("Done late")
    NOT_DONE = "not_done", _("Not done")
    EXCEEDED = "exceeded", _("Exceeded requirements")


class MeetingKind(models.TextChoices):
    REGULAR = "regular", _("Regular monthly meeting")
    THEMATIC = "thematic", _("Thematic meeting")


# Every level slug of every scheme: the database accepts only these.
LEVEL_VALUES = sorted(
    {lv.slug for s in schemes.SCHEMES for lv in (*s.member_levels, *s.organization_levels)}
)
