"""Forms of the assessments app: they check the shape of what was typed, never the rules.

The rating grid is one form with a group of fields per member (keyed by member id, so a row
can never be applied to another member). The browser sends only the rows that changed (each
row's hidden version marks it as sent), so the form holds those rows only: a grid of 2,000
members posts what was typed, never 12,000 fields. Whether a level is allowed, the quota, the
reasons a member is not rated: all of that is assessments.rules, reached through the
selectors (live check) and the services (save, submit), which report violations on the rows.
"""

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from . import rules, schemes
from .choices import FormCategory, NotRatedReason, ScoreStage
from .services import CellProposal, RowInput, SheetInput

# The level select's value for "Không xếp loại": distinct from "" (nothing chosen yet).
NOT_RATED = "none"
APPRAISAL_FIELDS = ("level", "reason", "reason_note", "points", "note")
CELL_FIELDS = ("cell_level", "votes_for", "votes_total")
# 2025– (Quy định 366): the peer group and form category the committee records, and the
# 30 + 70 parts of the stage the user owns.
REGIME_FIELDS = ("group", "category", "general", "tasks", "tasks_reason")
SHEET_FIELDS = ("general", "tasks", "tasks_reason")
ROW_FIELDS = (*APPRAISAL_FIELDS, *CELL_FIELDS, *REGIME_FIELDS, "version")
_VERSION_KEY = re.compile(r"^version_(\d{1,12})$")


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


def stored_cell(rating) -> CellProposal:
    if rating is None:
        return CellProposal()
    return CellProposal(rating.cell_level, rating.votes_for, rating.votes_total)


def field_name(field: str, member_id: int) -> str:
    return f"{field}_{member_id}"


def posted_member_ids(data) -> list[int]:
    """The members whose rows the browser sent (each sent row carries its version box)."""
    return [int(m[1]) for key in data if (m := _VERSION_KEY.match(key))]


def stored_sheet(row, stage: str | None) -> tuple:
    """(general, tasks, reason) of the row's score sheet at `stage` (blanks without one)."""
    sheet = row.parts.sheets.get(stage) if stage and row.parts is not None else None
    if sheet is None:
        return None, None, ""
    return sheet.general, sheet.tasks, sheet.tasks_reason


def initial_row(row, *, prefill: bool = True, stage: str | None = None) -> dict[str, object]:
    """The values a row opens with: the saved rating, or for a member the rules exclude
    (exempt, suspended, newly admitted) and nothing saved, "not rated" with the reason.
    `stage`: whose score sheet the row's 30 + 70 boxes hold (2025–)."""
    rating = row.rating
    stored = stored_values(rating)
    level = stored.level or (NOT_RATED if stored.not_rated_reason else "")
    reason = stored.not_rated_reason
    empty = rating is None or not (stored.level or stored.not_rated_reason)
    if prefill and empty and row.must_not_rate:
        level, reason = NOT_RATED, row.suggested_reason or ""
    cell = stored_cell(rating)
    general, tasks, tasks_reason = stored_sheet(row, stage)
    stored_group = rating.group if rating is not None else ""
    return {
        # The peer group stored on the rating, when it is one of the year's ("" otherwise:
        # the member is where a hand assignment or the rules put them).
        "group": stored_group if stored_group and stored_group == row.group else "",
        "category": row.category.category or "" if row.category is not None else "",
        "general": general,
        "tasks": tasks,
        "tasks_reason": tasks_reason,
        "level": level,
        "reason": reason,
        "reason_note": stored.not_rated_note,
        "points": stored.points,
        "note": stored.note,
        "cell_level": cell.level,
        "votes_for": cell.votes_for,
        "votes_total": cell.votes_total,
        "version": rating.version if rating is not None else 0,
    }


def level_choices(scheme: schemes.RatingScheme) -> list[tuple[str, str]]:
    return [
        ("", _("— Choose a level —")),
        *((lv.slug, lv.label) for lv in scheme.member_levels),
        (NOT_RATED, _("Not rated")),
    ]


def reason_choices() -> list[tuple[str, str]]:
    # "Newly established" is a reason for organizations, never for a member.
    return [
        ("", _("— Choose a reason —")),
        *(c for c in NotRatedReason.choices if c[0] != NotRatedReason.NEWLY_ESTABLISHED),
    ]


