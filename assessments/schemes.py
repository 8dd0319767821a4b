"""The rating schemes of DOMAIN.md §4 as data: labels, basis documents and rules in force per year.

Every rating records the scheme it was made under, so a scheme is identified by a stable `code`
(never re-used) and is plain frozen data. The module is pure Python: no Django import, no settings
read, so `assessments.rules` and the import commands can use it anywhere.

The quota (Q1) is confirmed at 20% of HTTNV per grassroots organization for 2019–2022; from 2023
its ratio and scope are configurable (DOMAIN §4.1): `scheme_for_year` takes overrides so a
selector can apply the administrator's stored setting; the defaults here are the confirmed values.

Level slugs are stable stored values. The 2018+ labels share one set of slugs for members and
organizations; the pre-2018 labels have their own slugs because their wording (and meaning:
"Đủ tư cách…", "Vi phạm tư cách hoặc…", "Trong sạch, vững mạnh", "Yếu kém") differs. A `Rank`
lines levels of any scheme up (for caps such as "at most HTNV" and for cross-year statistics).
"""

from __future__ import annotations

import dataclasses
import datetime
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import IntEnum
from fractions import Fraction

__all__ = [
    "ASSESSMENT_CRITERIA_GRADES",
    "ASSESSMENT_POINTS",
    "ASSESSMENT_QUALITATIVE",
    "CRITERIA_GRADES",
    "QUOTA_SCOPES",
    "QUOTA_SCOPE_GRASSROOTS",
    "QUOTA_SCOPE_MEMBER_GROUP",
    "QUOTA_SCOPE_PEER_GROUP",
    "RAISED_QUOTA_CEILING",
    "SCHEMES",
    "BasisDocument",
    "Level",
    "Rank",
    "RatingScheme",
    "SelfReviewForm",
    "normalize_label",
    "scheme_by_code",
    "scheme_for_year",
]

FIRST_YEAR = 2008


class Rank(IntEnum):
    """Position of a level within its scheme, comparable across schemes (higher is better)."""

    NOT_COMPLETE = 0
    COMPLETE = 1
    GOOD = 2
    EXCELLENT = 3


# --- Level slugs (stored values) ------------------------------------------------------------
EXCELLENT = "excellent"
GOOD = "good"
COMPLETE = "complete"
NOT_COMPLETE = "not_complete"
# Members 2008–2017: "Đủ tư cách, …" / "Vi phạm tư cách hoặc không hoàn thành nhiệm vụ".
QUALIFIED_EXCELLENT = "qualified_excellent"
QUALIFIED_GOOD = "qualified_good"
QUALIFIED_COMPLETE = "qualified_complete"
VIOLATION_OR_NOT_COMPLETE = "violation_or_not_complete"
# Organizations 2008–2017: "Trong sạch, vững mạnh" … "Yếu kém" (good/complete keep their slugs:
# the wording is the same as from 2018).
PURE_STRONG = "pure_strong"
WEAK = "weak"

# --- How a level is reached ----------------------------------------------------------------
ASSESSMENT_QUALITATIVE = "qualitative"  # a vote on the guidance's criteria, no grades or points
ASSESSMENT_CRITERIA_GRADES = "criteria_grades"  # each criterion graded, 2018–2024
ASSESSMENT_POINTS = "points"  # a score out of 100
CRITERIA_GRADES = ("Xuất sắc", "Tốt", "Trung bình", "Kém")

QUOTA_SCOPE_GRASSROOTS = "grassroots"
QUOTA_SCOPE_MEMBER_GROUP = "member_group"
QUOTA_SCOPE_PEER_GROUP = "peer_group"
QUOTA_SCOPES = frozenset({QUOTA_SCOPE_GRASSROOTS, QUOTA_SCOPE_MEMBER_GROUP, QUOTA_SCOPE_PEER_GROUP})
# Scopes in which a subject's group (MemberRatingInput.group) splits the count.
GROUPED_QUOTA_SCOPES = frozenset({QUOTA_SCOPE_MEMBER_GROUP, QUOTA_SCOPE_PEER_GROUP})
# Quy định 366 Điều 11: the competent level may allow up to 25% for an organization with
# outstanding results, by a reasoned, recorded decision.
RAISED_QUOTA_CEILING = Fraction(1, 4)
DEFAULT_QUOTA_RATIO = Fraction(1, 5)

