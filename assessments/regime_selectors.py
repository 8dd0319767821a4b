"""Read side of the 2025– regime facts: form categories with their suggestion, peer groups,
quota state per group, ceiling decisions, score sheets (DOMAIN §4.3).

Bulk reads: one query per kind for the whole set of members of a unit, so the entry grid and
the review screen keep a query count that does not grow with the number of members.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Q

from cells.choices import PROVINCIAL_TYPES, PostKind
from cells.models import Member, Membership, Organization, Post

from . import rules
from .facts import held_in_year, posts_held_in_year, tasks_by_member
from .models import MemberCategory, PointsItem, ScoreSheet
from .rules import category as rules_category


def post_titles_in_year(*, member_ids: Iterable[int], year: int) -> dict[int, list[str]]:
    """The titles of `posts_held_in_year`, read as tuples (what the peer-group rules match)."""
    found: dict[int, list[str]] = defaultdict(list)
    rows = (
        Post.objects.filter(held_in_year(year), member_id__in=list(member_ids))
        .order_by("member_id", "kind", "start", "id")
        .values_list("member_id", "title")
    )
    for member_id, title in rows:
        found[member_id].append(title)
    return found


@dataclass(frozen=True)
class MemberCategoryView:
    """A member's form category of the year as recorded, and what the facts suggest."""

    member_id: int
    recorded: MemberCategory | None
    suggestion: rules_category.CategorySuggestion

    @property
    def category(self) -> str | None:
        """The recorded category; None until the committee records one (never the guess)."""
        return self.recorded.category if self.recorded else None

    @property
    def code(self) -> str:
        """ "2A", "2B", "2C" of the recorded category, "" when none is recorded."""
        return rules_category.CATEGORY_CODES.get(self.category or "", "")

    @property
    def differs_from_suggestion(self) -> bool:
        return (
            self.recorded is not None
            and self.suggestion.category is not None
            and self.suggestion.category != self.recorded.category
        )


def category_basis(member: Member, posts: Iterable[Post]) -> rules_category.CategoryBasis:
    posts = list(posts)
    return rules_category.CategoryBasis(
        party_posts=tuple(p.title for p in posts if p.kind == PostKind.PARTY),
        government_posts=tuple(
            p.title for p in posts if p.kind == PostKind.GOVERNMENT and not p.is_hamlet_head
        ),
        hamlet_head=any(p.is_hamlet_head for p in posts),
        occupation=member.occupation or "",
    )


def member_categories_for(
    *,
    members: Iterable[Member],
    year: int,
    posts: dict[int, list[Post]] | None = None,
) -> dict[int, MemberCategoryView]:
    """Each member's recorded category of `year` and the suggestion beside it (two queries;
    one when the caller read `posts_held_in_year`)."""
    members = list(members)
    ids = [m.pk for m in members]
    # Into a dict: the default ordering (year, member name) joined cells_member to sort them.
    recorded = {
        c.member_id: c
        for c in MemberCategory.objects.filter(year=year, member_id__in=ids).order_by()
    }
    if posts is None:
        posts = posts_held_in_year(member_ids=ids, year=year)
    return {
        m.pk: MemberCategoryView(
            member_id=m.pk,
            recorded=recorded.get(m.pk),
            suggestion=rules_category.suggest_form_category(category_basis(m, posts.get(m.pk, ()))),
        )
        for m in members
    }


def member_category_for(*, member: Member, year: int) -> MemberCategoryView:
    """One member's `member_categories_for` (the forms of a single member)."""
    return member_categories_for(members=[member], year=year)[member.pk]


def member_cell_at_year_end(*, member: Member, year: int) -> Organization | None:
    """The cell `member` belonged to on 31/12 of `year`, where they are rated (one query)."""
    end = rules.year_bounds(year)[1]
    membership = (
        Membership.objects.filter(Q(end__isnull=True) | Q(end__gte=end), member=member)
        .filter(start__lte=end)
        .select_related("organization")
        .order_by("-start")
        .first()
    )
    return membership.organization if membership else None


@dataclass(frozen=True)
class PointsPartsView:
    """One member's score sheets by stage (self, cell, committee) and the ledger's suggestion
    for the 70 part — what the grid shows beside the points."""

    member_id: int
    sheets: dict
    suggested_tasks: object  # Decimal | None


def points_parts_for(
    *,
    round,  # noqa: A002
    member_ids: Iterable[int] | None = None,
    ledger: dict | None = None,
) -> dict:
    """Score sheets of a round's member ratings by member and stage, with the 70-point
    suggestion from each member's task ledger (two queries; one when the caller already
    read the ledger, `facts.tasks_by_member`'s shape)."""
    sheets: dict[int, dict] = defaultdict(dict)
    qs = ScoreSheet.objects.filter(member_rating__round=round).annotate(
        member_id=F("member_rating__member_id")
    )
    if member_ids is not None:
        member_ids = list(member_ids)
        qs = qs.filter(member_rating__member_id__in=member_ids)
    for sheet in qs.order_by():
        sheets[sheet.member_id][sheet.stage] = sheet
    ids = list(member_ids) if member_ids is not None else list(sheets)
    if ledger is None:
        ledger = tasks_by_member(member_ids=ids, year=round.year)
    return {
        mid: PointsPartsView(
            member_id=mid,
            sheets=sheets.get(mid, {}),
            suggested_tasks=rules.suggest_task_points(
                ledger[mid][0].counts if mid in ledger else None
            ),
        )
        for mid in ids
    }


# PointsItem.audience of the collectives' items (Phụ lục 1); members' are form categories.
AUDIENCE_COLLECTIVE = "collective"


def points_items_for(*, organization: Organization, year: int, audience: str | None = None) -> list:
    """The criteria items of the 30 + 70 points for `organization`'s province and `year`
    (rules.DEFAULT_ITEMS, one item per part, when the province set none).

    `audience` (a form category, or "collective"): only the items for every subject and
    those for that audience (Phụ lục 1, 3–5 differ by subject); None: every item."""
    # The province is the unit's first ancestor of a provincial type: the root of a province's
    # own installation, one level below the national root of a central one.
    step = Organization.steplen
    ancestors = [organization.path[:end] for end in range(step, len(organization.path) + 1, step)]
    items = PointsItem.objects.filter(
        province__path__in=ancestors, province__type__in=PROVINCIAL_TYPES, year=year
    ).order_by("part", "order", "id")
    if audience is not None:
        items = items.filter(Q(audience="") | Q(audience=audience))
    found = [
        rules.PointsItemSpec(
            key=str(i.pk), part=i.part, name=i.name, max_points=i.max_points, scoring=i.scoring
        )
        for i in items
    ]
    return found or list(rules.DEFAULT_ITEMS)