class RatingGridForm(forms.Form):
    """The rows of the entry grid that were sent: for each, the committee's appraisal (a
    level or "not rated" with a reason, points from 2025, a note) where the user appraises,
    the cell meeting's proposal (level, votes) where the user proposes for the cell, and the
    version of the rating it was loaded from."""

    round_version = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        scheme: schemes.RatingScheme,
        rows: Iterable,
        appraise: Collection[int] = (),
        propose: Collection[int] = (),
        regime: bool = False,
        groups: Collection[str] = (),
        **kwargs,
    ):
        """`rows` are the grid rows sent (grid.GridRow); `appraise` and `propose` the ids of
        the members whose appraisal and whose cell proposal this user may change. `regime`
        (2025–): the committee also records the form category and, where the deciding level
        formed them, the peer group (`groups`, their codes); the 30 + 70 parts are those of
        the stage the user owns (the committee's appraisal, else the cell's proposal)."""
        super().__init__(*args, **kwargs)
        self.scheme = scheme
        self.rows = list(rows)
        self.with_points = scheme.member_assessment == schemes.ASSESSMENT_POINTS
        self.appraise, self.propose = set(appraise), set(propose)
        self.regime = regime and self.with_points
        self.stage = sheet_stage(appraise=bool(self.appraise), propose=bool(self.propose))
        self.sheet_ids = (self.appraise or self.propose) if self.regime else set()
        self.initial_rows = {
            row.member.pk: initial_row(row, stage=self.stage if self.regime else None)
            for row in self.rows
        }
        self.suggested = {
            row.member.pk: row.parts.suggested_tasks for row in self.rows if row.parts is not None
        }
        levels, reasons = level_choices(scheme), reason_choices()
        cell_levels = [("", "—"), *((lv.slug, lv.short) for lv in scheme.member_levels)]
        group_choices = [("", ""), *((code, code) for code in groups)] if groups else None
        for row in self.rows:
            mid = row.member.pk
            if mid in self.appraise:
                self._add_appraisal_fields(mid, levels, reasons)
                if self.regime:
                    self._add_regime_fields(mid, group_choices)
            if mid in self.propose:
                self._add_cell_fields(mid, cell_levels)
            if mid in self.sheet_ids:
                for name in ("general", "tasks"):
                    self.fields[field_name(name, mid)] = forms.CharField(
                        required=False, max_length=12
                    )
                self.fields[field_name("tasks_reason", mid)] = forms.CharField(
                    required=False, max_length=255
                )
            if mid in self.appraise or mid in self.propose:
                self.fields[field_name("version", mid)] = forms.IntegerField(
                    required=False, min_value=0, widget=forms.HiddenInput
                )

    def _add_regime_fields(self, mid, group_choices) -> None:
        if group_choices is not None:
            self.fields[field_name("group", mid)] = forms.ChoiceField(
                choices=group_choices, required=False
            )
        self.fields[field_name("category", mid)] = forms.ChoiceField(
            choices=[("", ""), *FormCategory.choices], required=False
        )

    def _add_appraisal_fields(self, mid, levels, reasons) -> None:
        number = _("Enter a number from 0 to 100.")
        self.fields[field_name("level", mid)] = forms.ChoiceField(choices=levels, required=False)
        self.fields[field_name("reason", mid)] = forms.ChoiceField(choices=reasons, required=False)
        self.fields[field_name("reason_note", mid)] = forms.CharField(
            max_length=255, required=False
        )
        if self.with_points:
            self.fields[field_name("points", mid)] = forms.CharField(
                required=False, max_length=12, error_messages={"max_length": number}
            )
        self.fields[field_name("note", mid)] = forms.CharField(max_length=500, required=False)

    def _add_cell_fields(self, mid, cell_levels) -> None:
        votes = {
            "invalid": _("Votes must be a whole number from 0 to 999."),
            "min_value": _("Votes must be a whole number from 0 to 999."),
            "max_value": _("Votes must be a whole number from 0 to 999."),
        }
        self.fields[field_name("cell_level", mid)] = forms.ChoiceField(
            choices=cell_levels, required=False
        )
        for name in ("votes_for", "votes_total"):
            self.fields[field_name(name, mid)] = forms.IntegerField(
                required=False, min_value=0, max_value=999, error_messages=votes
            )

    def clean(self):
        cleaned = super().clean()
        for mid in self.appraise:
            key = field_name("points", mid)
            if key in self.fields and key not in self.errors:
                try:
                    cleaned[key] = parse_points(cleaned.get(key) or "")
                except ValueError:
                    self.add_error(key, _("Enter a number from 0 to 100."))
        for mid in self.sheet_ids:
            self._clean_sheet(mid, cleaned)
        for mid in self.propose:
            given, total = (cleaned.get(field_name(n, mid)) for n in ("votes_for", "votes_total"))
            if given is not None and total is not None and given > total:
                self.add_error(
                    field_name("votes_for", mid),
                    _("Votes for cannot be more than the members voting."),
                )
        return cleaned

    def _clean_sheet(self, mid: int, cleaned: dict) -> None:
        """The 30 + 70 parts of one row: numbers in their range, the task part's reason when
        it differs from the ledger's suggestion, and (the committee's appraisal) the total
        points as their sum — filled in when left empty (Hướng dẫn 43)."""
        parts = {}
        for name, top in (("general", 30), ("tasks", 70)):
            key = field_name(name, mid)
            if key in self.errors:
                return
            try:
                value = parse_points(cleaned.get(key) or "")
            except ValueError:
                value = Decimal(-1)
            if value is not None and not Decimal(0) <= value <= top:
                self.add_error(key, _("Enter a number from 0 to %(top)s.") % {"top": top})
                return
            cleaned[key] = parts[name] = value
        general, tasks = parts["general"], parts["tasks"]
        reason = (cleaned.get(field_name("tasks_reason", mid)) or "").strip()
        cleaned[field_name("tasks_reason", mid)] = reason
        total = None
        points_key = field_name("points", mid)
        if self.stage == ScoreStage.COMMITTEE and general is not None and tasks is not None:
            if points_key in self.errors:
                return
            total = cleaned.get(points_key)
            if total is None:
                cleaned[points_key] = total = general + tasks
        for code, message in rules.parts_problems(
            general=general,
            tasks=tasks,
            total=total,
            suggested=self.suggested.get(mid),
            reason=reason,
        ):
            target = {"P2": "points", "P3": "tasks_reason"}.get(code, "tasks")
            self.add_error(field_name(target, mid), message)

    # --- reading the rows -------------------------------------------------------------------
    def row_errors(self, member_id: int) -> list[str]:
        """Shape errors of one row (e.g. points that are not a number)."""
        return [str(e) for f in ROW_FIELDS for e in self.errors.get(field_name(f, member_id), [])]

    def _row_values(self, member_id: int) -> RowValues | None:
        """The cleaned appraisal of a row; None when a field of the row did not clean."""
        data = self.cleaned_data
        if any(field_name(f, member_id) in self.errors for f in ROW_FIELDS):
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
        """The sent rows whose values differ from the stored ratings, as service inputs.

        Untouched members stay "not yet entered" instead of turning into "not rated without
        a reason". Call after is_valid(); rows with a shape error are left out (their errors
        show on the row).
        """
        changed: dict[int, RowInput] = {}
        for row in self.rows:
            mid = row.member.pk
            if mid not in self.appraise and mid not in self.propose:
                continue
            if any(field_name(f, mid) in self.errors for f in ROW_FIELDS):
                continue
            appraisal = self._row_values(mid) if mid in self.appraise else None
            appraise = appraisal is not None and appraisal != stored_values(row.rating)
            cell = None
            if mid in self.propose:
                data = self.cleaned_data
                cell = CellProposal(
                    data.get(field_name("cell_level", mid)) or "",
                    data.get(field_name("votes_for", mid)),
                    data.get(field_name("votes_total", mid)),
                )
                if cell == stored_cell(row.rating):
                    cell = None
            group, category, sheet = self._regime_changes(mid)
            if not appraise and cell is None and group is None and not category and not sheet:
                continue
            version = self.cleaned_data.get(field_name("version", mid))
            changed[mid] = RowInput(
                member_id=mid,
                level=appraisal.level if appraise else "",
                not_rated_reason=appraisal.not_rated_reason if appraise else "",
                not_rated_note=appraisal.not_rated_note if appraise else "",
                note=appraisal.note if appraise else "",
                points=appraisal.points if appraise else None,
                version=version or 0,
                appraise=appraise,
                cell=cell,
                group=group,
                category=category,
                sheet=sheet,
            )
        return changed

    def _regime_changes(self, mid: int) -> tuple[str | None, str | None, SheetInput | None]:
        """(group, category, sheet) of a row where they differ from what is saved, else
        None each."""
        data, initial = self.cleaned_data, self.initial_rows[mid]
        group = category = sheet = None
        key = field_name("group", mid)
        if key in self.fields and (data.get(key) or "") != initial["group"]:
            group = data.get(key) or ""
        key = field_name("category", mid)
        if key in self.fields and data.get(key) and data.get(key) != initial["category"]:
            category = data[key]
        if mid in self.sheet_ids:
            values = tuple(data.get(field_name(n, mid)) for n in SHEET_FIELDS)
            before = (initial["general"], initial["tasks"], initial["tasks_reason"] or "")
            if values != before and (values[0] is not None or values[1] is not None or values[2]):
                sheet = SheetInput(self.stage, *values)
        return group, category, sheet


def sheet_stage(*, appraise: bool, propose: bool) -> str | None:
    """Whose score sheet a user's 30 + 70 boxes hold: the committee's appraisal, else the
    cell's proposal (its secretary)."""
    if appraise:
        return ScoreStage.COMMITTEE
    if propose:
        return ScoreStage.CELL
    return None


def parse_points(text: str) -> Decimal | None:
    """Points as typed or pasted: "85", "85,5", "85.5", " 90 " (a comma or a dot)."""
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        raise ValueError(text)
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(text)
    return value
