"""Importing one year's ratings (`xep_loai` files, DOMAIN.md §8) under one organization.

An imported file is the committee's proposal for the year: every row is checked like an entry
in the grid (each rule of §4.1, counted per grassroots organization of that year), and only a
file without any error is written, through the rating services, all or nothing. The rounds
stay in their editable state: an import proposes, the superior committee still decides.

The table reading, the row helpers and the error/result shapes are those of the cells
imports (cells.imports); only the rating semantics live here.
"""

import re
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from cells.imports import ImportResult, Progress, Row, RowError
from cells.imports.base import (
    Importer,
    ImportRefused,
    ProgressCallback,
    duplicate_in_file,
    outside_scope,
    run_importer,
)
from cells.imports.members import RECORD_NUMBER, record_number_message
from cells.models import Member, Organization
from cells.selectors import members_of
from cells.vietnamese import nfc

from . import facts as rating_facts
from . import rules, selectors, services
from .choices import EDITABLE_STATES, NotRatedReason
from .models import MemberRating, OrganizationRating, RatingRound
from .models.regime import GENERAL_POINTS, TASK_POINTS
from .peer_groups import quota_context_for
from .regime_services import RegimeRow, membercategory_set, memberratings_regime_record
from .schemes import (
    ASSESSMENT_POINTS,
    GROUPED_QUOTA_SCOPES,
    QUOTA_SCOPE_PEER_GROUP,
    Rank,
    RatingScheme,
    normalize_label,
)

KIND = "ratings"
LEVEL_COLUMN = "muc"
_POINTS = re.compile(r"^\d{1,3}([.,]\d{1,2})?$")
_HUNDRED = Decimal(100)
# "Khác: …" — the free-text reason of §8; the colon may be typed as a full-width one.
_OTHER = re.compile(r"^khác\s*[:：]\s*(.*)$", re.IGNORECASE | re.DOTALL)
_REASONS = {normalize_label(label): slug for slug, label in rules.NOT_RATED_LABELS.items()}


@dataclass
class _Rating:
    """One valid row: a member's or an organization's proposed level for the year."""

    row: int
    level: str | None
    reason: str
    note: str
    points: Decimal | None
    member: Member | None = None
    organization: Organization | None = None
    cell_id: int | None = None
    grassroots: Organization | None = None
    # 2025– (DOMAIN §8): the points' parts, the form category, the peer group, a reason
    # for a task part that differs from the ledger's suggestion.
    general: Decimal | None = None
    tasks: Decimal | None = None
    category: str | None = None
    group: str = ""
    parts_reason: str = ""


def _level_labels(scheme: RatingScheme, *, organization: bool) -> str:
    levels = scheme.organization_levels if organization else scheme.member_levels
    return ", ".join(f"{lv.label} ({lv.short})" for lv in levels)


def _reason_labels() -> str:
    fixed = [label for slug, label in rules.NOT_RATED_LABELS.items() if slug != "other"]
    return ", ".join([*fixed, "Khác: …"])


