"""The facts the pure rules need (rules.MemberFacts / OrganizationFacts), read from the database.

Always in bulk: one query per kind (events, tasks, ratings, posts) for the whole set of members
of a grassroots organization, never one per member, so the entry grid, the services and the
review screen keep a query count that does not grow with the number of members.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q

from cells.choices import EventKind, PostKind
from cells.models import Member, MemberEvent, Organization, Post

from . import rules
from .models import AssignedTask, MemberRating, OrganizationRating

# The only event kinds a member rule reads (M1, M2, M3).
RULE_EVENT_KINDS = (
    EventKind.DISCIPLINE,
    EventKind.EXEMPTION,
    EventKind.SUSPENSION,
    EventKind.SICK_LEAVE,
)


def _year_bounds(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), rules.default_period_end(year)


def _event_fact(event: MemberEvent) -> rules.EventFact:
    return rules.EventFact(
        kind=event.kind,
        start=event.start,
        end=event.end,
        discipline_form=event.discipline_form or None,
        self_remedied=event.self_remedied,
    )


def events_by_member(*, member_ids: Iterable[int], year: int) -> dict[int, list[rules.EventFact]]:
    """Events of the rule kinds that meet `year`, per member (one query).

    Open-ended events of earlier years are kept: an exemption may still hold on the period
    end; the rules themselves count a discipline only in the year of its date.
    """
    first, last = _year_bounds(year)
    found: dict[int, list[rules.EventFact]] = defaultdict(list)
    events = (
        MemberEvent.objects.filter(
            Q(end__isnull=True) | Q(end__gte=first),
            member_id__in=list(member_ids),
            kind__in=RULE_EVENT_KINDS,
            start__lte=last,
        )
        .only("member_id", "kind", "start", "end", "discipline_form", "self_remedied")
        .order_by("member_id", "start", "id")
    )
    for event in events:
        found[event.member_id].append(_event_fact(event))
    return found


def tasks_by_member(
    *, member_ids: Iterable[int], year: int
) -> dict[int, tuple[rules.TasksSummary, bool]]:
    """Each member's tasks of `year` summarised, and whether earlier shortcomings are remedied.

    A member with no task recorded is absent: the rules then leave the task conditions out.
    """
    results: dict[int, list[str]] = defaultdict(list)
    remedied: dict[int, bool] = defaultdict(lambda: True)
    rows = AssignedTask.objects.filter(member_id__in=list(member_ids), year=year).values_list(
        "member_id", "result", "shortcoming_remedied"
    )
    for member_id, result, shortcoming_remedied in rows:
        results[member_id].append(result)
        if shortcoming_remedied is False:
            remedied[member_id] = False
    return {
        member_id: (rules.TasksSummary.from_results(found), remedied[member_id])
        for member_id, found in results.items()
    }


def member_facts_for(
    *,
    year: int,
    members: Iterable[Member],
    ratings: Mapping[int, MemberRating] | None = None,
    points: Mapping[int, Decimal | None] | None = None,
) -> dict[int, rules.MemberFacts]:
    """MemberFacts of `year` for every member given, keyed by member id.

    `ratings` (the year's MemberRating per member id) supplies the civil-servant level and
    the points; it is read in one query when not given. `points` overrides the stored points
    for members whose row is being edited (the grid checks values before they are saved).
    """
    members = list(members)
    ids = [m.pk for m in members]
    if ratings is None:
        ratings = {
            r.member_id: r for r in MemberRating.objects.filter(year=year, member_id__in=ids)
        }
    points = points or {}
    events = events_by_member(member_ids=ids, year=year)
    tasks = tasks_by_member(member_ids=ids, year=year)
    facts = {}
    for member in members:
        rating = ratings.get(member.pk)
        summary, remedied = tasks.get(member.pk, (None, True))
        facts[member.pk] = rules.MemberFacts(
            member_id=member.pk,
            year=year,
            admitted_on=member.admitted_on,
            events=tuple(events.get(member.pk, ())),
            civil_servant_level=(rating.civil_servant_level or None) if rating else None,
            points=points.get(member.pk, rating.points if rating else None),
            tasks=summary,
            earlier_shortcomings_remedied=remedied,
        )
    return facts


def _effective_level(proposed: str, decided: str) -> str | None:
    """The level that counts for the organization rules: the decision once there is one."""
    return (decided or proposed) or None


def sub_units_of(*, organization: Organization, year: int) -> list[Organization]:
    """Direct sub-units of an organization that exist on the period end (one query)."""
    end = rules.default_period_end(year)
    return list(
        Organization.objects.get_children(organization)
        .filter(
            Q(established_on__isnull=True) | Q(established_on__lte=end),
            Q(dissolved_on__isnull=True) | Q(dissolved_on__gte=end),
        )
        .order_by("name_sort_key")
    )


def leadership_disciplines(*, organization: Organization, year: int) -> list[rules.EventFact]:
    """Disciplines in `year` of members holding a Party post in `organization` on that date."""
    first, last = _year_bounds(year)
    holds_post = Post.objects.filter(
        Q(start__isnull=True) | Q(start__lte=OuterRef("start")),
        Q(end__isnull=True) | Q(end__gte=OuterRef("start")),
        member_id=OuterRef("member_id"),
        organization=organization,
        kind=PostKind.PARTY,
    )
    events = MemberEvent.objects.filter(
        Exists(holds_post), kind=EventKind.DISCIPLINE, start__range=(first, last)
    ).order_by("start", "id")
    return [_event_fact(e) for e in events]


def organization_facts_for(
    *, organization: Organization, year: int, points: Decimal | None = None
) -> rules.OrganizationFacts:
    """OrganizationFacts of `year` for a cell or a grassroots organization (a few queries).

    A đảng bộ (an organization with sub-units) is judged on its sub-units' ratings, a chi bộ
    on its members' ratings (O1); the decided level counts once there is one.

    Not recorded in the database yet, so passed as none: disciplines of a leadership
    collective and of sub-units as organizations (O3/O4 on those grounds cannot trigger).
    """
    sub_units = sub_units_of(organization=organization, year=year)
    if sub_units:
        rows = OrganizationRating.objects.filter(year=year, organization__in=sub_units).values_list(
            "proposed_level", "decided_level"
        )
    else:
        rows = MemberRating.objects.filter(year=year, cell=organization).values_list(
            "proposed_level", "decided_level"
        )
    return rules.OrganizationFacts(
        organization_id=organization.pk,
        year=year,
        is_committee=bool(sub_units),
        established_on=organization.established_on,
        sub_levels=tuple(_effective_level(p, d) for p, d in rows),
        leadership_disciplines=tuple(leadership_disciplines(organization=organization, year=year)),
        sub_unit_count=len(sub_units),
        points=points,
    )
