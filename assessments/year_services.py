"""The per-year settings an administrator edits: entry deadline and the 2023+ quota overrides.

A module of its own (beside assessments.services, which holds the rating workflow) because
these settings are national, not tied to a unit's subtree: only administrators change them,
and every change is audited like any other write.
"""

import datetime
from dataclasses import dataclass
from fractions import Fraction

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cells.audit import audit_record, diff, snapshot

from . import schemes
from .models import RatingYear
from .selectors import with_quota_overrides

EDITABLE_FIELDS = ("entry_deadline", "quota_numerator", "quota_denominator", "quota_scope")
QUOTA_FIELDS = ("quota_numerator", "quota_denominator", "quota_scope")


def can_edit_rating_years(user) -> bool:
    """Whether `user` may change the national per-year settings.

    The settings apply to every unit of the country, so a role on one subtree (even an
    administrator of a province) is not enough: it takes the Django model permission,
    which superusers hold.
    """
    return bool(
        getattr(user, "is_authenticated", False) and user.has_perm("assessments.change_ratingyear")
    )


def current_rating_year(*, today: datetime.date | None = None) -> int:
    """The year being rated: the plan is issued in November (DOMAIN §4.2), so from November
    on it is this year, before that still last year."""
    day = today or timezone.localdate()
    return day.year if day.month >= 11 else day.year - 1


def rating_year_range(*, today: datetime.date | None = None) -> range:
    """Years that have a rating scheme, up to the year after the current rating year."""
    return range(current_rating_year(today=today) + 1, schemes.FIRST_YEAR - 1, -1)


@dataclass(frozen=True, kw_only=True)
class RatingYearRow:
    """One line of the settings list: the year, its scheme and what is stored (or None)."""

    year: int
    scheme: schemes.RatingScheme
    setting: RatingYear | None

    @property
    def quota_configurable(self) -> bool:
        return self.scheme.quota_configurable

    @property
    def effective_ratio(self) -> Fraction | None:
        return with_quota_overrides(self.scheme, self.setting).quota_ratio

    @property
    def effective_scope(self) -> str | None:
        return with_quota_overrides(self.scheme, self.setting).quota_scope


def rating_year_rows(*, today: datetime.date | None = None) -> list[RatingYearRow]:
    """Every year from the current rating year (and the next) down to 2008, with its setting.

    One query whatever the number of years.
    """
    stored = {ry.year: ry for ry in RatingYear.objects.all()}
    years = sorted(set(rating_year_range(today=today)) | set(stored), reverse=True)
    return [
        RatingYearRow(year=y, scheme=schemes.scheme_for_year(y), setting=stored.get(y))
        for y in years
        if y >= schemes.FIRST_YEAR
    ]


def _validate(year: int, values: dict) -> None:
    scheme = schemes.scheme_for_year(year)
    errors: dict[str, list[str]] = {}
    quota_set = any(values.get(f) not in (None, "") for f in QUOTA_FIELDS)
    if quota_set and not scheme.quota_configurable:
        raise ValidationError(
            _(
                "The quota of %(year)s is fixed by %(basis)s and cannot be changed: "
                "only the quota of 2023 and later years is configurable."
            )
            % {"year": year, "basis": scheme.citation}
        )
    numerator, denominator = values.get("quota_numerator"), values.get("quota_denominator")
    if (numerator is None) != (denominator is None):
        field = "quota_denominator" if denominator is None else "quota_numerator"
        errors[field] = [_("Enter both parts of the ratio, or leave both empty.")]
    elif numerator is not None:
        if denominator == 0:
            errors["quota_denominator"] = [_("The denominator must be greater than 0.")]
        elif not 0 < Fraction(numerator, denominator) <= 1:
            errors["quota_numerator"] = [_("The ratio must be greater than 0 and at most 1.")]
    scope = values.get("quota_scope") or ""
    if scope and scope not in schemes.QUOTA_SCOPES:
        errors["quota_scope"] = [_("Choose a valid quota scope.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def rating_year_update(*, actor, year: int, **fields) -> RatingYear:
    """Create or change the settings of rating year `year`, audited.

    Why a service: the entry deadline locks every unit's grid and the quota override changes
    which proposals break Q1, so a change must be checked (the 2019–2022 quota is confirmed
    and may not be overridden, DOMAIN §4.1) and traceable. `actor=None` is a system action.
    Raises PermissionDenied for a user who is not an administrator, ValidationError for
    values the rules refuse (nothing saved).
    """
    if actor is not None and not can_edit_rating_years(actor):
        raise PermissionDenied(_("Only administrators may change the rating year settings."))
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"rating_year_update() got unexpected fields {sorted(unknown)}")
    if year < schemes.FIRST_YEAR:
        raise ValidationError(_("There is no rating scheme before 2008."))
    setting = RatingYear.objects.select_for_update().filter(year=year).first()
    created = setting is None
    if created:
        setting = RatingYear(year=year)
    before = snapshot(setting, list(EDITABLE_FIELDS)) if not created else {}
    values = {**{name: getattr(setting, name) for name in EDITABLE_FIELDS}, **fields}
    values["quota_scope"] = values.get("quota_scope") or ""
    _validate(year, values)
    for name, value in values.items():
        setattr(setting, name, value)
    setting.full_clean()
    setting.save()
    changes = diff(before, snapshot(setting, list(EDITABLE_FIELDS)))
    if changes or created:
        audit_record(
            actor=actor,
            action="rating_year_update",
            instance=setting,
            changes=changes,
        )
    return setting