class RatingImporter(Importer):
    """The rows of a `xep_loai` file for `year`, under `organization`'s subtree."""

    kind = KIND
    required_columns = ("nam", LEVEL_COLUMN)
    optional_columns = (
        "so_ly_lich",
        "ma",
        "ly_do_khong_xep_loai",
        "diem",
        "diem_chung",
        "diem_nhiem_vu",
        "ly_do_diem_nhiem_vu",
        "doi_tuong",
        "nhom",
    )
    needs_organization = True

    def __init__(self, *, actor, organization: Organization, columns: list[str], year: int):
        super().__init__(actor=actor, organization=organization, columns=columns)
        self.year = year
        self.period_end = rules.default_period_end(year)
        self.scheme = selectors.scheme_for(year)
        self.member_rows: list[_Rating] = []
        self.organization_rows: list[_Rating] = []

    @classmethod
    def header_errors(cls, table) -> list[RowError]:
        errors = super().header_errors(table)
        if not {"so_ly_lich", "ma"} & set(table.columns):
            errors.append(
                RowError(
                    1,
                    "so_ly_lich",
                    _(
                        "The file needs a so_ly_lich column (members) or a ma column "
                        "(organizations)."
                    ),
                )
            )
        return errors

    # --- validation: values ---------------------------------------------------------------
    def validate(self, rows: list[Row], progress: Progress) -> None:
        self._prefetch(rows)
        seen_members: dict[str, int] = {}
        seen_orgs: dict[str, int] = {}
        for row in rows:
            progress.step()
            rating = self._parse(row)
            if rating is None:
                continue
            if rating.member is not None:
                key, seen, column = rating.member.record_number, seen_members, "so_ly_lich"
            else:
                key, seen, column = rating.organization.code, seen_orgs, "ma"
            if key in seen:
                row.error(column, duplicate_in_file(key, seen[key]))
                continue
            seen[key] = row.number
            (self.member_rows if rating.member is not None else self.organization_rows).append(
                rating
            )
        # One pass: the rules run on every row whose values are valid, so a bad value in one
        # row does not hide the rule errors of the others (DOMAIN §8: every error is listed).
        self._check_rounds()
        self._check_member_rules()

    def _prefetch(self, rows: list[Row]) -> None:
        records = {row.values.get("so_ly_lich", "") for row in rows} - {""}
        codes = {row.values.get("ma", "") for row in rows} - {""}
        self.members = {
            m.record_number: m for m in Member.objects.filter(record_number__in=records)
        }
        # Who is rated where is the structure of the rating year: the cell on 31/12.
        self.cell_of = dict(
            members_of(organization=self.organization, on=self.period_end, subtree=True)
            .filter(record_number__in=records)
            .values_list("pk", "cell_id")
        )
        cells = Organization.objects.in_bulk(set(self.cell_of.values()))
        self.organizations = {o.code: o for o in Organization.objects.filter(code__in=codes)}
        self._grassroots: dict[int, Organization | None] = {}
        self.cells = cells

    def grassroots(self, organization: Organization) -> Organization | None:
        """The organization whose round rates `organization` (a commune-level committee is
        rated in its own round, by the province)."""
        if organization.pk not in self._grassroots:
            self._grassroots[organization.pk] = selectors.rating_home_for(organization)
        return self._grassroots[organization.pk]

    def _parse(self, row: Row) -> _Rating | None:
        record = row.values.get("so_ly_lich", "")
        code = row.values.get("ma", "")
        if record and code:
            row.error("ma", _("Fill in either so_ly_lich (a member) or ma (an organization)."))
            return None
        if not record and not code:
            column = "so_ly_lich" if row.has("so_ly_lich") else "ma"
            row.error(column, _("Fill in so_ly_lich (a member) or ma (an organization)."))
            return None
        is_org = bool(code)
        self._year(row)
        level = self._level(row, is_org=is_org)
        reason, note = self._reason(row, level)
        points = self._points(row, is_org=is_org)
        general, tasks = self._parts(row, points, is_org=is_org)
        category = self._category(row, is_org=is_org)
        group = nfc(row.text("nhom", max_length=40)).strip()
        subject_ok = not row.failed
        if is_org:
            organization = self._organization(row, code)
            if organization is None or not subject_ok:
                return None
            return _Rating(
                row.number,
                level,
                reason,
                note,
                points,
                organization=organization,
                grassroots=self.grassroots(organization),
                general=general,
                tasks=tasks,
                group=group,
                parts_reason=nfc(row.text("ly_do_diem_nhiem_vu")).strip(),
            )
        member = self._member(row, record)
        if member is None or not subject_ok:
            return None
        cell = self.cells[self.cell_of[member.pk]]
        grassroots = self.grassroots(cell)
        if grassroots is None:
            row.error(
                "so_ly_lich",
                _("Cell %(code)s is not under any grassroots organization.") % {"code": cell.code},
            )
            return None
        return _Rating(
            row.number,
            level,
            reason,
            note,
            points,
            member=member,
            cell_id=cell.pk,
            grassroots=grassroots,
            general=general,
            tasks=tasks,
            category=category,
            group=group,
            parts_reason=nfc(row.text("ly_do_diem_nhiem_vu")).strip(),
        )

    def _year(self, row: Row) -> None:
        value = row.text("nam", required=True)
        if value and value != str(self.year):
            row.error(
                "nam",
                _("The year “%(value)s” is not %(year)s, the year this file is imported for.")
                % {"value": value, "year": self.year},
            )

    def _level(self, row: Row, *, is_org: bool) -> str | None:
        value = row.text(LEVEL_COLUMN)
        if not value:
            return None
        find = (
            self.scheme.organization_level_from_label
            if is_org
            else self.scheme.member_level_from_label
        )
        slug = find(value)
        if slug is None:
            row.error(
                LEVEL_COLUMN,
                _(
                    "“%(value)s” is not a rating level of %(year)s (%(basis)s); "
                    "the levels are: %(labels)s."
                )
                % {
                    "value": value,
                    "year": self.year,
                    "basis": self.scheme.citation,
                    "labels": _level_labels(self.scheme, organization=is_org),
                },
            )
        return slug

    def _reason(self, row: Row, level: str | None) -> tuple[str, str]:
        value = nfc(row.text("ly_do_khong_xep_loai")).strip()
        if level is not None or LEVEL_COLUMN in row.failed:
            if value and level is not None:
                row.error(
                    "ly_do_khong_xep_loai",
                    _("A rated row has no reason for not being rated: leave this cell empty."),
                )
            return "", ""
        if not value:
            row.error(
                "ly_do_khong_xep_loai",
                _("A row without a level needs the reason it is not rated: %(reasons)s.")
                % {"reasons": _reason_labels()},
            )
            return "", ""
        if match := _OTHER.match(value):
            note = match[1].strip()
            if not note:
                row.error(
                    "ly_do_khong_xep_loai",
                    _("Write the reason after “Khác:”, e.g. “Khác: đi lao động ở nước ngoài”."),
                )
            return NotRatedReason.OTHER, note[:255]
        reason = _REASONS.get(normalize_label(value))
        if reason is None or reason == NotRatedReason.OTHER:
            row.error(
                "ly_do_khong_xep_loai",
                _("“%(value)s” is not a reason for not rating: %(reasons)s.")
                % {"value": value, "reasons": _reason_labels()},
            )
            return "", ""
        return reason, ""

    def _points(self, row: Row, *, is_org: bool) -> Decimal | None:
        value = row.text("diem")
        if not value:
            return None
        assessment = (
            self.scheme.organization_assessment if is_org else self.scheme.member_assessment
        )
        if assessment != ASSESSMENT_POINTS:
            row.error(
                "diem",
                _("No points are given under the %(year)s rating scheme (%(basis)s).")
                % {"year": self.year, "basis": self.scheme.citation},
            )
            return None
        points = None
        if _POINTS.match(value):
            try:
                points = Decimal(value.replace(",", "."))
            except InvalidOperation:
                points = None
        if points is None or points > _HUNDRED:
            row.error(
                "diem",
                _("“%(value)s” is not a score from 0 to 100 (e.g. 85 or 85,5).") % {"value": value},
            )
            return None
        return points

    def _part(self, row: Row, column: str, top: int) -> Decimal | None:
        value = row.text(column)
        if not value:
            return None
        points = Decimal(value.replace(",", ".")) if _POINTS.match(value) else None
        if points is None or points > top:
            row.error(
                column,
                _("“%(value)s” is not a score from 0 to %(top)s (e.g. 25 or 25,5).")
                % {"value": value, "top": top},
            )
            return None
        return points

    def _parts(
        self, row: Row, points: Decimal | None, *, is_org: bool
    ) -> tuple[Decimal | None, Decimal | None]:
        """`diem_chung` (0–30) and `diem_nhiem_vu` (0–70), whose sum must equal `diem`."""
        if not (row.values.get("diem_chung") or row.values.get("diem_nhiem_vu")):
            return None, None
        assessment = (
            self.scheme.organization_assessment if is_org else self.scheme.member_assessment
        )
        if assessment != ASSESSMENT_POINTS:
            row.error(
                "diem_chung",
                _("No points are given under the %(year)s rating scheme (%(basis)s).")
                % {"year": self.year, "basis": self.scheme.citation},
            )
            return None, None
        general = self._part(row, "diem_chung", GENERAL_POINTS)
        tasks = self._part(row, "diem_nhiem_vu", TASK_POINTS)
        if "diem_chung" in row.failed or "diem_nhiem_vu" in row.failed:
            return None, None
        if general is None or tasks is None:
            missing = "diem_nhiem_vu" if general is not None else "diem_chung"
            row.error(missing, _("Give both parts of the score (diem_chung and diem_nhiem_vu)."))
            return None, None
        for code, message in rules.parts_problems(general=general, tasks=tasks, total=points):
            row.error("diem_nhiem_vu" if code == "P2" else "diem_chung", message)
        if points is None and "diem" not in row.failed:
            row.error("diem", _("The total (diem) is required with the two parts."))
        return general, tasks

    def _category(self, row: Row, *, is_org: bool) -> str | None:
        value = row.text("doi_tuong")
        if not value:
            return None
        if is_org:
            row.error("doi_tuong", _("Only a member has a form category (2A, 2B, 2C)."))
            return None
        category = rules.category_from_text(value)
        if category is None:
            row.error(
                "doi_tuong",
                _(
                    "“%(value)s” is not a form category: write 2A, 2B, 2C or “giữ chức vụ "
                    "lãnh đạo, quản lý”, “không giữ chức vụ lãnh đạo, quản lý”, “không công "
                    "tác trong hệ thống chính trị”."
                )
                % {"value": value},
            )
        return category

    def _member(self, row: Row, record: str) -> Member | None:
        if not RECORD_NUMBER.fullmatch(record):
            row.error("so_ly_lich", record_number_message())
            return None
        member = self.members.get(record)
        if member is None:
            row.error(
                "so_ly_lich",
                _("No member has record number “%(record)s”.") % {"record": record},
            )
            return None
        if member.pk not in self.cell_of:
            row.error(
                "so_ly_lich",
                _(
                    "Member %(record)s was not in a cell of %(organization)s (%(scope)s) "
                    "on %(date)s, the end of the rating year."
                )
                % {
                    "record": record,
                    "organization": self.organization.name,
                    "scope": self.organization.code,
                    "date": self.period_end.strftime("%d/%m/%Y"),
                },
            )
            return None
        return member

    def _organization(self, row: Row, code: str) -> Organization | None:
        organization = self.organizations.get(code)
        if organization is None:
            row.error("ma", _("Unknown organization code “%(code)s”.") % {"code": code})
            return None
        if not organization.path.startswith(self.organization.path):
            row.error("ma", outside_scope(code, self.organization))
            return None
        if not organization.is_active_on(self.period_end):
            row.error(
                "ma",
                _("%(code)s did not exist on %(date)s, the end of the rating year.")
                % {"code": code, "date": self.period_end.strftime("%d/%m/%Y")},
            )
            return None
        if self.grassroots(organization) is None:
            row.error(
                "ma",
                _(
                    "%(code)s is not a grassroots organization nor under one: its rating "
                    "is not made in a grassroots round."
                )
                % {"code": code},
            )
            return None
        return organization

    # --- validation: rounds and rules ---------------------------------------------------
    def _rows_by_grassroots(self) -> dict[int, list[_Rating]]:
        grouped: dict[int, list[_Rating]] = defaultdict(list)
        for rating in (*self.member_rows, *self.organization_rows):
            grouped[rating.grassroots.pk].append(rating)
        return grouped

    def _existing_rounds(self, org_ids) -> dict[int, RatingRound]:
        """The year's rounds of these grassroots organizations, by organization id."""
        rounds = RatingRound.objects.filter(organization_id__in=org_ids, year=self.year)
        return {r.organization_id: r for r in rounds}

    def _check_rounds(self) -> None:
        """A round already submitted or decided is no longer the unit's to change."""
        grouped = self._rows_by_grassroots()
        self.rounds = self._existing_rounds(grouped)
        for org_id, ratings in grouped.items():
            round_ = self.rounds.get(org_id)
            if round_ is None or round_.state in EDITABLE_STATES:
                continue
            message = _(
                "The %(year)s ratings of %(organization)s are “%(state)s”: they can no longer "
                "be changed by an import."
            ) % {
                "year": self.year,
                "organization": ratings[0].grassroots.name,
                "state": rules.STATE_LABELS[round_.state],
            }
            for rating in ratings:
                column = "so_ly_lich" if rating.member is not None else "ma"
                self.errors.append(RowError(rating.row, column, message))

    def _check_member_rules(self) -> None:
        """Each grassroots organization's whole set, as the grid would count it after saving."""
        by_org: dict[int, list[_Rating]] = defaultdict(list)
        for rating in self.member_rows:
            by_org[rating.grassroots.pk].append(rating)
        if not by_org:
            return
        in_file = {r.member.pk for r in self.member_rows}
        existing = list(
            MemberRating.objects.filter(round__organization_id__in=by_org, year=self.year)
            .exclude(member_id__in=in_file)
            .select_related("member", "round")
        )
        facts = rating_facts.member_facts_for(
            year=self.year,
            members=[r.member for r in self.member_rows] + [mr.member for mr in existing],
            # The file's points replace the stored ones, an empty cell included.
            points={r.member.pk: r.points for r in self.member_rows},
        )
        contexts = {}
        file_inputs: dict[int, list[rules.MemberRatingInput]] = {}
        for org_id, ratings in by_org.items():
            others = [mr for mr in existing if mr.round.organization_id == org_id]
            round_ = self.rounds.get(org_id) or RatingRound(
                organization=ratings[0].grassroots, year=self.year, scheme_code=self.scheme.code
            )
            stored = {mr.member_id: mr.group for mr in others if mr.group}
            stored |= {r.member.pk: r.group for r in ratings if r.group}
            context = quota_context_for(
                round=round_,
                scheme=self.scheme,
                member_ids=[r.member.pk for r in ratings] + [mr.member_id for mr in others],
                stored=stored,
            )
            # The file's rows replace what other units stored for the same members.
            context.others = [o for o in context.others if o.member_id not in in_file]
            contexts[org_id] = (round_, context, others)
            self._check_groups(ratings, context)
            self._check_task_parts(ratings, facts)
            file_inputs[org_id] = [
                rules.MemberRatingInput(
                    member_id=r.member.pk,
                    level=r.level,
                    not_rated_reason=r.reason or None,
                    not_rated_note=r.note,
                    organization_id=context.scope_of(r.member.pk),
                    group=context.groups.get(r.member.pk),
                )
                for r in ratings
            ]
        for org_id, ratings in by_org.items():
            round_, context, others = contexts[org_id]
            inputs = list(file_inputs[org_id])
            inputs += [
                rules.MemberRatingInput(
                    member_id=mr.member_id,
                    level=mr.proposed_level or None,
                    not_rated_reason=mr.not_rated_reason or None,
                    not_rated_note=mr.not_rated_note,
                    organization_id=context.scope_of(mr.member_id),
                    group=context.groups.get(mr.member_id),
                )
                for mr in others
            ]
            # Rows of the file in other units of the same peer groups count here too.
            owner_id = context.owner.pk if context.defined else None
            sharing = [
                i
                for other, found in file_inputs.items()
                if other != org_id
                for i in found
                if owner_id is not None and i.organization_id == owner_id
            ]
            # A justified exception the deciding level already recorded lifts the quota here too.
            exceptions = []
            if round_.quota_exception.strip():
                scopes = {org_id, owner_id or org_id}
                exceptions = [
                    rules.QuotaException(organization_id=s, justification=round_.quota_exception)
                    for s in scopes
                ]
            violations = rules.check_member_ratings(
                self.scheme,
                facts,
                inputs,
                quota_exceptions=exceptions,
                quota_ceilings=context.ceilings,
                quota_only=[*context.others, *sharing],
            )
            counts = rules.quota_counts(
                self.scheme, [*inputs, *context.others, *sharing], ceilings=context.ceilings
            )
            self._report(
                violations,
                ratings,
                {i.member_id: i for i in file_inputs[org_id]},
                [*inputs[len(ratings) :], *context.others, *sharing],
                counts,
            )

    def _check_groups(self, ratings: list[_Rating], context) -> None:
        """A `nhom` must name a peer group the deciding level formed for the year."""
        for r in ratings:
            if not r.group or self.scheme.quota_scope != QUOTA_SCOPE_PEER_GROUP:
                continue
            if r.group not in context.names:
                known = ", ".join(f"{c} ({n})" for c, n in context.names.items())
                self.errors.append(
                    RowError(
                        r.row,
                        "nhom",
                        _("“%(value)s” is not a peer group of %(year)s: %(groups)s.")
                        % {
                            "value": r.group,
                            "year": self.year,
                            "groups": known or _("the deciding level formed none"),
                        },
                    )
                )

    def _check_task_parts(self, ratings: list[_Rating], facts) -> None:
        """A task part different from what the task ledger suggests needs a reason (P3)."""
        for r in ratings:
            if r.tasks is None:
                continue
            summary = facts[r.member.pk].tasks
            suggested = rules.suggest_task_points(summary.counts if summary else None)
            for _code, message in rules.parts_problems(
                general=None, tasks=r.tasks, suggested=suggested, reason=r.parts_reason
            ):
                self.errors.append(RowError(r.row, "diem_nhiem_vu", message))

    def _report(
        self,
        violations,
        ratings: list[_Rating],
        inputs: dict[int, rules.MemberRatingInput],
        others: list[rules.MemberRatingInput],
        counts: list[rules.QuotaCount],
    ) -> None:
        row_of = {r.member.pk: r.row for r in ratings}
        exceeded = iter([c for c in counts if c.exceeded])
        found: list[RowError] = []
        for violation in violations:
            count = next(exceeded, None) if violation.code == "Q1" else None
            if not violation.is_blocking:
                # Told, not refused: a level far below its points band, a lifted quota.
                where = [row_of[violation.subject_id]] if violation.subject_id in row_of else [0]
                self.notices += [RowError(row, LEVEL_COLUMN, violation.message) for row in where]
                continue
            if count is not None:
                rows = self._rows_over_quota(count, ratings, inputs, others)
            elif violation.subject_id in row_of:
                rows = [row_of[violation.subject_id]]
            else:
                rows = []
            found += [RowError(row, LEVEL_COLUMN, violation.message) for row in rows]
        self.errors.extend(dict.fromkeys(found))

    def _rows_over_quota(
        self,
        count: rules.QuotaCount,
        ratings: list[_Rating],
        inputs: dict[int, rules.MemberRatingInput],
        others: list[rules.MemberRatingInput],
    ) -> list[int]:
        """The file's HTXSNV rows in the exceeded scope (its grassroots organization, or its
        peer group) beyond what the quota leaves once the others there are counted."""
        by_group = self.scheme.quota_scope in GROUPED_QUOTA_SCOPES

        def key(subject: rules.MemberRatingInput) -> tuple:
            return subject.organization_id, subject.group if by_group else None

        def excellent(level: str | None) -> bool:
            return bool(level) and self.scheme.level(level).rank == Rank.EXCELLENT

        wanted = (count.organization_id, count.group)
        kept = sum(excellent(o.level) for o in others if key(o) == wanted)
        rows = [r.row for r in ratings if excellent(r.level) and key(inputs[r.member.pk]) == wanted]
        over = rows[max(count.max_excellent - kept, 0) :]
        return over or rows

    # --- writing ----------------------------------------------------------------------------
    @contextmanager
    def refusal_of_service(
        self, row: int, *, column: str = LEVEL_COLUMN, rows: list[_Rating] = ()
    ) -> Iterator[None]:
        """A service's refusal as row errors (a rule it re-checked on the rows it names).

        Validation already ran the same rules, so this only catches what changed in between
        (a concurrent edit, a deadline passing).
        """
        try:
            yield
        except services.RuleViolationError as exc:
            row_of = {r.member.pk: r.row for r in rows if r.member is not None}
            raise ImportRefused(
                [
                    RowError(row_of.get(v.subject_id, row), column, v.message)
                    for v in exc.violations
                    if v.is_blocking
                ]
                or [RowError(row, column, exc.message)]
            ) from exc
        except services.RatingError as exc:
            raise ImportRefused([RowError(row, column, exc.message)]) from exc
        except ValidationError as exc:
            raise ImportRefused([RowError(row, column, " ".join(exc.messages))]) from exc
        except PermissionDenied as exc:
            message = str(exc) or _("You may not change this unit.")
            raise ImportRefused([RowError(row, column, message)]) from exc

    def _excellent(self, rating: _Rating) -> bool:
        return bool(rating.level) and self.scheme.level(rating.level).rank == Rank.EXCELLENT

    def _save_members(self, rounds: dict[int, RatingRound], org_id: int, members: list[_Rating]):
        with self.refusal_of_service(members[0].row, rows=members):
            rounds[org_id] = services.member_ratings_save(
                actor=self.actor,
                round=rounds[org_id],
                rows=[
                    services.RowInput(
                        member_id=r.member.pk,
                        level=r.level or "",
                        not_rated_reason=r.reason,
                        not_rated_note=r.note,
                        points=r.points,
                        group=r.group if "nhom" in self.columns else None,
                    )
                    for r in members
                ],
                round_version=rounds[org_id].version,
                check_rules=True,
            )

    def write(self, progress: Progress) -> tuple[int, int]:
        created = updated = 0
        grouped = self._rows_by_grassroots()
        rated_members = set(
            MemberRating.objects.filter(
                year=self.year, member_id__in=[r.member.pk for r in self.member_rows]
            ).values_list("member_id", flat=True)
        )
        rated_organizations = set(
            OrganizationRating.objects.filter(
                year=self.year,
                organization_id__in=[r.organization.pk for r in self.organization_rows],
            ).values_list("organization_id", flat=True)
        )
        rounds: dict[int, RatingRound] = {}
        for org_id, ratings in grouped.items():
            with self.refusal_of_service(ratings[0].row):
                rounds[org_id] = services.round_get_or_create(
                    actor=self.actor, organization=ratings[0].grassroots, year=self.year
                )
        # The form category first: a peer group may be formed by it (rules_ceilings).
        for rating in self.member_rows:
            if rating.category:
                with self.refusal_of_service(rating.row, column="doi_tuong"):
                    membercategory_set(
                        actor=self.actor,
                        member=rating.member,
                        year=self.year,
                        category=rating.category,
                    )
        # HTXSNV rows last, in every unit: a peer group spans units, and the file was checked
        # as a whole, so each save counts every HTTNV of the file already in its groups.
        for excellent_pass in (False, True):
            for org_id, ratings in grouped.items():
                members = [
                    r
                    for r in ratings
                    if r.member is not None and self._excellent(r) == excellent_pass
                ]
                if members:
                    self._save_members(rounds, org_id, members)
        for org_id, ratings in grouped.items():
            regime = [
                RegimeRow(
                    member_id=r.member.pk,
                    general=r.general,
                    tasks=r.tasks,
                    tasks_reason=r.parts_reason,
                )
                for r in ratings
                if r.member is not None and r.general is not None
            ]
            if regime:
                with self.refusal_of_service(ratings[0].row):
                    memberratings_regime_record(actor=self.actor, round=rounds[org_id], rows=regime)
        # Organizations after every member, and cells before the organizations above them:
        # O1 counts the levels just proposed below. Each refusal is collected so the file's
        # every organization error is listed, then the whole import is rolled back.
        refused: list[RowError] = []
        for rating in sorted(self.organization_rows, key=lambda r: -r.organization.depth):
            try:
                with self.refusal_of_service(rating.row, column=LEVEL_COLUMN):
                    saved = services.organization_rating_save(
                        actor=self.actor,
                        round=rounds[rating.grassroots.pk],
                        organization=rating.organization,
                        level=rating.level or "",
                        not_rated_reason=rating.reason,
                        not_rated_note=rating.note,
                        points=rating.points,
                    )
                    rounds[rating.grassroots.pk] = saved.round
            except ImportRefused as exc:
                refused.extend(exc.errors)
        if refused:
            raise ImportRefused(refused)
        for rating in (*self.member_rows, *self.organization_rows):
            if (
                rating.member.pk in rated_members
                if rating.member is not None
                else rating.organization.pk in rated_organizations
            ):
                updated += 1
            else:
                created += 1
            progress.step()
        return created, updated


def ratings_import(
    *,
    file: BinaryIO,
    filename: str,
    organization: Organization,
    year: int,
    actor=None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
) -> ImportResult:
    """Check a whole `xep_loai` file for `year` under `organization`, then save all or nothing.

    `actor` None is the command line (a system action). The ratings are proposals: each
    round keeps its editable state, so the deciding level still reviews and decides them.
    A dry run validates and writes in a transaction that is rolled back.
    """
    return run_importer(
        RatingImporter,
        file=file,
        filename=filename,
        actor=actor,
        organization=organization,
        dry_run=dry_run,
        progress=progress,
        options={"year": year},
    )
