"""Forms of the assessments app: they check the shape of what was typed, never the rules.

The rating grid is one form with a group of fields per member (keyed by member id, so a row
can never be applied to another member). Whether a level is allowed, the quota, the reasons a
member is not rated: all of that is assessments.rules, reached through the selectors (live
check) and the services (save), which report violations on the rows.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from . import schemes
from .choices import NotRatedReason
from .services import RowInput

# The level select's value for "Không xếp loại": distinct from "" (nothing chosen yet).
NOT_RATED = "none"
ROW_FIELDS = ("level", "reason", "reason_note", "points", "note", "version")


@dataclass(frozen=True, slots=True)
class RowValues:
    """What one grid row holds, in a form comparable with the stored rating."""

    level: str
    not_rated_reason: str
    not_rated_note: str
    note: str
    points: Decimal | None


def stored_values(rating) -> RowValues:
    """A stored MemberRating (or None) as grid values, to tell changed rows from the rest."""
    if rating is None:
        return RowValues("", "", "", "", None)
    return RowValues(
        rating.proposed_level,
        rating.not_rated_reason,
        rating.not_rated_note,
        rating.note,
        rating.points,
    )


def field_name(field: str, member_id: int) -> str:
    return f"{field}_{member_id}"


class RatingGridForm(forms.Form):
    """The entry grid: for every member a level (or "not rated" with a reason), points from
    2025, a note, and the version of the rating it was loaded from."""

    round_version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, scheme: schemes.RatingScheme, rows: Iterable, **kwargs):
        """`rows` are the grid's rows (selectors.GridRow): member, rating, must_not_rate,
        suggested_reason."""
        super().__init__(*args, **kwargs)
        self.scheme = scheme
        self.rows = list(rows)
        self.with_points = scheme.member_assessment == schemes.ASSESSMENT_POINTS
        self.stored = {row.member.pk: stored_values(row.rating) for row in self.rows}
        level_choices = [
            ("", _("— Choose a level —")),
            *((lv.slug, lv.label) for lv in scheme.member_levels),
            (NOT_RATED, _("Not rated")),
        ]
        # "Newly established" is a reason for organizations, never for a member.
        reason_choices = [
            ("", _("— Choose a reason —")),
            *(c for c in NotRatedReason.choices if c[0] != NotRatedReason.NEWLY_ESTABLISHED),
        ]
        for row in self.rows:
            self._add_row_fields(row, level_choices, reason_choices)

    def _add_row_fields(self, row, level_choices, reason_choices) -> None:
        mid, name = row.member.pk, row.member.full_name
        stored = self.stored[mid]
        level = stored.level or (NOT_RATED if stored.not_rated_reason else "")
        reason = stored.not_rated_reason
        if row.rating is None and row.must_not_rate:
            # Members the rules exclude (exempt, suspended, newly admitted) come pre-filled,
            # so the secretary only confirms: one click fewer per such row.
            level, reason = NOT_RATED, row.suggested_reason or ""
        self.fields[field_name("level", mid)] = forms.ChoiceField(
            label=_("Level for %(name)s") % {"name": name},
            choices=level_choices,
            required=False,
            initial=level,
            widget=forms.Select(attrs={"class": "form-select grid-level", "data-grid-level": ""}),
        )
        self.fields[field_name("reason", mid)] = forms.ChoiceField(
            label=_("Reason not rated for %(name)s") % {"name": name},
            choices=reason_choices,
            required=False,
            initial=reason,
            widget=forms.Select(attrs={"class": "form-select grid-reason", "data-grid-reason": ""}),
        )
        self.fields[field_name("reason_note", mid)] = forms.CharField(
            label=_("Other reason for %(name)s") % {"name": name},
            max_length=255,
            required=False,
            initial=stored.not_rated_note,
            widget=forms.TextInput(
                attrs={
                    "class": "form-control grid-reason-note",
                    "placeholder": _("Other: …"),
                    "data-grid-reason-note": "",
                }
            ),
        )
        if self.with_points:
            self.fields[field_name("points", mid)] = forms.DecimalField(
                label=_("Points for %(name)s") % {"name": name},
                min_value=0,
                max_value=100,
                max_digits=5,
                decimal_places=2,
                required=False,
                initial=stored.points,
                localize=True,
                widget=forms.TextInput(
                    attrs={"class": "form-control grid-points", "inputmode": "decimal"}
                ),
                error_messages={
                    "invalid": _("Enter a number from 0 to 100."),
                    "min_value": _("Enter a number from 0 to 100."),
                    "max_value": _("Enter a number from 0 to 100."),
                },
            )
        self.fields[field_name("note", mid)] = forms.CharField(
            label=_("Note for %(name)s") % {"name": name},
            max_length=500,
            required=False,
            initial=stored.note,
            widget=forms.TextInput(attrs={"class": "form-control grid-note"}),
        )
        self.fields[field_name("version", mid)] = forms.IntegerField(
            required=False,
            initial=row.rating.version if row.rating is not None else None,
            widget=forms.HiddenInput,
        )

    # --- reading the rows -------------------------------------------------------------------
    def row_fields(self, member_id: int) -> dict[str, forms.BoundField]:
        """The bound fields of one member's row, by short name (level, reason, …)."""
        names = {f: field_name(f, member_id) for f in ROW_FIELDS}
        return {f: self[name] for f, name in names.items() if name in self.fields}

    def row_errors(self, member_id: int) -> list[str]:
        """Shape errors of one row (e.g. points that are not a number)."""
        return [str(e) for f in ROW_FIELDS for e in self.errors.get(field_name(f, member_id), [])]

    def _row_values(self, member_id: int) -> RowValues | None:
        """The cleaned values of a row; None when a field of the row did not clean."""
        data = self.cleaned_data
        names = [field_name(f, member_id) for f in ROW_FIELDS]
        if any(n in self.errors for n in names):
            return None
        level = data.get(field_name("level", member_id)) or ""
        reason = data.get(field_name("reason", member_id)) or ""
        note_text = (data.get(field_name("reason_note", member_id)) or "").strip()
        if level and level != NOT_RATED:
            # A rated member has no reason: the database keeps the two apart.
            reason, note_text = "", ""
        elif level == NOT_RATED or reason:
            level = ""
        return RowValues(
            level,
            reason,
            note_text,
            (data.get(field_name("note", member_id)) or "").strip(),
            data.get(field_name("points", member_id)),
        )

    def changed_rows(self) -> dict[int, RowInput]:
        """The rows whose values differ from the stored ratings, as service inputs.

        Only changed rows go to the services: untouched members stay "not yet entered"
        instead of turning into "not rated without a reason". Call after is_valid(); rows
        with a shape error are left out (their errors show on the row).
        """
        changed: dict[int, RowInput] = {}
        for row in self.rows:
            mid = row.member.pk
            values = self._row_values(mid)
            if values is None or values == self.stored[mid]:
                continue
            changed[mid] = RowInput(
                member_id=mid,
                level=values.level,
                not_rated_reason=values.not_rated_reason,
                not_rated_note=values.not_rated_note,
                note=values.note,
                points=values.points,
                version=self.cleaned_data.get(field_name("version", mid)),
            )
        return changed
