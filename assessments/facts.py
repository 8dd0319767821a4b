"""The facts the pure rules need (rules.MemberFacts / OrganizationFacts), read from the database.

Always in bulk: one query per kind (events, tasks, ratings, posts) for the whole set of members
of a grassroots organization, never one per member, so the entry grid, the services and the
review screen keep a query count that does not grow with the number of members.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.db.models import Q

from cells.choices import EventKind, PostKind
from cells.models import Member, MemberEvent, Organization, OrganizationDiscipline, Post

from . import rules
from .models import AssignedTask, MemberRating, OrganizationRating

# The only event kinds a member rule reads (M1, M2, M3).
RULE_EVENT_KINDS = (
    EventKind.DISCIPLINE,
    EventKind.EXEMPTION,
    EventKind.SUSPENSION,
    EventKind.SICK_LEAVE,
)


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
    first, last = rules.year_bounds(year)
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
    rows = (
        AssignedTask.objects.filter(member_id__in=list(member_ids), year=year)
        .order_by()  # counted, not listed: the default ordering only sorted them
        .values_list("member_id", "result", "shortcoming_remedied", "not_done_remedied")
    )
    return _summarise_tasks(rows)


def _summarise_tasks(rows) -> dict[int, tuple[rules.TasksSummary, bool]]:
    """(owner, result, shortcoming remedied, not done but self-remedied) rows → per owner."""
    results: dict[int, list[str]] = defaultdict(list)
    remedied: dict[int, bool] = defaultdict(lambda: True)
    self_remedied: dict[int, int] = defaultdict(int)
    for owner_id, result, shortcoming_remedied, not_done_remedied in rows:
        results[owner_id].append(result)
        if shortcoming_remedied is False:
            remedied[owner_id] = False
        if not_done_remedied and result == rules.TASK_NOT_DONE:
            self_remedied[owner_id] += 1
    return {
        owner_id: (
            rules.TasksSummary.from_results(found, not_done_remedied=self_remedied[owner_id]),
            remedied[owner_id],
        )
        for owner_id, found in results.items()
    }


def member_facts_for(
    *,
    year: int,
    members: Iterable[Member],
    ratings: Mapping[int, MemberRating] | None = None,
    points: Mapping[int, Decimal | None] | None = None,
    posts: Mapping[int, list[Post]] | None = None,
) -> dict[int, rules.MemberFacts]:
    """MemberFacts of `year` for every member given, keyed by member id.

    `ratings` (the year's MemberRating per member id) supplies the civil-servant level and
    the points; it is read in one query when not given. `points` overrides the stored points
    for members whose row is being edited (the grid checks values before they are saved).
    `posts`: every post each member held in `year`, with its organization, when the caller
    read them (the grid reads them once for the led units and the form categories).
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
    led, led_tasks = (
        led_units_by_member(member_ids=ids, year=year, with_tasks=True, posts=posts)
        if year >= LED_UNIT_FROM_YEAR
        else ({}, {})
    )
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
            led_units=tuple(led.get(member.pk, ())),
            led_unit_tasks=tuple(led_tasks.get(member.pk, ())),
        )
    return facts


# Điều 11 of Quy định 366 (2025–): a leader's HTXSNV needs their unit's too.
LED_UNIT_FROM_YEAR = 2025
_HEAD_TITLES = ("bí thư", "phó bí thư")


def is_head_title(title: str) -> bool:
    """A post that heads its unit (bí thư, phó bí thư), whatever the spacing and case."""
    return " ".join(title.casefold().split()).startswith(_HEAD_TITLES)


def held_in_year(year: int) -> Q:
    """Posts held on some day of `year` (an undated start or end counts as open)."""
    first, last = rules.year_bounds(year)
    return (Q(start__isnull=True) | Q(start__lte=last)) & (Q(end__isnull=True) | Q(end__gte=first))


def posts_held_in_year(
    *, member_ids: Iterable[int], year: int, with_organization: bool = False
) -> dict[int, list[Post]]:
    """The posts each member held on some day of `year`, one query; `with_organization` loads
    each post's organization (what `led_units_by_member` names)."""
    found: dict[int, list[Post]] = defaultdict(list)
    posts = Post.objects.filter(held_in_year(year), member_id__in=list(member_ids)).order_by(
        "member_id", "kind", "start", "id"
    )
    if with_organization:
        posts = posts.select_related("organization")
    for post in posts:
        found[post.member_id].append(post)
    return found


