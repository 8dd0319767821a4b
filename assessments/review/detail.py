"""One unit's members under review: their lines, filters and what changed since the last return
or decision."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.core.paginator import Paginator
from django.db.models import Q

from cells.models import Membership, Organization

from ..choices import DECIDED_STATES
from ..models import MemberRating, RatingRound, RoundSnapshot, RoundSummary
from ..selectors import (
    period_end,
)
from .summaries import (
    Values,
    latest_snapshot,
    points_text,
    search_fold,
    snapshot_values,
    summaries_for,
)

DETAIL_PAGE_SIZE = 2000  # a commune-level unit (≈ 1,700 members) fits on one page


# === One unit's members ========================================================================
@dataclass
class MemberLine:
    """One member on the review detail: the values now and, if changed, before."""

    member_id: int
    full_name: str
    record_number: str
    cell_id: int | None
    cell_name: str
    level: str  # proposed (or decided, for a decided round)
    proposed: str
    decided: str
    points: str
    reason: str
    note: str
    violations: list = field(default_factory=list)  # [code, message, blocking]
    before: Values | None = None  # set when the values changed since the last snapshot
    entered: bool = True  # False: nothing saved for the member yet

    @property
    def changed(self) -> bool:
        return self.before is not None


@dataclass
class DetailFilter:
    cell: int | None = None
    level: str = ""  # a level slug, "none" (not rated) or "missing" (nothing entered)
    violation: bool = False
    changed: bool = False
    q: str = ""

    @classmethod
    def from_query(cls, query) -> DetailFilter:
        cell = query.get("cell", "")
        return cls(
            cell=int(cell) if cell.isdigit() else None,
            level=query.get("level", "")[:24],
            violation=query.get("violation") == "1",
            changed=query.get("changed") == "1",
            q=query.get("q", "").strip()[:100],
        )

    @property
    def active(self) -> bool:
        return bool(self.cell or self.level or self.violation or self.changed or self.q)


@dataclass
class ReviewDetail:
    lines: list[MemberLine]  # every member of the unit
    shown: list[MemberLine]  # after the filter, this page
    page: object
    total_shown: int
    summary: RoundSummary
    snapshot: RoundSnapshot | None
    changed: list[MemberLine]


def review_detail(
    *,
    round: RatingRound,
    flt: DetailFilter,
    page: int | str = 1,  # noqa: A002
) -> ReviewDetail:
    """The unit's members with their values, violations and what changed, filtered and paged.

    Reads the members once, the round's ratings once, the summary (rules' findings) and the
    last snapshot: a fixed number of queries whatever the unit's size.
    """
    summary = summaries_for([round], check=True)[round.pk]
    end = period_end(round.year)
    members = _members_on(round.organization, end)
    cells = dict(
        Organization.objects.filter(
            path__startswith=round.organization.path, pk__in={m.cell_id for m in members}
        ).values_list("pk", "name")
    )
    ratings = {
        row[0]: row
        for row in MemberRating.objects.filter(round=round).values_list(
            "member_id",
            "proposed_level",
            "decided_level",
            "points",
            "not_rated_reason",
            "not_rated_note",
            "note",
        )
    }
    snapshot = latest_snapshot(round)
    before = snapshot_values(snapshot)
    changed_ids = set(summary.changed)
    decided = round.state in DECIDED_STATES
    lines = [
        _line(m, ratings.get(m.pk), cells, decided, summary, before, changed_ids) for m in members
    ]
    shown = [line for line in lines if _keep(line, flt)]
    paginator = Paginator(shown, DETAIL_PAGE_SIZE)
    page_obj = paginator.get_page(page)
    return ReviewDetail(
        lines=lines,
        shown=list(page_obj.object_list),
        page=page_obj,
        total_shown=len(shown),
        summary=summary,
        snapshot=snapshot,
        changed=[line for line in lines if line.changed],
    )


@dataclass(frozen=True, slots=True)
class _Member:
    pk: int
    full_name: str
    record_number: str
    cell_id: int


def _members_on(organization: Organization, day: datetime.date) -> list[_Member]:
    """The unit's members on a day with their cell, in Vietnamese name order: the plain
    columns only (the member states `members_of` annotates are the rules' business)."""
    rows = (
        Membership.objects.filter(
            Q(end__isnull=True) | Q(end__gte=day),
            start__lte=day,
            organization__path__startswith=organization.path,
        )
        .order_by("member__name_sort_key", "member_id", "-start")
        .values_list("member_id", "member__full_name", "member__record_number", "organization_id")
    )
    seen: set[int] = set()
    found = []
    for mid, name, number, cell in rows:
        if mid not in seen:  # one line per member, in the cell of the latest membership
            seen.add(mid)
            found.append(_Member(mid, name, number, cell))
    return found


def _line(member, r, cells, decided, summary, before, changed_ids) -> MemberLine:
    proposed, decided_level = (r[1], r[2]) if r else ("", "")
    return MemberLine(
        member_id=member.pk,
        full_name=member.full_name,
        record_number=member.record_number,
        cell_id=member.cell_id,
        cell_name=cells.get(member.cell_id, ""),
        level=(decided_level if decided else proposed),
        proposed=proposed,
        decided=decided_level,
        points=points_text(r[3]) if r else "",
        reason=r[4] if r else "",
        note=" ".join(x for x in (r[5], r[6]) if x) if r else "",
        violations=summary.violations.get(str(member.pk), []),
        before=before.get(member.pk, ("", "", "")) if member.pk in changed_ids else None,
        entered=r is not None,
    )


def _keep(line: MemberLine, flt: DetailFilter) -> bool:
    if flt.cell and line.cell_id != flt.cell:
        return False
    if flt.level == "none":
        if not line.entered or line.level:
            return False
    elif flt.level == "missing":
        if line.entered:
            return False
    elif flt.level and line.level != flt.level:
        return False
    if flt.violation and not line.violations:
        return False
    if flt.changed and not line.changed:
        return False
    return not flt.q or search_fold(flt.q) in search_fold(f"{line.full_name} {line.record_number}")