# Audiences of the self-review forms.
AUDIENCE_ALL = "all"
AUDIENCE_NON_LEADER = "non_leader"
AUDIENCE_LEADER = "leader"
AUDIENCE_OUTSIDE_POLITICAL_SYSTEM = "outside_political_system"


def normalize_label(text: str) -> str:
    """Fold a label for matching: NFC, case-folded, spaces collapsed, one space after a comma.

    Users type labels in spreadsheets (DOMAIN §8): NFD text from macOS, double spaces and
    "Đủ tư cách,hoàn thành" must all match the official wording.
    """
    folded = unicodedata.normalize("NFC", text).casefold().replace(",", ", ")
    return " ".join(folded.split()).replace(" ,", ",")


@dataclass(frozen=True, slots=True, kw_only=True)
class BasisDocument:
    """A regulation or guidance a scheme rests on, cited by number, date and issuer."""

    kind: str  # "Quy định" | "Hướng dẫn"
    number: str  # e.g. "21-HD/BTCTW"
    issued_on: datetime.date
    issuer: str

    @property
    def short_citation(self) -> str:
        """The form used inside messages: "Hướng dẫn 21-HD/BTCTW"."""
        return f"{self.kind} {self.number}"

    @property
    def citation(self) -> str:
        """The form used in reports: "Hướng dẫn 21-HD/BTCTW (18/10/2019)"."""
        return f"{self.short_citation} ({self.issued_on:%d/%m/%Y})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Level:
    """One label of a scheme. Levels order by `rank` (excellent > good > complete > not_complete).

    Ordering compares ranks only, so it is meaningful between levels of the same scheme or
    across schemes when lining up statistics; equality stays field-wise.
    """

    slug: str
    label: str
    short: str
    rank: Rank
    aliases: tuple[str, ...] = ()

    def __lt__(self, other: Level) -> bool:
        return self.rank < other.rank

    def __le__(self, other: Level) -> bool:
        return self.rank <= other.rank

    def __gt__(self, other: Level) -> bool:
        return self.rank > other.rank

    def __ge__(self, other: Level) -> bool:
        return self.rank >= other.rank

    def matches(self, folded: str) -> bool:
        """Whether an already `normalize_label`-ed text names this level."""
        names = (self.label, self.short, self.slug, *self.aliases)
        return any(folded == normalize_label(name) for name in names)


@dataclass(frozen=True, slots=True, kw_only=True)
class SelfReviewForm:
    """The member self-review form (bản tự kiểm điểm) of a scheme, by audience."""

    code: str
    title: str
    audience: str = AUDIENCE_ALL