def led_units_by_member(
    *,
    member_ids: Iterable[int],
    year: int,
    with_tasks: bool = False,
    posts: Mapping[int, list[Post]] | None = None,
):
    """The units each member heads (bí thư, phó bí thư) on some day of `year`, with the
    unit's level of the year (two queries; one when `posts`, `posts_held_in_year` with the
    organizations, is given).

    With `with_tasks`, also (a third query) each such unit's own task ledger of the year by
    name — only the units that keep one: (levels by member, tasks by member)."""
    member_ids = list(member_ids)
    if posts is None:
        posts = posts_held_in_year(member_ids=member_ids, year=year, with_organization=True)
    # Post's own order (member, kind, title): the led units come in the same order.
    party_posts = sorted(
        (
            p
            for mid in member_ids
            for p in posts.get(mid, ())
            if p.kind == PostKind.PARTY and p.organization_id is not None
        ),
        key=lambda p: (p.member_id, p.kind, p.title),
    )
    posts = [p for p in party_posts if is_head_title(p.title)]
    levels = {
        org_id: _effective_level(proposed, decided)
        for org_id, proposed, decided in OrganizationRating.objects.filter(
            year=year, organization_id__in={p.organization_id for p in posts}
        )
        # Read into a dict: the default ordering (round, unit name) only joined two tables.
        .order_by()
        .values_list("organization_id", "proposed_level", "decided_level")
    }
    found: dict[int, list[tuple[str, str | None]]] = defaultdict(list)
    for post in posts:
        unit = (post.organization.name, levels.get(post.organization_id))
        if unit not in found[post.member_id]:
            found[post.member_id].append(unit)
    if not with_tasks:
        return found
    ledgers = organization_tasks(organization_ids={p.organization_id for p in posts}, year=year)
    tasks: dict[int, list[tuple[str, rules.TasksSummary]]] = defaultdict(list)
    for post in posts:
        if post.organization_id in ledgers:
            unit_tasks = (post.organization.name, ledgers[post.organization_id][0])
            if unit_tasks not in tasks[post.member_id]:
                tasks[post.member_id].append(unit_tasks)
    return found, tasks


def _effective_level(proposed: str, decided: str) -> str | None:
    """The level that counts for the organization rules: the decision once there is one."""
    return (decided or proposed) or None


def organization_facts_for(
    *, organization: Organization, year: int, points: Decimal | None = None
) -> rules.OrganizationFacts:
    """OrganizationFacts of `year` for one cell or grassroots organization."""
    return organizations_facts_for(
        organizations=[organization], year=year, points={organization.pk: points}
    )[organization.pk]


