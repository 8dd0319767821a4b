"""Read-side queries of the cells app. Every one is scoped through `organizations_visible_to`."""

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Substr
from django.http import Http404
from django.utils import timezone

from .choices import CELL_TYPES, COMMUNE_LEVEL_TYPES, EventKind
from .models import Member, MemberEvent, Membership, Organization, ResidentialUnit
from .permissions import role_paths


def organization_paths_visible_to(user) -> list[str] | None:
    """Root paths of the user's subtrees, or None for "everything" (superusers)."""
    if getattr(user, "is_superuser", False):
        return None
    paths = sorted({path for path, _role in role_paths(user)})
    # Drop paths nested in another one: the prefix test already covers them.
    roots: list[str] = []
    for path in paths:
        if not any(path.startswith(root) for root in roots):
            roots.append(path)
    return roots


def _path_q(paths: list[str], field: str = "path") -> Q:
    q = Q(pk__in=[])
    for path in paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


def organizations_visible_to(*, user) -> QuerySet[Organization]:
    """All organizations in the subtrees the user holds an active role on."""
    qs = Organization.objects.all()
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    paths = organization_paths_visible_to(user)
    return qs if paths is None else qs.filter(_path_q(paths))


def organization_get(*, user, pk) -> Organization:
    """One organization the user may see; anything else is a 404, never a 403."""
    try:
        return organizations_visible_to(user=user).get(pk=pk)
    except (Organization.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def organization_roots_for(*, user) -> QuerySet[Organization]:
    """The top nodes of the user's visible tree (where the tree screen starts)."""
    paths = organization_paths_visible_to(user)
    if paths is None:
        return Organization.objects.get_root_nodes()
    return Organization.objects.filter(path__in=paths).order_by("path")


def organization_children(*, organization: Organization) -> QuerySet[Organization]:
    return Organization.objects.get_children(organization).order_by("dissolved_on", "name_sort_key")


def organization_search(*, user, text: str) -> QuerySet[Organization]:
    text = text.strip()
    qs = organizations_visible_to(user=user)
    if not text:
        return qs.none()
    return qs.filter(Q(name__icontains=text) | Q(code__icontains=text)).order_by(
        "dissolved_on", "name_sort_key"
    )


def organization_subtree(*, organization: Organization) -> QuerySet[Organization]:
    return Organization.objects.filter(path__startswith=organization.path)


def members_visible_to(*, user) -> QuerySet[Member]:
    """Members who belong or belonged to a cell the user can see."""
    visible = organizations_visible_to(user=user)
    return Member.objects.filter(
        Exists(Membership.objects.filter(member=OuterRef("pk"), organization__in=visible))
    )


def member_get(*, user, pk) -> Member:
    try:
        return members_visible_to(user=user).get(pk=pk)
    except (Member.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def _event_active_on(kind: str, day: datetime.date):
    return MemberEvent.objects.filter(
        Q(end__isnull=True) | Q(end__gte=day), member=OuterRef("pk"), kind=kind, start__lte=day
    )


def members_of(
    *, organization: Organization, on: datetime.date | None = None, subtree: bool = False
) -> QuerySet[Member]:
    """Members of a cell (or of a whole subtree) on a date, in Vietnamese name order.

    Each carries its state on that day: `is_exempt`, `is_suspended`, `on_sick_leave`,
    `on_maternity_leave`, and `cell_id` (the cell they belonged to then).
    """
    day = on or timezone.localdate()
    memberships = Membership.objects.filter(Q(end__isnull=True) | Q(end__gte=day), start__lte=day)
    if subtree:
        memberships = memberships.filter(organization__path__startswith=organization.path)
    else:
        memberships = memberships.filter(organization=organization)
    current = memberships.filter(member=OuterRef("pk"))
    return (
        Member.objects.filter(Exists(current))
        .annotate(
            # Latest membership first, and no default ordering: Membership orders by member,
            # which would join cells_member inside the subquery on every row.
            cell_id=current.order_by("-start", "-pk").values("organization_id")[:1],
            is_exempt=Exists(_event_active_on(EventKind.EXEMPTION, day)),
            is_suspended=Exists(_event_active_on(EventKind.SUSPENSION, day)),
            on_sick_leave=Exists(_event_active_on(EventKind.SICK_LEAVE, day)),
            on_maternity_leave=Exists(_event_active_on(EventKind.MATERNITY_LEAVE, day)),
        )
        .order_by("name_sort_key", "pk")
    )


@dataclass(frozen=True)
class OrganizationCounts:
    cells: int
    members: int


def cells_under(*, organization: Organization, on: datetime.date | None = None):
    """The cells of a subtree that exist on `on` (all of them, historical ones too, if None)."""
    qs = organization_subtree(organization=organization).filter(type__in=CELL_TYPES)
    if on is not None:
        qs = qs.existing_on(on)
    return qs.order_by("name_sort_key")


def member_visible_until(*, user, member: Member, memberships=None) -> datetime.date | None:
    """The last day of the member's record `user` may read, or None for "all of it".

    A unit sees a member while one of its cells holds them; after the member moved to a
    unit out of its sight the former unit keeps the years the member spent there and nothing
    later: not the new cell, not the events or changes recorded there (#19, finding 1).
    A member who left the Party (death, removal) stays their last cell's to keep.
    `memberships` may be passed when the caller has them loaded (with their organization).
    """
    roots = organization_paths_visible_to(user)
    if roots is None:
        return None
    if memberships is None:
        memberships = member.memberships.select_related("organization")
    memberships = list(memberships)
    ends = [
        m.end for m in memberships if any(m.organization.path.startswith(root) for root in roots)
    ]
    if not ends or any(end is None for end in ends):
        return None
    until = max(ends)
    return until if any(m.start > until for m in memberships) else None


def member_history(*, member: Member):
    """Memberships and events of one member, oldest first, for the member page."""
    memberships = member.memberships.select_related("organization").order_by("start")
    events = member.events.order_by("start", "id")
    return memberships, events


def member_posts(*, user, member: Member, until: datetime.date | None = None):
    """The member's posts; with a cut-off, only those held in units the user sees and begun
    by that day (a post in the new unit names it)."""
    # Post's own order less its first key: one member's posts need no join to cells_member
    # to sort them by the member's name.
    posts = member.posts.select_related("organization").order_by("kind", "title")
    if until is not None:
        posts = posts.filter(
            Q(organization__isnull=True) | Q(organization__in=organizations_visible_to(user=user)),
            Q(start__isnull=True) | Q(start__lte=until),
        )
    return posts


def organization_ancestors_visible(
    *, user, organizations: list[Organization]
) -> dict[int, list[Organization]]:
    """Each node's ancestors that the user can see, top first, in one query for all nodes.

    Breadcrumbs and search hits show where a unit sits without leaking the levels above
    the user's own subtree.
    """
    steplen = Organization.steplen
    wanted = {
        node.path[: steplen * depth] for node in organizations for depth in range(1, node.depth)
    }
    if not wanted:
        return {node.pk: [] for node in organizations}
    by_path = {
        o.path: o for o in organizations_visible_to(user=user).filter(path__in=sorted(wanted))
    }
    return {
        node.pk: [
            by_path[node.path[: steplen * depth]]
            for depth in range(1, node.depth)
            if node.path[: steplen * depth] in by_path
        ]
        for node in organizations
    }


def member_counts_by_child(
    *, organization: Organization, on: datetime.date | None = None
) -> dict[str, int]:
    """Current members under each child of `organization`, keyed by the child's path.

    One aggregated query over the subtree's memberships (grouped by the child's path prefix),
    whatever the number of children.
    """
    day = on or timezone.localdate()
    prefix_len = len(organization.path) + Organization.steplen
    rows = (
        Membership.objects.filter(
            Q(end__isnull=True) | Q(end__gte=day),
            start__lte=day,
            organization__path__startswith=organization.path,
            organization__depth__gt=organization.depth,
        )
        .annotate(branch=Substr("organization__path", 1, prefix_len))
        .values("branch")
        .annotate(n=Count("member", distinct=True))
        .order_by()
    )
    return {row["branch"]: row["n"] for row in rows}


def residential_units_for(*, organization: Organization):
    """Residential units a cell covers, or, for a commune-level unit, all of its units
    with their covering cell (a unit with no cell is a gap the commune should close)."""
    if organization.type in COMMUNE_LEVEL_TYPES:
        return ResidentialUnit.objects.filter(commune=organization).select_related("cell")
    return ResidentialUnit.objects.filter(cell=organization).select_related("commune")