@dataclass(frozen=True, kw_only=True)
class RatingScheme:
    """The labels, rules and forms in force for a range of years (DOMAIN §4)."""

    code: str
    first_year: int
    last_year: int | None  # None: still in force
    basis: tuple[BasisDocument, ...]
    organization_levels: tuple[Level, ...]  # best first
    member_levels: tuple[Level, ...]  # best first
    member_assessment: str
    organization_assessment: str
    criteria_grades: tuple[str, ...]
    rule_codes: frozenset[str]
    self_review_forms: tuple[SelfReviewForm, ...]
    quota_ratio: Fraction | None  # None: no quota in this scheme
    quota_scope: str | None
    quota_configurable: bool = False
    # "Trong sạch, vững mạnh" had a sub-flag "tiêu biểu": stored beside the level, not as one.
    has_exemplary_flag: bool = False
    # Hướng dẫn 43 §3 (2025–): who decides each organization follows `rules.decider_for`, so a
    # chi bộ trực thuộc (with its members) is decided by its đảng ủy cơ sở in a step of its
    # own, before the grassroots organization itself is decided above. Earlier schemes keep
    # the one decision of the whole round by the directly superior committee, as recorded.
    decides_by_organization: bool = False
    _by_slug: dict[str, Level] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_slug = {lv.slug: lv for lv in (*self.member_levels, *self.organization_levels)}
        object.__setattr__(self, "_by_slug", by_slug)

    # --- identity -----------------------------------------------------------------------------
    def covers(self, year: int) -> bool:
        """Whether the scheme is the one in force for `year`."""
        return self.first_year <= year and (self.last_year is None or year <= self.last_year)

    @property
    def guidance(self) -> BasisDocument:
        """The guidance (Hướng dẫn) of the scheme: the document messages cite."""
        return next(doc for doc in self.basis if doc.kind == "Hướng dẫn")

    @property
    def citation(self) -> str:
        """Short citation for violation messages, e.g. "Hướng dẫn 21-HD/BTCTW"."""
        return self.guidance.short_citation

    def applies(self, rule_code: str) -> bool:
        """Whether rule `rule_code` of DOMAIN §4.1 is in force under this scheme."""
        return rule_code in self.rule_codes

    # --- levels -------------------------------------------------------------------------------
    def level(self, slug: str) -> Level:
        """The member or organization level with this slug (ValueError if not in the scheme)."""
        try:
            return self._by_slug[slug]
        except KeyError:
            raise ValueError(f"Level {slug!r} is not part of scheme {self.code}") from None

    def member_level_at(self, rank: Rank) -> Level:
        """The member level of the scheme at `rank` (to express caps such as "at most HTNV")."""
        return next(lv for lv in self.member_levels if lv.rank == rank)

    def organization_level_at(self, rank: Rank) -> Level:
        """The organization level of the scheme at `rank`."""
        return next(lv for lv in self.organization_levels if lv.rank == rank)

    def is_member_level(self, slug: str) -> bool:
        """Whether `slug` is one of the member levels of this scheme."""
        return any(lv.slug == slug for lv in self.member_levels)

    def is_organization_level(self, slug: str) -> bool:
        """Whether `slug` is one of the organization levels of this scheme."""
        return any(lv.slug == slug for lv in self.organization_levels)

    def member_level_from_label(self, text: str) -> str | None:
        """The member level slug named by `text` (long or short form), or None.

        Case, extra spaces and Unicode normalisation (NFC/NFD) are forgiven, as the
        interchange files require (DOMAIN §8).
        """
        return _find(self.member_levels, text)

    def organization_level_from_label(self, text: str) -> str | None:
        """The organization level slug named by `text` (long or short form), or None."""
        return _find(self.organization_levels, text)

    # --- forms --------------------------------------------------------------------------------
    def self_review_form_for(
        self, *, is_leader: bool = False, in_political_system: bool = True
    ) -> SelfReviewForm:
        """The self-review form a member fills in under this scheme."""
        wanted = (
            AUDIENCE_OUTSIDE_POLITICAL_SYSTEM
            if not in_political_system
            else AUDIENCE_LEADER
            if is_leader
            else AUDIENCE_NON_LEADER
        )
        for audience in (wanted, AUDIENCE_NON_LEADER, AUDIENCE_ALL):
            for form in self.self_review_forms:
                if form.audience == audience:
                    return form
        return self.self_review_forms[0]


def _find(levels: Iterable[Level], text: str) -> str | None:
    folded = normalize_label(text)
    if not folded:
        return None
    return next((lv.slug for lv in levels if lv.matches(folded)), None)


# --- The data -------------------------------------------------------------------------------
_BTCTW = "Ban Tổ chức Trung ương"
_BCT = "Bộ Chính trị"

