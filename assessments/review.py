"""Read side of the review at province scale: the list of units, one unit's members, what changed.

A province committee reviews ≈ 170–230 grassroots organizations of ≈ 1,700 members each.
Running the rules over 400,000 members on every view of the list is what made it slow, so
each round's figures (counts per level, the violations the rules find, the members changed
since the last return or decision) are kept in a `RoundSummary` valid for one round version:
every write to what a round is judged on bumps the version (`round_checks.save_round`), so a
summary is recomputed once per change, by the worker right after the commit or, failing that,
by the next read.

Decided and published rounds are not run through the rules again: the decision checked them
under the lock, and a later change needs a reopening (which bumps the version).
"""

from __future__ import annotations

import datetime
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils import timezone

from cells.models import Membership, Organization
from cells.selectors import organizations_visible_to

from .choices import DECIDED_STATES, RoundState
from .models import MemberRating, RatingRound, RoundSnapshot, RoundSummary
from .selectors import (
    NOT_STARTED,
    build_grid,
    period_end,
    year_setting,
)

DETAIL_PAGE_SIZE = 2000  # a commune-level unit (≈ 1,700 members) fits on one page
# Sort keys of the review list: the query-string value → how rows are ordered.
SORTS = ("name", "state", "submitted", "late", "members", "violations", "changed")
LATENESS = ("late", "on_time")


def search_fold(text: str) -> str:
    """Text as a search compares it: case, tones and letter marks ignored ("Đức" ~ "duc"),
    since people type names without them on a phone or an unfamiliar keyboard."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


# === Snapshots and per-member values ==========================================================
Values = tuple[str, str, str]  # (level, points as text, not-rated reason)


def _points_text(points) -> str:
    if points is None:
        return ""
    return format(Decimal(points).normalize(), "f") if Decimal(points) % 1 else str(int(points))


def current_values(round_: RatingRound) -> dict[int, Values]:
    """Each rated member's proposed (level, points, reason) in the round."""
    rows = MemberRating.objects.filter(round=round_).values_list(
        "member_id", "proposed_level", "points", "not_rated_reason"
    )
    return {mid: (level, _points_text(points), reason) for mid, level, points, reason in rows}


def latest_snapshot(round_: RatingRound) -> RoundSnapshot | None:
    """The values at the last return or decision, if the round had one."""
    return round_.snapshots.order_by("-taken_at", "-id").first()


def snapshot_values(snapshot: RoundSnapshot | None) -> dict[int, Values]:
    if snapshot is None:
        return {}
    return {int(mid): tuple(value) for mid, value in snapshot.values.items()}


def changed_members(before: dict[int, Values], now: dict[int, Values]) -> list[int]:
    """Members whose level, points or reason differ (added or removed rows count)."""
    empty = ("", "", "")
    return sorted(
        mid for mid in set(before) | set(now) if before.get(mid, empty) != now.get(mid, empty)
    )


# === Summaries =================================================================================
def _summary_values(round_: RatingRound, setting, *, check: bool) -> dict:
    """Compute what the list shows for one round (its version at the time of reading); the
    rules run when `check` is set."""
    decided = round_.state in DECIDED_STATES
    level_field = "decided_level" if decided else "proposed_level"
    counts: Counter[str] = Counter()
    not_rated = 0
    for level, n in (
        MemberRating.objects.filter(round=round_)
        .values_list(level_field)
        .annotate(n=Count("id"))
        .order_by()
    ):
        if level:
            counts[level] += n
        else:
            not_rated += n
    violations: dict[str, list] = {}
    findings: list[list] = []
    quota: list[dict] = []
    blocking = 0
    members = None
    changed = []
    snapshot = None if decided else latest_snapshot(round_)
    if snapshot is not None:  # nothing to compare with before the first return or decision
        changed = changed_members(snapshot_values(snapshot), current_values(round_))
    if check and not decided:
        grid = build_grid(round=round_, setting=setting, setting_loaded=True)
        members = len(grid.rows)
        for row in grid.rows:
            if row.violations:
                violations[str(row.member.pk)] = [
                    [v.code, str(v.message), v.is_blocking] for v in row.violations
                ]
        findings = [[v.code, str(v.message), v.is_blocking] for v in grid.violations]
        quota = [
            {
                "group": q.group or "",
                "good": q.good,
                "excellent": q.excellent,
                "max_excellent": q.max_excellent,
                "exceeded": q.exceeded,
            }
            for q in grid.quota
        ]
        blocking = len(grid.blocking_violations)
    if members is None:
        members = (
            Membership.objects.filter(
                Q(end__isnull=True) | Q(end__gte=period_end(round_.year)),
                start__lte=period_end(round_.year),
                organization__path__startswith=round_.organization.path,
            )
            .values("member_id")
            .distinct()
            .count()
        )
    return {
        "version": round_.version,
        "members": members,
        "counts": dict(counts),
        "rated": sum(counts.values()),
        "not_rated": not_rated,
        "checked": check or decided,
        "blocking": blocking,
        "violations": violations,
        "findings": findings,
        "quota": quota,
        "changed": changed,
        "changed_count": len(changed),
        "computed_at": timezone.now(),
    }


