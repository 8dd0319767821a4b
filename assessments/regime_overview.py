"""Read side of the deciding levels' set-up screens (2025–, DOMAIN §4.3): who falls in each peer
group and why, the groups' counts and quota, and the province's criteria items with their
sums. Bulk reads: a fixed number of queries whatever the size of the level (a commune of
≈ 1,700 members, or a province's groups).

The group of each member is the one the quota counts (peer_groups.member_groups: the group
stored on the rating, else a hand assignment, else the first matching rule); this module adds
the plain words of why.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from fractions import Fraction

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from cells.models import Member, Organization
from cells.selectors import members_of

from . import rules
from .choices import FormCategory, PeerGroupSubject
from .facts import posts_held_in_year
from .models import (
    MemberCategory,
    MemberRating,
    PeerGroup,
    PeerGroupAssignment,
    PointsItem,
    QuotaCeilingDecision,
)
from .peer_groups import member_groups
from .regime_selectors import AUDIENCE_COLLECTIVE
from .rules import category as rules_category
from .rules.ceilings import ceiling_for
from .schemes import Rank, RatingScheme


def _year_end(year: int) -> datetime.date:
    return datetime.date(year, 12, 31)


@dataclass(frozen=True)
class GroupMember:
    """One member of a peer group, their cell, why they are in it and their level."""

    member: Member
    cell: str
    how: str
    by_hand: bool
    level: str  # proposed (or decided) level slug, "" when none


@dataclass
class GroupLine:
    """A peer group (None: the members in no group) with its members and quota counts."""

    group: PeerGroup | None
    members: list[GroupMember] = field(default_factory=list)
    good: int = 0
    excellent: int = 0
    max_excellent: int | None = None
    ratio: Fraction | None = None
    ceiling: rules.QuotaCeiling | None = None

    @property
    def by_hand(self) -> int:
        return sum(m.by_hand for m in self.members)

    @property
    def exceeded(self) -> bool:
        return self.max_excellent is not None and self.excellent > self.max_excellent

    @property
    def percent(self) -> str:
        return "" if self.ratio is None else rules.percent_text(self.ratio)


def _ceilings_of(owner: Organization, year: int) -> list[rules.QuotaCeiling]:
    """The recorded decisions raising the ceilings of `owner`'s groups (on `owner` or above,
    as peer_groups counts them)."""
    step = Organization.steplen
    paths = [owner.path[: step * depth] for depth in range(1, owner.depth + 1)]
    return [
        rules.QuotaCeiling(
            organization_id=owner.pk,
            group=d.group.code if d.group_id else None,
            ratio=Fraction(d.percent, 100),
            reason=d.reason,
            decided_by=d.deciding_organization.name,
            decided_on=timezone.localtime(d.decided_at).date(),
        )
        for d in QuotaCeilingDecision.objects.filter(year=year, organization__path__in=paths)
        .select_related("group", "deciding_organization")
        .order_by("decided_at")
        if d.group_id is None or d.group.owner_id == owner.pk
    ]


def _how(group: PeerGroup, *, by_hand: bool, stored: bool, category: str, posts) -> str:
    if stored:
        return _("From the ratings file (nhom)")
    if by_hand:
        return _("Put in by hand")
    parts = []
    if group.rule_category and group.rule_category == category:
        parts.append(
            _("form %(code)s") % {"code": rules_category.CATEGORY_CODES.get(category, category)}
        )
    wanted = {t.strip().casefold() for t in group.rule_posts.split(";") if t.strip()}
    held = [p for p in posts if p.casefold() in wanted]
    if held:
        parts.append(_("post %(posts)s") % {"posts": ", ".join(held)})
    return _("By rule: %(what)s") % {"what": "; ".join(parts)} if parts else _("By rule")


def peer_group_lines(
    *, owner: Organization, year: int, scheme: RatingScheme
) -> tuple[list[GroupLine], int]:
    """Each peer group of `owner` for `year` with the members under `owner` in it (why, and
    their proposed level), its HTTNV/HTXSNV counts and the quota allowed (ceiling decisions
    applied); then the line of members in no group (counted per grassroots organization).
    Also returns the number of members under `owner` at the end of the year."""
    groups = list(
        PeerGroup.objects.filter(owner=owner, year=year, subject=PeerGroupSubject.MEMBERS)
    )
    members = list(
        members_of(organization=owner, on=_year_end(year), subtree=True).only(
            "id", "full_name", "record_number", "name_sort_key", "birth_date"
        )
    )
    ids = [m.pk for m in members]
    cells = dict(
        Organization.objects.filter(pk__in={m.cell_id for m in members}).values_list("pk", "name")
    )
    ratings = {
        mid: (decided or proposed, group)
        for mid, proposed, decided, group in MemberRating.objects.filter(
            year=year, member_id__in=ids
        ).values_list("member_id", "proposed_level", "decided_level", "group")
    }
    stored = {mid: g for mid, (_lv, g) in ratings.items() if g}
    codes = member_groups(owner=owner, year=year, member_ids=ids, stored=stored, groups=groups)
    hands = set(
        PeerGroupAssignment.objects.filter(group__in=groups, member_id__in=ids).values_list(
            "member_id", "group__code"
        )
    )
    categories = dict(
        MemberCategory.objects.filter(year=year, member_id__in=ids).values_list(
            "member_id", "category"
        )
    )
    posts = posts_held_in_year(member_ids=ids, year=year) if groups else {}
    by_code = {g.code: GroupLine(group=g) for g in groups}
    rest = GroupLine(group=None)
    for m in members:
        code = codes.get(m.pk)
        line = by_code.get(code or "", rest)
        level = ratings.get(m.pk, ("", ""))[0]
        how = ""
        if line.group is not None:
            how = _how(
                line.group,
                by_hand=(m.pk, code) in hands,
                stored=stored.get(m.pk) == code,
                category=categories.get(m.pk, ""),
                posts=[p.title for p in posts.get(m.pk, ())],
            )
        line.members.append(
            GroupMember(
                member=m,
                cell=cells.get(m.cell_id, ""),
                how=how,
                by_hand=(m.pk, code) in hands,
                level=level,
            )
        )
    lines = [*by_code.values(), rest]
    _count(lines, scheme=scheme, owner=owner, year=year)
    return lines, len(members)


def _count(lines: list[GroupLine], *, scheme: RatingScheme, owner: Organization, year: int):
    base = scheme.quota_ratio
    ceilings = _ceilings_of(owner, year)
    for line in lines:
        for gm in line.members:
            if gm.level and scheme.is_member_level(gm.level):
                rank = scheme.level(gm.level).rank
                line.good += rank == Rank.GOOD
                line.excellent += rank == Rank.EXCELLENT
        if base is None or line.group is None:
            # The rest is counted per grassroots organization: one line cannot say it.
            continue
        line.ceiling = ceiling_for(ceilings, owner.pk, line.group.code)
        line.ratio = line.ceiling.ratio if line.ceiling else base
        line.max_excellent = line.good * line.ratio.numerator // line.ratio.denominator


def peer_group_get(*, owner: Organization, year: int, pk) -> PeerGroup:
    """One group of `owner` for `year` (the owner already scoped): anything else is a 404."""
    try:
        return PeerGroup.objects.get(owner=owner, year=year, pk=pk)
    except (PeerGroup.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def member_under_get(*, owner: Organization, year: int, record_number: str) -> Member | None:
    """The member with `record_number` under `owner` at the end of `year`, or None (never a
    member of another unit: the message must not say that one exists)."""
    record_number = (record_number or "").strip().upper()
    if not record_number:
        return None
    return (
        members_of(organization=owner, on=_year_end(year), subtree=True)
        .filter(record_number=record_number)
        .first()
    )


@dataclass
class ItemsAudience:
    """The items one audience is scored on (those for everyone plus its own), with the sum
    check of each part (rules.items_problems)."""

    audience: str
    label: str
    items: list[PointsItem]
    problems: list[str]


def _audience_label(audience: str) -> str:
    if audience == AUDIENCE_COLLECTIVE:
        return _("Collectives (Mẫu 01)")
    return str(dict(FormCategory.choices).get(audience, _("Every subject")))


def points_items_overview(*, province: Organization, year: int) -> tuple[list, list[ItemsAudience]]:
    """The province's items of `year` (one query) and, per audience, whether its items add up
    to 30 and 70 points. With no item at all the default one-item-per-part applies."""
    items = list(PointsItem.objects.filter(province=province, year=year))
    for item in items:
        item.audience_label = _audience_label(item.audience)
    audiences = sorted({i.audience for i in items if i.audience})
    checks = []
    # The items for every subject are what the subjects without their own items use.
    for audience in ["", *audiences]:
        own = [i for i in items if i.audience in ("", audience)]
        specs = [
            rules.PointsItemSpec(
                key=str(i.pk), part=i.part, name=i.name, max_points=i.max_points, scoring=i.scoring
            )
            for i in own
        ]
        checks.append(
            ItemsAudience(
                audience=audience,
                label=_audience_label(audience),
                items=own,
                problems=rules.items_problems(specs) if items else [],
            )
        )
    return items, checks


def member_under_pk(*, owner: Organization, year: int, pk: int) -> Member:
    """A member under `owner` at the end of `year` by id; anything else is a 404."""
    found = members_of(organization=owner, on=_year_end(year), subtree=True).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found