def organizations_facts_for(
    *,
    organizations: Iterable[Organization],
    year: int,
    points: Mapping[int, Decimal | None] | None = None,
) -> dict[int, rules.OrganizationFacts]:
    """OrganizationFacts of `year` for several organizations at once, by id (seven queries,
    however many: deciding a round checks every cell of it).

    A đảng bộ (an organization with sub-units) is judged on its sub-units' ratings, a chi bộ
    on its members' ratings (O1); the decided level counts once there is one.

    Disciplines of organizations (cells.OrganizationDiscipline, dated) count in the year of
    their date: the organization's own (its committee or itself) as the collective's (O3/O4),
    its sub-units' as disciplined sub-units (O3's 20%, O4). Its own tasks
    (AssignedTask.organization) feed the Điều 11 conditions (2025–).
    """
    organizations = list(organizations)
    points = points or {}
    if not organizations:
        return {}
    first, last = rules.year_bounds(year)
    by_path = {o.path: o for o in organizations}
    by_id = {o.pk: o for o in organizations}
    children = (
        Organization.objects.existing_on(last)
        .filter(depth__in={o.depth + 1 for o in organizations})
        .filter(_path_prefixes(by_path))
    )
    sub_units: dict[int, list[int]] = defaultdict(list)
    for child in children.only("id", "path", "depth"):
        parent = by_path.get(child.path[: -Organization.steplen])
        if parent is not None:
            sub_units[parent.pk].append(child.pk)
    child_parent = {c: parent for parent, cs in sub_units.items() for c in cs}
    levels: dict[int, list[str | None]] = defaultdict(list)
    for org_id, proposed, decided in OrganizationRating.objects.filter(
        year=year, organization_id__in=child_parent
    ).values_list("organization_id", "proposed_level", "decided_level"):
        levels[child_parent[org_id]].append(_effective_level(proposed, decided))
    cells = [o.pk for o in organizations if o.pk not in sub_units]
    for cell_id, proposed, decided in MemberRating.objects.filter(
        year=year, cell_id__in=cells
    ).values_list("cell_id", "proposed_level", "decided_level"):
        levels[cell_id].append(_effective_level(proposed, decided))
    disciplines = _leadership_disciplines_by_organization(
        organization_ids=[o.pk for o in organizations], first=first, last=last
    )
    own_ids = [o.pk for o in organizations]
    collective: dict[int, list[rules.EventFact]] = defaultdict(list)
    disciplined_children: dict[int, set[int]] = defaultdict(set)
    for org_id, form, day in OrganizationDiscipline.objects.filter(
        organization_id__in=[*own_ids, *child_parent], decided_on__range=(first, last)
    ).values_list("organization_id", "form", "decided_on"):
        if org_id in child_parent:
            disciplined_children[child_parent[org_id]].add(org_id)
        if org_id in by_id:
            collective[org_id].append(
                rules.EventFact(kind=rules.EVENT_DISCIPLINE, start=day, discipline_form=form)
            )
    tasks = organization_tasks(organization_ids=own_ids, year=year)
    return {
        o.pk: rules.OrganizationFacts(
            organization_id=o.pk,
            year=year,
            is_committee=bool(sub_units.get(o.pk)),
            established_on=o.established_on,
            sub_levels=tuple(levels.get(o.pk, ())),
            leadership_disciplines=tuple(disciplines.get(o.pk, ())),
            collective_disciplines=tuple(collective.get(o.pk, ())),
            sub_unit_count=len(sub_units.get(o.pk, ())),
            disciplined_sub_unit_count=len(disciplined_children.get(o.pk, ())),
            points=points.get(o.pk),
            tasks=tasks.get(o.pk, (None, True))[0],
            earlier_shortcomings_remedied=tasks.get(o.pk, (None, True))[1],
        )
        for o in organizations
    }


def organization_tasks(
    *, organization_ids: Iterable[int], year: int
) -> dict[int, tuple[rules.TasksSummary, bool]]:
    """Each organization's own tasks of `year` summarised (one query), as `tasks_by_member`."""
    rows = (
        AssignedTask.objects.filter(organization_id__in=list(organization_ids), year=year)
        .order_by()
        .values_list("organization_id", "result", "shortcoming_remedied", "not_done_remedied")
    )
    return _summarise_tasks(rows)


def _path_prefixes(by_path: Mapping[str, Organization]) -> Q:
    q = Q(pk__in=[])
    for path in by_path:
        q |= Q(path__startswith=path)
    return q


def _leadership_disciplines_by_organization(
    *, organization_ids: list[int], first: datetime.date, last: datetime.date
) -> dict[int, list[rules.EventFact]]:
    """Disciplines between `first` and `last` of members holding a Party post in each
    organization on the day of the discipline (two queries)."""
    posts = defaultdict(list)
    for post in Post.objects.filter(organization_id__in=organization_ids, kind=PostKind.PARTY).only(
        "member_id", "organization_id", "start", "end"
    ):
        posts[post.member_id].append(post)
    events = MemberEvent.objects.filter(
        member_id__in=posts, kind=EventKind.DISCIPLINE, start__range=(first, last)
    ).order_by("start", "id")
    found: dict[int, list[rules.EventFact]] = defaultdict(list)
    for event in events:
        for post in posts[event.member_id]:
            held = (post.start is None or post.start <= event.start) and (
                post.end is None or post.end >= event.start
            )
            if held and event not in found[post.organization_id]:
                found[post.organization_id].append(event)
    return {org: [_event_fact(e) for e in evs] for org, evs in found.items()}