def _needs_check(round_: RatingRound) -> bool:
    return round_.state == RoundState.SUBMITTED


def round_summary_refresh(
    round_: RatingRound, *, setting=None, check: bool = False
) -> RoundSummary:
    """Recompute and store the round's summary for its current version (a cache write)."""
    setting = setting if setting is not None else year_setting(round_.year)
    values = _summary_values(round_, setting, check=check or _needs_check(round_))
    summary, _created = RoundSummary.objects.update_or_create(round=round_, defaults=values)
    return summary


LIST_FIELDS = (
    "round_id",
    "version",
    "members",
    "counts",
    "not_rated",
    "checked",
    "blocking",
    "changed_count",
)


def summaries_for(
    rounds: list[RatingRound], *, check: bool = False, fields: tuple[str, ...] | None = None
) -> dict[int, RoundSummary]:
    """The current summary of each round, recomputing those whose version moved on (and,
    with `check`, those the rules have not run for). `fields` limits what is read."""
    qs = RoundSummary.objects.filter(round__in=rounds)
    found = {s.round_id: s for s in (qs.only(*fields) if fields else qs)}
    settings_by_year: dict[int, object] = {}
    for round_ in rounds:
        summary = found.get(round_.pk)
        stale = summary is None or summary.version != round_.version
        if stale or (check and not summary.checked):
            if round_.year not in settings_by_year:
                settings_by_year[round_.year] = year_setting(round_.year)
            found[round_.pk] = round_summary_refresh(round_, setting=settings_by_year[round_.year])
    return found


# === The list of units =========================================================================
@dataclass
class ReviewRow:
    """One grassroots organization on the deciding level's review screen."""

    round: RatingRound | None
    organization: Organization
    state: str
    members: int
    counts: dict[str, int]
    violations: int | None  # None: the rules were not run (a unit still entering)
    not_rated: int = 0
    area: Organization | None = None  # the reviewing node's child the unit lies in
    submitted_at: datetime.datetime | None = None
    deadline: datetime.date | None = None
    days_late: int = 0
    changed: int = 0  # members changed since the last return or decision
    last_snapshot_at: datetime.datetime | None = None

    @property
    def is_late(self) -> bool:
        return self.days_late > 0


def days_late(
    *,
    deadline: datetime.date | None,
    submitted_at: datetime.datetime | None,
    state: str,
    today: datetime.date,
) -> int:
    """Days past the entry deadline: at submission, or up to today while not submitted."""
    if deadline is None:
        return 0
    if submitted_at is not None and state not in (RoundState.DRAFT, RoundState.RETURNED):
        day = timezone.localtime(submitted_at).date()
    elif state in (RoundState.DECIDED, RoundState.PUBLISHED):
        return 0  # decided without a recorded submission (an import of past years)
    else:
        day = today
    return max(0, (day - deadline).days)


def _exists_on(day: datetime.date) -> Q:
    founded = Q(established_on__isnull=True) | Q(established_on__lte=day)
    return founded & (Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=day))


