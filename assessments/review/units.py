"""The review list: one line per grassroots organization, its filters and sorting."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from cells.choices import COMMUNE_LEVEL_TYPES
from cells.models import Membership, Organization
from cells.selectors import organizations_visible_to

from ..choices import RoundState
from ..models import RatingRound, RoundSnapshot
from ..selectors import (
    NOT_STARTED,
    period_end,
    year_setting,
)
from .summaries import LIST_FIELDS, search_fold, summaries_for

# Sort keys of the review list: the query-string value → how rows are ordered.
SORTS = ("name", "state", "submitted", "late", "members", "violations", "changed")
LATENESS = ("late", "on_time")


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
    # The figures are the last computed before a change, being updated by a worker (the
    # page's time budget ran out): the violations are then unknown.
    pending: bool = False

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
    *,
    user,
    organization: Organization,
    year: int,
    today: datetime.date | None = None,
    budget: float | None = None,
) -> list[ReviewRow]:
    """The grassroots organizations decided by `organization` or by a node inside its subtree,
    that exist on the period end of `year`, with their round's state, counts, lateness,
    violations and changes. A fixed number of queries once the summaries are current;
    `budget` bounds the seconds spent recomputing stale ones (see `summaries_for`).

    A unit dissolved during the year is not listed: its members are rated on the structure
    of the period end, in the unit that took over.
    """
    end = period_end(year)
    today = today or timezone.localdate()
    orgs = list(
        organizations_visible_to(user=user)
        .existing_on(end)
        .filter(
            # The units with a round of their own: the grassroots organizations, and since
            # 2025 the commune-level committees, rated by the province (HD 43 §3).
            Q(is_grassroots=True) | Q(type__in=COMMUNE_LEVEL_TYPES),
            path__startswith=organization.path,
            depth__gt=organization.depth,
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
    summaries = summaries_for(list(rounds.values()), fields=LIST_FIELDS, budget=budget)
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
        pending = round_ is not None and round_.pk in summaries.pending
        state = round_.state if round_ else NOT_STARTED
        result.append(
            ReviewRow(
                round=round_,
                organization=org,
                state=state,
                members=summary.members if summary else unstarted.get(org.pk, 0),
                counts=dict(summary.counts) if summary else {},
                violations=summary.blocking
                if summary and summary.checked and not pending
                else None,
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
                pending=pending,
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
