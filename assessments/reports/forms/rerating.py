"""Mẫu 03: the directly superior committee's decision to annul a decided rating and rate
again (Điều 13, 15 of Quy định 366), listing each re-rated member or organization with the
level annulled and the new one, and the reason.

Before the round is decided again the decision is a draft ("DỰ THẢO"): it shows the levels
withdrawn beside the current proposals, and takes no number.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from cells.models import Member, Organization

from ... import rerating
from ...models import MemberRating, RatingReopening
from .member import level_short


@dataclass
class ReratingLine:
    number: int
    name: str
    subject: str  # "Đảng viên" | "Tổ chức đảng"
    unit: str
    old: str
    new: str


@dataclass
class ReratingBody:
    unit: str
    year: int
    reason: str
    reopened_on: datetime.date
    redecided_on: datetime.date | None
    basis: list[str]
    draft: bool
    lines: list[ReratingLine] = field(default_factory=list)

    @property
    def member_count(self) -> int:
        return sum(1 for line in self.lines if line.subject == "Đảng viên")


def _changes(reopening: RatingReopening) -> list[dict]:
    """The closed record's changes, or for an open one the withdrawn levels against the
    current proposals (what deciding now would make of them), within the reopening's scope."""
    if reopening.redecided_at is not None:
        return list(reopening.changes)
    return rerating.level_changes(reopening, *rerating.scoped_ratings(reopening, "proposed_level"))


def rerating_body(*, reopening: RatingReopening) -> ReratingBody:
    """The Mẫu 03 data of one reopening (scoped by the caller), 4–6 queries."""
    round_ = reopening.round
    scheme = round_.scheme
    changes = _changes(reopening)
    member_ids = [c["id"] for c in changes if c["subject"] == "member"]
    org_ids = [c["id"] for c in changes if c["subject"] == "organization"]
    members = Member.objects.in_bulk(member_ids)
    cells = dict(
        MemberRating.objects.filter(round=round_, member_id__in=member_ids).values_list(
            "member_id", "cell__name"
        )
    )
    orgs = Organization.objects.in_bulk(org_ids)
    keyed = []
    for change in changes:
        if change["subject"] == "member":
            member = members.get(change["id"])
            subject, unit = "Đảng viên", cells.get(change["id"], "")
            name, key = (member.full_name, member.name_sort_key) if member else ("—", "")
        else:
            org = orgs.get(change["id"])
            subject, unit = "Tổ chức đảng", ""
            name, key = (org.name, org.name_sort_key) if org else ("—", "")
        line = ReratingLine(
            number=0,
            name=name,
            subject=subject,
            unit=unit,
            old=level_short(scheme, change["old"]) or "Không xếp loại",
            new=level_short(scheme, change["new"]) or "Không xếp loại",
        )
        # Members first, in Vietnamese name order as a decision lists them; organizations after.
        keyed.append(((subject != "Đảng viên", key), line))
    lines = [line for _key, line in sorted(keyed, key=lambda pair: pair[0])]
    for i, line in enumerate(lines, start=1):
        line.number = i
    return ReratingBody(
        unit=(reopening.organization or round_.organization).name,
        year=round_.year,
        reason=reopening.reason,
        reopened_on=timezone.localtime(reopening.reopened_at).date(),
        redecided_on=(
            timezone.localtime(reopening.redecided_at).date() if reopening.redecided_at else None
        ),
        basis=[doc.citation for doc in scheme.basis],
        draft=reopening.redecided_at is None,
        lines=lines,
    )