_LEVELS_2018 = (
    Level(
        slug=EXCELLENT, label="Hoàn thành xuất sắc nhiệm vụ", short="HTXSNV", rank=Rank.EXCELLENT
    ),
    Level(slug=GOOD, label="Hoàn thành tốt nhiệm vụ", short="HTTNV", rank=Rank.GOOD),
    Level(slug=COMPLETE, label="Hoàn thành nhiệm vụ", short="HTNV", rank=Rank.COMPLETE),
    Level(
        slug=NOT_COMPLETE, label="Không hoàn thành nhiệm vụ", short="KHTNV", rank=Rank.NOT_COMPLETE
    ),
)
# Reports of the time wrote "ĐTC-HTXSNV" … "KHTNV" (DOMAIN §6, Đồng Tháp 2012): both accepted.
_MEMBER_LEVELS_2008 = (
    Level(
        slug=QUALIFIED_EXCELLENT,
        label="Đủ tư cách, hoàn thành xuất sắc nhiệm vụ",
        short="HTXSNV",
        rank=Rank.EXCELLENT,
        aliases=("ĐTC-HTXSNV",),
    ),
    Level(
        slug=QUALIFIED_GOOD,
        label="Đủ tư cách, hoàn thành tốt nhiệm vụ",
        short="HTTNV",
        rank=Rank.GOOD,
        aliases=("ĐTC-HTTNV",),
    ),
    Level(
        slug=QUALIFIED_COMPLETE,
        label="Đủ tư cách, hoàn thành nhiệm vụ",
        short="HTNV",
        rank=Rank.COMPLETE,
        aliases=("ĐTC-HTNV",),
    ),
    Level(
        slug=VIOLATION_OR_NOT_COMPLETE,
        label="Vi phạm tư cách hoặc không hoàn thành nhiệm vụ",
        short="KHTNV",
        rank=Rank.NOT_COMPLETE,
        aliases=("VPTC",),
    ),
)
_ORGANIZATION_LEVELS_2008 = (
    Level(slug=PURE_STRONG, label="Trong sạch, vững mạnh", short="TSVM", rank=Rank.EXCELLENT),
    Level(slug=GOOD, label="Hoàn thành tốt nhiệm vụ", short="HTTNV", rank=Rank.GOOD),
    Level(slug=COMPLETE, label="Hoàn thành nhiệm vụ", short="HTNV", rank=Rank.COMPLETE),
    Level(slug=WEAK, label="Yếu kém", short="Yếu kém", rank=Rank.NOT_COMPLETE),
)

_QD132 = BasisDocument(
    kind="Quy định", number="132-QĐ/TW", issued_on=datetime.date(2018, 3, 8), issuer=_BCT
)
_QD124 = BasisDocument(
    kind="Quy định", number="124-QĐ/TW", issued_on=datetime.date(2023, 10, 4), issuer=_BCT
)
_QD366 = BasisDocument(
    kind="Quy định", number="366-QĐ/TW", issued_on=datetime.date(2025, 8, 30), issuer=_BCT
)


def _guidance(number: str, issued_on: datetime.date) -> BasisDocument:
    return BasisDocument(kind="Hướng dẫn", number=number, issued_on=issued_on, issuer=_BTCTW)


# Rules common to every scheme: M3 (who is not rated) and O6 (new organizations).
_ALWAYS = frozenset({"M3", "O6"})

