"""Which self-review form (Mẫu 2A / 2B / 2C) each member uses in a year: ONE selector.

The category is a recorded fact per member and year (Hướng dẫn 43; the committee edits it).
Until that record exists for a member, the form is suggested from the year's posts and the
printed form says it is a suggestion — it is never presented as the committee's choice.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Q

from cells.choices import PostKind
from cells.models import Post

from . import rules, schemes


@dataclass(frozen=True)
class FormCategory:
    form: schemes.SelfReviewForm
    recorded: bool  # False: suggested from the posts, not yet confirmed by the committee


def _posts_in_year(member_ids: list[int], year: int) -> dict[int, set[str]]:
    end = rules.default_period_end(year)
    start = datetime.date(year, 1, 1)
    kinds: dict[int, set[str]] = {}
    for member_id, kind in Post.objects.filter(
        Q(start__isnull=True) | Q(start__lte=end),
        Q(end__isnull=True) | Q(end__gte=start),
        member_id__in=member_ids,
    ).values_list("member_id", "kind"):
        kinds.setdefault(member_id, set()).add(kind)
    return kinds


def form_categories_for(*, member_ids: list[int], year: int) -> dict[int, FormCategory]:
    """The self-review form of each member for `year` (one or two queries for any number)."""
    scheme = schemes.scheme_for_year(year)
    recorded = _recorded_categories(member_ids, year)
    posts = _posts_in_year([m for m in member_ids if m not in recorded], year)
    found = {}
    for member_id in member_ids:
        audience = recorded.get(member_id)
        if audience is not None:
            form = next((f for f in scheme.self_review_forms if f.audience == audience), None)
            if form is not None:
                found[member_id] = FormCategory(form=form, recorded=True)
                continue
        held = posts.get(member_id, set())
        form = scheme.self_review_form_for(
            is_leader=PostKind.PARTY in held, in_political_system=bool(held)
        )
        found[member_id] = FormCategory(form=form, recorded=False)
    return found


def _recorded_categories(member_ids: list[int], year: int) -> dict[int, str]:
    """The recorded category (a schemes.AUDIENCE_* slug) per member, where there is one.

    The record is helper "rules"' model of issue #14, not on main yet: read it here when it
    lands; until then every member's form is a suggestion.
    """
    return {}
