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
from .schemes import ASSESSMENT_POINTS, Rank, RatingScheme, normalize_label

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
    optional_columns = ("so_ly_lich", "ma", "ly_do_khong_xep_loai", "diem")
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
        if not self.errors:
            self._check_rounds()
        if not self.errors:
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
        if organization.pk not in self._grassroots:
            self._grassroots[organization.pk] = selectors.grassroots_for(organization)
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
        for org_id, ratings in by_org.items():
            inputs = [
                rules.MemberRatingInput(
                    member_id=r.member.pk,
                    level=r.level,
                    not_rated_reason=r.reason or None,
                    not_rated_note=r.note,
                    organization_id=org_id,
                )
                for r in ratings
            ]
            others = [mr for mr in existing if mr.round.organization_id == org_id]
            inputs += [
                rules.MemberRatingInput(
                    member_id=mr.member_id,
                    level=mr.proposed_level or None,
                    not_rated_reason=mr.not_rated_reason or None,
                    not_rated_note=mr.not_rated_note,
                    organization_id=org_id,
                    group=mr.group or None,
                )
                for mr in others
            ]
            # A justified exception the deciding level already recorded lifts the quota here too.
            round_ = self.rounds.get(org_id)
            exceptions = (
                [rules.QuotaException(organization_id=org_id, justification=round_.quota_exception)]
                if round_ is not None and round_.quota_exception.strip()
                else []
            )
            violations = rules.check_member_ratings(
                self.scheme, facts, inputs, quota_exceptions=exceptions
            )
            self._report(violations, ratings, others)

    def _report(self, violations, ratings: list[_Rating], others: list[MemberRating]) -> None:
        row_of = {r.member.pk: r.row for r in ratings}
        found: list[RowError] = []
        for violation in violations:
            if not violation.is_blocking:
                continue
            if violation.code == "Q1":
                rows = self._rows_over_quota(ratings, others)
            elif violation.subject_id in row_of:
                rows = [row_of[violation.subject_id]]
            else:
                rows = []
            found += [RowError(row, LEVEL_COLUMN, violation.message) for row in rows]
        # Per-group quotas (2023+ option) may repeat a row: list each message once.
        self.errors.extend(dict.fromkeys(found))

    def _rows_over_quota(self, ratings: list[_Rating], others: list[MemberRating]) -> list[int]:
        """The file's HTXSNV rows beyond what the quota leaves once the others are counted."""

        def rank(level: str | None) -> Rank | None:
            return self.scheme.level(level).rank if level else None

        ranks = [rank(r.level) for r in ratings] + [rank(mr.proposed_level) for mr in others]
        good = sum(r == Rank.GOOD for r in ranks)
        ratio = self.scheme.quota_ratio
        allowed = good * ratio.numerator // ratio.denominator
        kept = sum(rank(mr.proposed_level) == Rank.EXCELLENT for mr in others)
        excellent = [r.row for r in ratings if rank(r.level) == Rank.EXCELLENT]
        over = excellent[max(allowed - kept, 0) :]
        return over or excellent

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
            members = [r for r in ratings if r.member is not None]
            if not members:
                continue
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
                        )
                        for r in members
                    ],
                    round_version=rounds[org_id].version,
                )
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