SCHEMES: tuple[RatingScheme, ...] = (
    RatingScheme(
        code="hd20-2008",
        first_year=2008,
        last_year=2013,
        basis=(_guidance("20-HD/BTCTW", datetime.date(2008, 10, 10)),),
        organization_levels=_ORGANIZATION_LEVELS_2008,
        member_levels=_MEMBER_LEVELS_2008,
        member_assessment=ASSESSMENT_QUALITATIVE,
        organization_assessment=ASSESSMENT_QUALITATIVE,
        criteria_grades=(),
        rule_codes=_ALWAYS | {"M0"},
        # Uncertain: the code and title of the 2008 self-review form are not confirmed.
        self_review_forms=(
            SelfReviewForm(
                code="BKĐ-HD20",
                title="Bản kiểm điểm của đảng viên (mẫu kèm Hướng dẫn 20-HD/BTCTW)",
            ),
        ),
        quota_ratio=None,
        quota_scope=None,
        has_exemplary_flag=True,
    ),
    RatingScheme(
        code="hd27-2014",
        first_year=2014,
        last_year=2017,
        basis=(_guidance("27-HD/BTCTW", datetime.date(2014, 9, 25)),),
        organization_levels=_ORGANIZATION_LEVELS_2008,
        member_levels=_MEMBER_LEVELS_2008,
        member_assessment=ASSESSMENT_QUALITATIVE,
        organization_assessment=ASSESSMENT_POINTS,
        criteria_grades=(),
        rule_codes=_ALWAYS | {"M0", "O5"},
        # Uncertain: the code and title of the 2014 self-review form are not confirmed.
        self_review_forms=(
            SelfReviewForm(
                code="BKĐ-HD27",
                title="Bản kiểm điểm của đảng viên (mẫu kèm Hướng dẫn 27-HD/BTCTW)",
            ),
        ),
        quota_ratio=None,
        quota_scope=None,
        has_exemplary_flag=True,
    ),
    RatingScheme(
        code="hd16-2018",
        first_year=2018,
        last_year=2018,
        basis=(_QD132, _guidance("16-HD/BTCTW", datetime.date(2018, 9, 24))),
        organization_levels=_LEVELS_2018,
        member_levels=_LEVELS_2018,
        member_assessment=ASSESSMENT_CRITERIA_GRADES,
        organization_assessment=ASSESSMENT_CRITERIA_GRADES,
        criteria_grades=CRITERIA_GRADES,
        rule_codes=_ALWAYS | {"M1"},
        # Uncertain: assumed to be the same form code as Hướng dẫn 21 (2019).
        self_review_forms=(
            SelfReviewForm(
                code="02-HD KĐ.ĐG",
                title="Bản kiểm điểm cá nhân (mẫu kèm Hướng dẫn 16-HD/BTCTW)",
            ),
        ),
        quota_ratio=None,
        quota_scope=None,
    ),
    RatingScheme(
        code="hd21-2019",
        first_year=2019,
        last_year=2022,
        basis=(_QD132, _guidance("21-HD/BTCTW", datetime.date(2019, 10, 18))),
        organization_levels=_LEVELS_2018,
        member_levels=_LEVELS_2018,
        member_assessment=ASSESSMENT_CRITERIA_GRADES,
        organization_assessment=ASSESSMENT_CRITERIA_GRADES,
        criteria_grades=CRITERIA_GRADES,
        rule_codes=_ALWAYS | {"Q1", "M1", "M2", "M4", "O1", "O2"},
        self_review_forms=(
            SelfReviewForm(code="02-HD KĐ.ĐG", title="Bản kiểm điểm cá nhân (Mẫu 02-HD KĐ.ĐG)"),
        ),
        quota_ratio=DEFAULT_QUOTA_RATIO,
        quota_scope=QUOTA_SCOPE_GRASSROOTS,
    ),
    RatingScheme(
        code="hd25-2023",
        first_year=2023,
        last_year=2024,
        basis=(_QD124, _guidance("25-HD/BTCTW", datetime.date(2023, 11, 10))),
        organization_levels=_LEVELS_2018,
        member_levels=_LEVELS_2018,
        member_assessment=ASSESSMENT_CRITERIA_GRADES,
        organization_assessment=ASSESSMENT_CRITERIA_GRADES,
        criteria_grades=CRITERIA_GRADES,
        rule_codes=_ALWAYS | {"Q1", "M1", "M2", "M4", "O1", "O3"},
        # Codes as DOMAIN §4.2 gives them; the full printed titles are not confirmed.
        self_review_forms=(
            SelfReviewForm(
                code="02A",
                title="Bản kiểm điểm cá nhân (đảng viên không giữ chức vụ lãnh đạo, quản lý)",
                audience=AUDIENCE_NON_LEADER,
            ),
            SelfReviewForm(
                code="02B",
                title="Bản kiểm điểm cá nhân (cán bộ lãnh đạo, quản lý)",
                audience=AUDIENCE_LEADER,
            ),
        ),
        quota_ratio=DEFAULT_QUOTA_RATIO,
        quota_scope=QUOTA_SCOPE_GRASSROOTS,
        quota_configurable=True,
    ),
    RatingScheme(
        code="hd43-2025",
        first_year=2025,
        last_year=None,
        basis=(_QD366, _guidance("43-HD/BTCTW", datetime.date(2025, 10, 31))),
        organization_levels=_LEVELS_2018,
        member_levels=_LEVELS_2018,
        member_assessment=ASSESSMENT_POINTS,
        organization_assessment=ASSESSMENT_POINTS,
        criteria_grades=(),
        rule_codes=_ALWAYS | {"Q1", "M1", "M2", "M4", "M5", "O1", "O3", "O4"},
        # Hướng dẫn 43 (DOMAIN §4.3): 2A a member holding a leadership or management post,
        # 2B a member without one, 2C a member not working in the political system.
        self_review_forms=(
            SelfReviewForm(
                code="2A",
                title="Bản kiểm điểm cá nhân (đảng viên giữ chức vụ lãnh đạo, quản lý)",
                audience=AUDIENCE_LEADER,
            ),
            SelfReviewForm(
                code="2B",
                title="Bản kiểm điểm cá nhân (đảng viên không giữ chức vụ lãnh đạo, quản lý)",
                audience=AUDIENCE_NON_LEADER,
            ),
            SelfReviewForm(
                code="2C",
                title="Bản kiểm điểm cá nhân (đảng viên không công tác trong hệ thống chính trị)",
                audience=AUDIENCE_OUTSIDE_POLITICAL_SYSTEM,
            ),
        ),
        quota_ratio=DEFAULT_QUOTA_RATIO,
        # Quy định 366 Điều 11: counted within peer groups the deciding level forms; a
        # subject in no group is counted per grassroots organization (the default).
        quota_scope=QUOTA_SCOPE_PEER_GROUP,
        quota_configurable=True,
        decides_by_organization=True,
    ),
)

