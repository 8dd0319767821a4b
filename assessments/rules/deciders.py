"""Who decides an organization's rating (Hướng dẫn 43-HD/BTCTW §3; DOMAIN §4.3). Pure.

- A chi bộ trực thuộc (or a đảng bộ bộ phận): the đảng ủy cơ sở above it — the nearest
  grassroots organization among its ancestors, even across a đảng bộ bộ phận.
- A chi bộ cơ sở or đảng bộ cơ sở (a grassroots organization): the standing committee of the
  directly superior committee — its parent (in a commune after 1/7/2025, the đảng ủy xã).
- The commune-level committee itself (đảng bộ xã/phường/đặc khu since 2025, a directly
  superior tier and not a grassroots organization): the provincial standing committee — its
  parent, the province.
- Any other node: its parent's standing committee.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CELL = "cell"
SUB_COMMITTEE = "sub_committee"
STANDING_COMMITTEE = "standing_committee"
COMMITTEE = "committee"


@dataclass(frozen=True, slots=True, kw_only=True)
class Node:
    """What the rule reads of an organization: its type slug and grassroots flag."""

    id: int | str
    type: str
    is_grassroots: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Decider:
    """The organization that decides, and which of its bodies (committee or standing one)."""

    organization_id: int | str
    body: str

    def label(self, organization_name: str) -> str:
        if self.body == COMMITTEE:
            return f"Đảng ủy {organization_name}"
        return f"Ban Thường vụ {organization_name}"


def decider_for(subject: Node, ancestors: Sequence[Node]) -> Decider | None:
    """The decider of `subject`; `ancestors` nearest first. None for a root."""
    if not ancestors:
        return None
    if not subject.is_grassroots and subject.type in (CELL, SUB_COMMITTEE):
        grassroots = next((a for a in ancestors if a.is_grassroots), None)
        if grassroots is not None:
            return Decider(organization_id=grassroots.id, body=COMMITTEE)
    return Decider(organization_id=ancestors[0].id, body=STANDING_COMMITTEE)
