"""Which self-review form (Mẫu 2A / 2B / 2C) each member fills in for a year: ONE selector
for every form that prints it.

The category is a recorded fact per member and year (`MemberCategory`, recorded by the
committee; assessments.regime_selectors reads it with the suggestion beside it). Where none
is recorded yet, the form is the suggestion, and the printed form says it is one — never
presented as the committee's choice. With no suggestion either (no post, no occupation
recorded: a hamlet cell's retiree or farmer, typically) the form is the one for members
outside the political system.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cells.models import Member

from . import schemes
from .regime_selectors import member_categories_for


@dataclass(frozen=True)
class FormCategory:
    form: schemes.SelfReviewForm
    recorded: bool  # False: a suggestion, not yet recorded by the committee
    reason: str = ""  # why the suggestion (empty when recorded)


def _form_for(scheme: schemes.RatingScheme, audience: str) -> schemes.SelfReviewForm:
    return scheme.self_review_form_for(
        is_leader=audience == schemes.AUDIENCE_LEADER,
        in_political_system=audience != schemes.AUDIENCE_OUTSIDE_POLITICAL_SYSTEM,
    )


def form_categories_for(*, members: Iterable[Member], year: int) -> dict[int, FormCategory]:
    """The self-review form of each member for `year` (two queries for any number)."""
    scheme = schemes.scheme_for_year(year)
    found = {}
    for member_id, view in member_categories_for(members=members, year=year).items():
        if view.category:
            found[member_id] = FormCategory(form=_form_for(scheme, view.category), recorded=True)
            continue
        audience = view.suggestion.category or schemes.AUDIENCE_OUTSIDE_POLITICAL_SYSTEM
        found[member_id] = FormCategory(
            form=_form_for(scheme, audience), recorded=False, reason=view.suggestion.reason
        )
    return found