def _unstarted_member_counts(orgs: list[Organization], on: datetime.date) -> dict[int, int]:
    """Members on a day of units that have no round yet (one query)."""
    if not orgs:
        return {}
    q = Q(pk__in=[])
    for org in orgs:
        q |= Q(organization__path__startswith=org.path)
    rows = (
        Membership.objects.filter(q, Q(end__isnull=True) | Q(end__gte=on), start__lte=on)
        .values_list("organization__path", "member_id")
        .distinct()
    )
    by_path = {org.path: org.pk for org in orgs}
    counts: Counter[int] = Counter()
    step = Organization.steplen
    for path, _member in rows:
        for depth in range(len(path) // step, 0, -1):
            pk = by_path.get(path[: step * depth])
            if pk is not None:
                counts[pk] += 1
                break
    return dict(counts)


def review_rows(
    *, user, organization: Organization, year: int, today: datetime.date | None = None
) -> list[ReviewRow]:
    """The grassroots organizations decided by `organization` or by a node inside its subtree,
    that exist on the period end of `year`, with their round's state, counts, lateness,
    violations and changes. A fixed number of queries once the summaries are current.

    A unit dissolved during the year is not listed: its members are rated on the structure
    of the period end, in the unit that took over.
    """
    end = period_end(year)
    today = today or timezone.localdate()
    orgs = list(
        organizations_visible_to(user=user)
        .filter(
            _exists_on(end),
            path__startswith=organization.path,
            depth__gt=organization.depth,
            is_grassroots=True,
        )
        .order_by("name_sort_key", "path")
    )
    rounds = {
        r.organization_id: r
        for r in RatingRound.objects.filter(organization__in=orgs, year=year)
        .select_related("organization")
        .annotate(
            last_snapshot_at=Subquery(
                RoundSnapshot.objects.filter(round=OuterRef("pk"))
                .order_by("-taken_at")
                .values("taken_at")[:1]
            )
        )
    }
    summaries = summaries_for(list(rounds.values()), fields=LIST_FIELDS)
    setting = year_setting(year)
    deadline = setting.entry_deadline if setting else None
    child_len = len(organization.path) + Organization.steplen
    area_paths = {o.path[:child_len] for o in orgs if o.depth > organization.depth + 1}
    areas = {a.path: a for a in Organization.objects.filter(path__in=area_paths)}
    unstarted = _unstarted_member_counts([o for o in orgs if o.pk not in rounds], end)
    result = []
    for org in orgs:
        round_ = rounds.get(org.pk)
        summary = summaries.get(round_.pk) if round_ else None
        state = round_.state if round_ else NOT_STARTED
        result.append(
            ReviewRow(
                round=round_,
                organization=org,
                state=state,
                members=summary.members if summary else unstarted.get(org.pk, 0),
                counts=dict(summary.counts) if summary else {},
                violations=summary.blocking if summary and summary.checked else None,
                not_rated=summary.not_rated if summary else 0,
                area=areas.get(org.path[:child_len]),
                submitted_at=round_.submitted_at if round_ else None,
                deadline=deadline,
                days_late=days_late(
                    deadline=deadline,
                    submitted_at=round_.submitted_at if round_ else None,
                    state=state,
                    today=today,
                ),
                changed=summary.changed_count if summary else 0,
                last_snapshot_at=round_.last_snapshot_at if round_ else None,
            )
        )
    return result


@dataclass
class ReviewFilter:
    """What the reviewer narrowed the list to (all from the query string, all optional)."""

    state: str = ""
    area: int | None = None
    lateness: str = ""
    changed: bool = False
    q: str = ""
    sort: str = "name"
    descending: bool = False

    @classmethod
    def from_query(cls, query, *, states) -> ReviewFilter:
        state = query.get("state", "")
        area = query.get("area", "")
        lateness = query.get("late", "")
        sort = query.get("sort", "name")
        descending = sort.startswith("-")
        sort = sort.lstrip("-")
        return cls(
            state=state if state in states else "",
            area=int(area) if area.isdigit() else None,
            lateness=lateness if lateness in LATENESS else "",
            changed=query.get("changed") == "1",
            q=query.get("q", "").strip()[:100],
            sort=sort if sort in SORTS else "name",
            descending=descending,
        )

    @property
    def sort_value(self) -> str:
        return ("-" if self.descending else "") + self.sort

    def sort_link(self, key: str) -> str:
        """The query string that sorts by `key`, flipping the direction on a second click."""
        flip = self.sort == key and not self.descending
        return self.as_query(sort=("-" if flip else "") + key)

    def as_query(self, **changes) -> str:
        """The filter as a query string, with `changes` applied (for links and forms)."""
        values = {
            "state": self.state,
            "area": self.area or "",
            "late": self.lateness,
            "changed": "1" if self.changed else "",
            "q": self.q,
            "sort": self.sort_value if self.sort_value != "name" else "",
        }
        values.update(changes)
        return urlencode({k: v for k, v in values.items() if v not in ("", None)})


_STATE_RANK = {
    s: i
    for i, s in enumerate(
        (
            NOT_STARTED,
            RoundState.DRAFT,
            RoundState.RETURNED,
            RoundState.SUBMITTED,
            RoundState.DECIDED,
            RoundState.PUBLISHED,
        )
    )
}


def review_rows_filtered(rows: list[ReviewRow], flt: ReviewFilter) -> list[ReviewRow]:
    """The rows the filter keeps, in the order it asks for (name order breaks ties)."""
    needle = search_fold(flt.q) if flt.q else ""
    kept = []
    for row in rows:
        if flt.state and row.state != flt.state:
            continue
        if flt.area and (row.area is None or row.area.pk != flt.area):
            continue
        if flt.lateness == "late" and not row.is_late:
            continue
        if flt.lateness == "on_time" and row.is_late:
            continue
        if flt.changed and not row.changed:
            continue
        if needle and needle not in search_fold(f"{row.organization.name} {row.organization.code}"):
            continue
        kept.append(row)
    if flt.sort == "name":
        return list(reversed(kept)) if flt.descending else kept
    far = datetime.datetime.max.replace(tzinfo=datetime.UTC)
    keys = {
        "state": lambda r: _STATE_RANK.get(r.state, 0),
        "submitted": lambda r: r.submitted_at or far,
        "late": lambda r: r.days_late,
        "members": lambda r: r.members,
        "violations": lambda r: r.violations or 0,
        "changed": lambda r: r.changed,
    }
    return sorted(kept, key=keys[flt.sort], reverse=flt.descending)  # stable: name order kept


def areas_of(rows: list[ReviewRow]) -> list[Organization]:
    """The areas the list can be narrowed to, in name order."""
    found = {row.area.pk: row.area for row in rows if row.area is not None}
    return sorted(found.values(), key=lambda a: (a.name_sort_key, a.path))


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
        points=_points_text(r[3]) if r else "",
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
