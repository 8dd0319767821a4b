"""Which form (2A, 2B, 2C) a member probably uses for a year: a suggestion, never the fact.

Hướng dẫn 43 (DOMAIN §4.3): 2A a member holding a leadership or management post, 2B a member
without one, 2C a member not working in the political system (retirees, farmers, students,
private firms). The committee records the category (assessments.MemberCategory); this module
only proposes one, with the sentence saying why, from the posts held in the year and the
occupation. Pure Python: no Django, no database.

Decisions (the guidance lists no posts): a Party committee post (bí thư, phó bí thư, ủy viên
ban thường vụ, cấp ủy viên, chi ủy viên) or a government post whose title names a head or
deputy (chủ tịch, trưởng, giám đốc…) suggests 2A; a hamlet or street-group head
(trưởng thôn, tổ trưởng tổ dân phố) suggests 2A as well (they manage the community); any other
government post suggests 2B; with no post, the occupation decides (words of retirement,
farming, study or private work → 2C; of public service → 2B); otherwise nothing is suggested.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from assessments.schemes import (
    AUDIENCE_LEADER,
    AUDIENCE_NON_LEADER,
    AUDIENCE_OUTSIDE_POLITICAL_SYSTEM,
)

CATEGORY_LEADER = AUDIENCE_LEADER
CATEGORY_NON_LEADER = AUDIENCE_NON_LEADER
CATEGORY_OUTSIDE = AUDIENCE_OUTSIDE_POLITICAL_SYSTEM
CATEGORY_CODES = {CATEGORY_LEADER: "2A", CATEGORY_NON_LEADER: "2B", CATEGORY_OUTSIDE: "2C"}
CATEGORY_LABELS = {
    CATEGORY_LEADER: "giữ chức vụ lãnh đạo, quản lý",
    CATEGORY_NON_LEADER: "không giữ chức vụ lãnh đạo, quản lý",
    CATEGORY_OUTSIDE: "không công tác trong hệ thống chính trị",
}

_PARTY_LEADERSHIP = ("bí thư", "ban thường vụ", "cấp ủy", "chi ủy", "đảng ủy viên")
_GOVERNMENT_HEAD = (
    "chủ tịch",
    "trưởng",
    "giám đốc",
    "chánh",
    "chỉ huy",
    "thủ trưởng",
    "hiệu trưởng",
    "bí thư",
)
_OUTSIDE_WORDS = (
    "hưu",
    "nông",
    "ngư",
    "sinh viên",
    "học sinh",
    "tự do",
    "kinh doanh",
    "buôn bán",
    "doanh nghiệp tư",
    "công ty",
    "lao động",
    "nội trợ",
    "làm ruộng",
    "thợ",
)
_PUBLIC_WORDS = (
    "công chức",
    "viên chức",
    "cán bộ",
    "giáo viên",
    "bác sĩ",
    "y sĩ",
    "quân",
    "công an",
    "bộ đội",
)


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


@dataclass(frozen=True, slots=True, kw_only=True)
class CategoryBasis:
    """What the suggestion looks at: titles of the posts held in the year, the occupation."""

    party_posts: tuple[str, ...] = ()
    government_posts: tuple[str, ...] = ()
    hamlet_head: bool = False
    occupation: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CategorySuggestion:
    """A suggested category (None: nothing to go on) and the plain sentence saying why."""

    category: str | None
    reason: str

    @property
    def code(self) -> str:
        return CATEGORY_CODES.get(self.category or "", "")


def _first(titles: Iterable[str], words: tuple[str, ...]) -> str | None:
    return next((t for t in titles if any(w in _fold(t) for w in words)), None)


def suggest_form_category(basis: CategoryBasis) -> CategorySuggestion:
    """The category the member's posts and occupation suggest, and why (see module doc)."""
    if post := _first(basis.party_posts, _PARTY_LEADERSHIP):
        return CategorySuggestion(category=CATEGORY_LEADER, reason=f"Giữ chức vụ đảng «{post}»")
    if basis.hamlet_head:
        return CategorySuggestion(
            category=CATEGORY_LEADER, reason="Là trưởng thôn / tổ trưởng tổ dân phố"
        )
    if post := _first(basis.government_posts, _GOVERNMENT_HEAD):
        return CategorySuggestion(
            category=CATEGORY_LEADER, reason=f"Giữ chức vụ chính quyền «{post}»"
        )
    if basis.government_posts:
        post = basis.government_posts[0]
        return CategorySuggestion(
            category=CATEGORY_NON_LEADER,
            reason=f"Công tác trong hệ thống chính trị («{post}»), không giữ chức vụ lãnh đạo",
        )
    occupation = _fold(basis.occupation)
    if occupation and any(w in occupation for w in _PUBLIC_WORDS):
        return CategorySuggestion(
            category=CATEGORY_NON_LEADER, reason=f"Nghề nghiệp «{basis.occupation.strip()}»"
        )
    if occupation and any(w in occupation for w in _OUTSIDE_WORDS):
        return CategorySuggestion(
            category=CATEGORY_OUTSIDE, reason=f"Nghề nghiệp «{basis.occupation.strip()}»"
        )
    return CategorySuggestion(
        category=None, reason="Chưa đủ thông tin (chức vụ, nghề nghiệp) để gợi ý"
    )


def category_from_text(text: str) -> str | None:
    """The category named in a file's `doi_tuong` cell: "2A", "2b", or the words of §8."""
    folded = _fold(text)
    for slug, code in CATEGORY_CODES.items():
        if folded in (code.casefold(), f"mẫu {code.casefold()}", _fold(CATEGORY_LABELS[slug])):
            return slug
    return None