_BY_CODE = {scheme.code: scheme for scheme in SCHEMES}


def scheme_by_code(code: str) -> RatingScheme:
    """The scheme a stored rating was made under (ValueError for an unknown code)."""
    try:
        return _BY_CODE[code]
    except KeyError:
        raise ValueError(f"Unknown rating scheme code {code!r}") from None


def scheme_for_year(
    year: int, *, quota_ratio: Fraction | None = None, quota_scope: str | None = None
) -> RatingScheme:
    """The scheme in force for `year`, optionally with the configured quota applied.

    `quota_ratio` / `quota_scope` carry the administrator's setting (read from the database by
    a selector, never here) and are accepted only where DOMAIN §4.1 says the quota is
    configurable (2023 onward): the 2019–2022 20% per grassroots organization is confirmed and
    may not be overridden. The result is a `dataclasses.replace` copy; SCHEMES never changes.
    """
    if year < FIRST_YEAR:
        raise ValueError(
            f"No rating scheme before {FIRST_YEAR} (Hướng dẫn 20-HD/BTCTW): got year {year}"
        )
    scheme = next(s for s in SCHEMES if s.covers(year))
    if quota_ratio is None and quota_scope is None:
        return scheme
    if not scheme.quota_configurable:
        raise ValueError(f"The quota of scheme {scheme.code} ({year}) is not configurable")
    changes: dict[str, object] = {}
    if quota_ratio is not None:
        if not isinstance(quota_ratio, Fraction) or not 0 < quota_ratio <= 1:
            raise ValueError(f"quota_ratio must be a Fraction in (0, 1], got {quota_ratio!r}")
        changes["quota_ratio"] = quota_ratio
    if quota_scope is not None:
        if quota_scope not in QUOTA_SCOPES:
            raise ValueError(f"quota_scope must be one of {sorted(QUOTA_SCOPES)}")
        changes["quota_scope"] = quota_scope
    return dataclasses.replace(scheme, **changes)
