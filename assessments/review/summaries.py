"""Snapshots of a round's member values, and the per-version round summaries the list reads."""

from __future__ import annotations

import logging
import time
import unicodedata
from collections import Counter
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from cells.models import Membership

from ..choices import DECIDED_STATES, RoundState
from ..models import MemberRating, RatingRound, RoundFacts, RoundSnapshot, RoundSummary
from ..selectors import (
    build_grid,
    period_end,
    year_setting,
)

logger = logging.getLogger(__name__)


def search_fold(text: str) -> str:
    """Text as a search compares it: case, tones and letter marks ignored ("Đức" ~ "duc"),
    since people type names without them on a phone or an unfamiliar keyboard."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


# === Snapshots and per-member values ==========================================================
Values = tuple[str, str, str]  # (level, points as text, not-rated reason)


def points_text(points) -> str:
    if points is None:
        return ""
    return format(Decimal(points).normalize(), "f") if Decimal(points) % 1 else str(int(points))


def current_values(round_: RatingRound) -> dict[int, Values]:
    """Each rated member's proposed (level, points, reason) in the round."""
    rows = MemberRating.objects.filter(round=round_).values_list(
        "member_id", "proposed_level", "points", "not_rated_reason"
    )
    return {mid: (level, points_text(points), reason) for mid, level, points, reason in rows}


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
def facts_seqs(round_ids) -> dict[int, int]:
    """Each round's count of fact changes outside the rating (`RoundFacts`; absent: 0)."""
    return dict(
        RoundFacts.objects.filter(round_id__in=list(round_ids)).values_list("round_id", "seq")
    )


def _summary_values(round_: RatingRound, setting, *, check: bool, facts_seq: int) -> dict:
    """Compute what the list shows for one round (its version at the time of reading); the
    rules run when `check` is set. `facts_seq` was read before anything else: a fact changed
    while this runs bumps it again, so the summary is recomputed by the next read."""
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
        "facts_seq": facts_seq,
        "computed_at": timezone.now(),
    }


def _needs_check(round_: RatingRound) -> bool:
    return round_.state == RoundState.SUBMITTED


def round_summary_refresh(
    round_: RatingRound, *, setting=None, check: bool = False, facts_seq: int | None = None
) -> RoundSummary:
    """Recompute and store the round's summary for its current version (a cache write)."""
    if facts_seq is None:
        facts_seq = facts_seqs([round_.pk]).get(round_.pk, 0)
    setting = setting if setting is not None else year_setting(round_.year)
    values = _summary_values(
        round_, setting, check=check or _needs_check(round_), facts_seq=facts_seq
    )
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
    "facts_seq",
)


class Summaries(dict):
    """`summaries_for`'s answer: round id → its summary (the last one computed, for a round
    left `pending`), and the rounds whose summary is stale and was not recomputed in time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pending: set[int] = set()


def _is_current(summary: RoundSummary | None, round_: RatingRound, seq: int) -> bool:
    return summary is not None and summary.version == round_.version and summary.facts_seq == seq


def summaries_for(
    rounds: list[RatingRound],
    *,
    check: bool = False,
    fields: tuple[str, ...] | None = None,
    budget: float | None = None,
) -> Summaries:
    """The current summary of each round, recomputing those whose version or facts moved on
    (and, with `check`, those the rules have not run for). `fields` limits what is read.

    `budget` (seconds) bounds the recomputing: once spent, the remaining stale rounds are
    left in `pending` (with their last summary, if any) for `summaries_refresh` in a worker.
    After a change to every round (an import, a generator run) that is minutes of rules at
    province scale; a page must not wait for it.
    """
    qs = RoundSummary.objects.filter(round__in=rounds)
    found = Summaries((s.round_id, s) for s in (qs.only(*fields) if fields else qs))
    seqs = facts_seqs(r.pk for r in rounds)
    settings_by_year: dict[int, object] = {}
    started = time.monotonic()
    todo = [
        r
        for r in rounds
        if not _is_current(found.get(r.pk), r, seqs.get(r.pk, 0))
        or (check and not found[r.pk].checked)
    ]
    if budget is not None:  # the cheap ones first: those the rules need not run for
        todo.sort(key=_needs_check)
    for round_ in todo:
        seq = seqs.get(round_.pk, 0)
        if budget is not None and time.monotonic() - started >= budget:
            found.pending.add(round_.pk)
            continue
        if round_.year not in settings_by_year:
            settings_by_year[round_.year] = year_setting(round_.year)
        found[round_.pk] = round_summary_refresh(
            round_, setting=settings_by_year[round_.year], facts_seq=seq
        )
    return found


def summaries_refresh(round_ids) -> int:
    """Bring these rounds' summaries up to date (the worker's side of `pending`); returns
    how many were recomputed. Idempotent: a current summary is left alone."""
    rounds = list(RatingRound.objects.filter(pk__in=list(round_ids)).select_related("organization"))
    before = {s.round_id: s.computed_at for s in RoundSummary.objects.filter(round__in=rounds)}
    found = summaries_for(rounds)
    return sum(before.get(pk) != s.computed_at for pk, s in found.items())


def summaries_refresh_later(round_ids, *, key: str) -> bool:
    """Ask a worker to recompute these rounds' summaries, once per `key` (a list: its node
    and year) for a minute; False when already asked or the broker is unreachable (the
    minute job gets there anyway)."""
    from ..tasks import review_summaries_refresh  # the task calls back into this module

    if not cache.add(f"review-summaries-pending:{key}", 1, timeout=60):
        return False
    try:
        review_summaries_refresh.delay(sorted(round_ids))
    except (BrokerError, OSError):
        logger.warning("Review summaries not sent to a worker (broker unreachable)")
        cache.delete(f"review-summaries-pending:{key}")
        return False
    return True


def summaries_refresh_stale(*, budget: float) -> tuple[int, int]:
    """Recompute stale summaries, rounds not yet decided first, for at most `budget` seconds
    (the minute job: the list then rarely finds one to recompute); (recomputed, still stale)."""
    stale = list(
        RatingRound.objects.annotate(seq=Coalesce("facts_stamp__seq", 0))
        .filter(
            Q(summary__isnull=True)
            | ~Q(summary__version=F("version"))
            | ~Q(summary__facts_seq=F("seq"))
        )
        .select_related("organization")
        .order_by("-year", "id")
    )
    stale.sort(key=lambda r: r.state in DECIDED_STATES)  # stable: newest years first
    found = summaries_for(stale, budget=budget)
    return len(stale) - len(found.pending), len(found.pending)
