"""The 2025– quota's peer groups and its 25% ceiling (Quy định 366-QĐ/TW, Điều 11). Pure.

HTXSNV may not exceed 20% of those rated HTTNV within a peer group (subjects of similar
position, role, function and task) as the competent level decides; the competent level may
allow up to 25% for an organization with outstanding results by a reasoned, recorded
decision. It applies to collectives as well as to individuals. The counting itself is
`rules.quota_counts` / `rules.quota_violations` (Q1); this module says which group a subject
is counted in and whether a ceiling decision is valid (Q2).

Decisions: a subject put in a group by hand stays there; otherwise the first group (by its
order) whose rule matches takes it — a rule names a form category, post titles, or both
(both must then hold); a group with no rule takes only subjects put there by hand. A subject
in no group is counted per grassroots organization (the default scope).
"""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

from assessments.schemes import RAISED_QUOTA_CEILING


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerGroupRule:
    """A peer group of the deciding level and the rule that puts subjects in it."""

    code: str
    name: str = ""
    category: str | None = None
    posts: tuple[str, ...] = ()
    order: int = 0

    def matches(self, *, category: str | None, post_titles: Iterable[str]) -> bool:
        if self.category is None and not self.posts:
            return False
        if self.category is not None and category != self.category:
            return False
        if self.posts:
            wanted = {_fold(p) for p in self.posts}
            return any(_fold(t) in wanted for t in post_titles)
        return True


def peer_group_for(
    *,
    manual: str | None,
    category: str | None,
    post_titles: Iterable[str],
    groups: Sequence[PeerGroupRule],
) -> str | None:
    """The code of the group a subject is counted in, or None (its grassroots organization)."""
    if manual:
        return manual
    titles = list(post_titles)
    for group in sorted(groups, key=lambda g: (g.order, g.code)):
        if group.matches(category=category, post_titles=titles):
            return group.code
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotaCeiling:
    """A recorded decision raising the ceiling for one scope (`group` None: all its groups)."""

    organization_id: int | str | None
    ratio: Fraction
    reason: str
    group: str | None = None
    decided_by: str = ""
    decided_on: datetime.date | None = None

    def covers(self, organization_id, group: str | None) -> bool:
        return self.organization_id == organization_id and self.group in (None, group)

    def describe(self) -> str:
        """ "mức trần 25% theo quyết định của … ngày …: <lý do>" for messages and reports."""
        pct = self.ratio * 100
        text = f"mức trần {pct.numerator // pct.denominator}%"
        if self.decided_by:
            text += f" theo quyết định của {self.decided_by}"
        if self.decided_on:
            text += f" ngày {self.decided_on:%d/%m/%Y}"
        return f"{text}: {self.reason.strip()}"


def ceiling_for(
    ceilings: Iterable[QuotaCeiling], organization_id, group: str | None
) -> QuotaCeiling | None:
    """The decision covering a scope; one for the group beats one for the whole organization."""
    found = [c for c in ceilings if c.covers(organization_id, group)]
    return next((c for c in found if c.group is not None), found[0] if found else None)


def ceiling_problems(*, ratio: Fraction, reason: str, base_ratio: Fraction | None) -> list[str]:
    """Why a ceiling decision cannot be recorded (Q2), as plain sentences; [] when valid."""
    problems = []
    if base_ratio is None:
        problems.append("Năm này không có tỷ lệ khống chế để nâng mức trần")
    elif ratio <= base_ratio:
        base = base_ratio * 100
        problems.append(
            f"Mức trần nâng phải cao hơn tỷ lệ chung {base.numerator // base.denominator}%"
        )
    if ratio > RAISED_QUOTA_CEILING:
        top = RAISED_QUOTA_CEILING * 100
        problems.append(
            f"Mức trần tối đa là {top.numerator // top.denominator}% số được xếp loại "
            "Hoàn thành tốt nhiệm vụ (Quy định 366-QĐ/TW, Điều 11)"
        )
    if not reason.strip():
        problems.append(
            "Quyết định nâng mức trần phải ghi rõ lý do (tổ chức có thành tích nổi bật)"
        )
    return problems
