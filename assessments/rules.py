"""The rating rules of DOMAIN.md §4.1 as pure functions over plain values and dataclasses.

No ORM, no database, no HTTP: services and import commands gather the facts, call
`check_member_ratings` / `check_organization_rating` / `check_transition`, and turn the returned
`Violation`s into errors. Which rule is in force comes from the scheme (`RatingScheme.applies`).

Messages are plain Vietnamese strings, not `gettext` calls: they are domain messages citing a
regulation, identical in every UI language and in the interchange-file error lists, and the rules
must run without Django being configured. The event, discipline, not-rated-reason and workflow
slugs mirror `cells.choices` / `assessments.choices` for the same reason (tests keep them in step).

Decisions on what the regulations leave open (each has boundary tests in test_rules):
- "3 months" of sick leave (M2) is counted in calendar months by date (DOMAIN §4.3): the
  spells are clipped to the calendar year and merged (overlaps once; an open-ended leave runs
  to 31/12); each merged spell counts its whole calendar months from its first day (01/02–30/04
  is three), and the days left over from every spell are added and count 31 to a month (so
  one spell never gains a month it did not cover: 01/01–30/03 stays two months and 30 days).
- "Less than 6 months before the end of the rating period" (M3, O6): the period ends at the end
  of its last day, so a start exactly 6 calendar months before that instant (1/7 for a period
  ending 31/12) makes 6 full months and is rated; a start on 2/7 is not.
- Quota (Q1) arithmetic is integer only: good × numerator // denominator (rounded down).
- A discipline counts in the year of its date only (M1, M0, O2–O4).
- Exempt/suspended members must not be rated when the status holds on the period end; the
  reason is accepted when the status held on any day of the rating year.
- M5/O4 points bands are ceilings: other rules or the quota may give a lower level.

`Violation.level` is the severity: "error" blocks a submission or import, "warning" is reported
only (a justified quota exception, a free-text "Khác:" reason left to the deciding level).
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from assessments import rules_article11 as article11
from assessments.rules_points import far_below_band
from assessments.rules_quota import QuotaCeiling, ceiling_for
from assessments.schemes import GROUPED_QUOTA_SCOPES, Rank, RatingScheme

SubjectId = int | str

# --- Slugs mirrored from cells.choices ---------------------------------------------------------
EVENT_DISCIPLINE = "discipline"
EVENT_EXEMPTION = "exemption"
EVENT_SUSPENSION = "suspension"
EVENT_SICK_LEAVE = "sick_leave"
DISCIPLINE_REPRIMAND = "reprimand"
DISCIPLINE_WARNING = "warning"
DISCIPLINE_DISMISSAL = "dismissal"
DISCIPLINE_EXPULSION = "expulsion"
DISCIPLINE_SEVERITY = {
    DISCIPLINE_REPRIMAND: 1,
    DISCIPLINE_WARNING: 2,
    DISCIPLINE_DISMISSAL: 3,
    DISCIPLINE_EXPULSION: 4,
}
DISCIPLINE_LABELS = {
    DISCIPLINE_REPRIMAND: "Khiển trách",
    DISCIPLINE_WARNING: "Cảnh cáo",
    DISCIPLINE_DISMISSAL: "Cách chức",
    DISCIPLINE_EXPULSION: "Khai trừ",
}
# --- Slugs mirrored from assessments.choices ---------------------------------------------------
NOT_RATED_EXEMPT = "exempt"
NOT_RATED_SUSPENDED = "suspended"
NOT_RATED_NEWLY_ADMITTED = "newly_admitted"
NOT_RATED_NEWLY_ESTABLISHED = "newly_established"
NOT_RATED_OTHER = "other"  # "Khác: …": needs a note; reported to the deciding level
NOT_RATED_LABELS = {
    NOT_RATED_EXEMPT: "Miễn công tác và sinh hoạt đảng",
    NOT_RATED_SUSPENDED: "Đình chỉ sinh hoạt đảng",
    NOT_RATED_NEWLY_ADMITTED: "Mới kết nạp chưa đủ 06 tháng",
    NOT_RATED_NEWLY_ESTABLISHED: "Tổ chức mới thành lập chưa đủ 06 tháng",
    NOT_RATED_OTHER: "Khác",
}
TASK_ON_TIME, TASK_LATE, TASK_NOT_DONE, TASK_EXCEEDED = "on_time", "late", "not_done", "exceeded"
STATE_DRAFT = "draft"
STATE_SUBMITTED = "submitted"
STATE_RETURNED = "returned"
STATE_DECIDED = "decided"
STATE_PUBLISHED = "published"
STATE_LABELS = {
    STATE_DRAFT: "Đang thực hiện",
    STATE_SUBMITTED: "Đã gửi",
    STATE_RETURNED: "Bị trả lại",
    STATE_DECIDED: "Đã quyết định",
    STATE_PUBLISHED: "Đã công bố",
}
# A returned unit is edited and re-submitted (or taken back to draft by its secretary).
_TRANSITIONS = frozenset(
    {
        (STATE_DRAFT, STATE_SUBMITTED),
        (STATE_SUBMITTED, STATE_RETURNED),
        (STATE_SUBMITTED, STATE_DECIDED),
        (STATE_RETURNED, STATE_SUBMITTED),
        (STATE_RETURNED, STATE_DRAFT),
        (STATE_DECIDED, STATE_PUBLISHED),
    }
)
# A decided rating is locked; only the deciding level reopens it (DOMAIN §4.2), also once
# published: a published result found wrong must be correctable, through an audited reopening.
_REOPEN = frozenset({(STATE_DECIDED, STATE_DRAFT), (STATE_PUBLISHED, STATE_DRAFT)})

SEVERITY_ERROR = "error"
SEVERITY_WARNING = "warning"

# --- Thresholds (the module docstring says why these values) ----------------------------------
SICK_LEAVE_MIN_MONTHS = 3
DAYS_PER_LEFTOVER_MONTH = 31
NEW_SUBJECT_MONTHS = 6
M1_SELF_REMEDY_FROM_YEAR = 2023
SUSPENSION_NOT_RATED_FROM_YEAR = 2019
M5_EXCEEDING_SHARE = article11.EXCEEDING_SHARE
O1_GOOD_OR_BETTER_SHARE = Fraction(4, 5)
O3_DISCIPLINED_SUB_UNITS_SHARE = Fraction(1, 5)
O5_WEAK_SUB_ORGANIZATIONS_SHARE = Fraction(1, 3)
O5_NOT_COMPLETE_MEMBERS_SHARE = Fraction(1, 2)
# Lower bound of each points band (M5, O4; O5 uses the last), best first.
POINT_BANDS = (
    (Decimal(90), Rank.EXCELLENT),
    (Decimal(70), Rank.GOOD),
    (Decimal(50), Rank.COMPLETE),
)


# === Data ======================================================================================
@dataclass(frozen=True, slots=True, kw_only=True)
class EventFact:
    """A dated event (cells.choices slugs); a discipline's date is `start`, `end` may be open."""

    kind: str
    start: datetime.date
    end: datetime.date | None = None
    discipline_form: str | None = None
    self_remedied: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class TasksSummary:
    """A member's assigned tasks of the year and their results (DOMAIN §5)."""

    assigned: int
    done: int  # on time, late or exceeded
    done_on_time: int  # on time or exceeded
    exceeded: int
    not_done_remedied: int = 0  # not completed, but found and remedied by the subject

    def __post_init__(self) -> None:
        if not 0 <= self.exceeded <= self.done_on_time <= self.done <= self.assigned:
            raise ValueError("Need 0 ≤ exceeded ≤ done_on_time ≤ done ≤ assigned")
        if not 0 <= self.not_done_remedied <= self.assigned - self.done:
            raise ValueError("Remedied tasks are among those not done")

    @property
    def counts(self) -> article11.TaskCount:
        """The same ledger in the shape Điều 11 reads it."""
        return article11.TaskCount(
            assigned=self.assigned,
            on_time=self.done_on_time,
            late=self.done - self.done_on_time,
            exceeded=self.exceeded,
            not_done_remedied=self.not_done_remedied,
        )

    @classmethod
    def from_results(cls, results: Iterable[str]) -> TasksSummary:
        """Count assessments.choices.TaskResult slugs; "exceeded" counts as done on time."""
        results = list(results)
        exceeded = results.count(TASK_EXCEEDED)
        on_time = results.count(TASK_ON_TIME) + exceeded
        done = on_time + results.count(TASK_LATE)
        return cls(assigned=len(results), done=done, done_on_time=on_time, exceeded=exceeded)


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberFacts:
    """What the rules need to know about one member for one rating year."""

    member_id: SubjectId
    year: int
    admitted_on: datetime.date | None = None  # the admission decision date
    events: tuple[EventFact, ...] = ()
    civil_servant_level: str | None = None  # 2018+ level slug of the civil-servant rating
    points: Decimal | int | None = None  # 2025+
    tasks: TasksSummary | None = None  # None: not recorded, task conditions not checked
    earlier_shortcomings_remedied: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberRatingInput:
    """A proposed or decided member level; `level` None means "not rated", with a reason."""

    member_id: SubjectId
    level: str | None
    not_rated_reason: str | None = None
    not_rated_note: str = ""
    organization_id: SubjectId | None = None  # grassroots organization: the quota scope
    group: str | None = None  # group of similar members (quota scope "member_group")


@dataclass(frozen=True, slots=True, kw_only=True)
class OrganizationRatingInput:
    """A proposed organization level for the collectives' quota (Quy định 366, Điều 11).

    As in `MemberRatingInput`, `organization_id` is the quota scope: the deciding level whose
    subjects are counted together; `subject_id` the organization rated.
    """

    subject_id: SubjectId
    level: str | None
    organization_id: SubjectId | None = None
    group: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotaException:
    """A justified Q1 exception recorded by the deciding level; reports show it.

    `group` None covers every group of the organization; `allowed_excellent` None lifts the
    limit, a number lifts it up to that many HTXSNV.
    """

    organization_id: SubjectId | None
    justification: str
    group: str | None = None
    allowed_excellent: int | None = None

    def __post_init__(self) -> None:
        if not self.justification.strip():
            raise ValueError("A quota exception needs a justification")


@dataclass(frozen=True, slots=True, kw_only=True)
class OrganizationFacts:
    """What the rules need to know about one organization for one rating year.

    `sub_levels`: level slugs of its sub-organizations (đảng bộ) or of its members (chi bộ),
    None for those not rated. Disciplines of other years may be passed: only `year`'s count.
    """

    organization_id: SubjectId
    year: int
    is_committee: bool  # đảng bộ (sub-units are organizations) vs chi bộ (members)
    established_on: datetime.date | None = None
    sub_levels: tuple[str | None, ...] = ()
    leadership_disciplines: tuple[EventFact, ...] = ()  # of individual leadership members
    collective_disciplines: tuple[EventFact, ...] = ()  # of the leadership collective
    sub_unit_count: int = 0
    disciplined_sub_unit_count: int = 0
    points: Decimal | int | None = None  # 2014–2017 (optional) and 2025+ (required)
    # The organization's own tasks (AssignedTask.organization): Điều 11 conditions (2025–).
    tasks: TasksSummary | None = None
    earlier_shortcomings_remedied: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Violation:
    """A broken rule: `code` names the clause of DOMAIN §4.1, `level` is the severity."""

    code: str
    subject_id: SubjectId | None
    message: str
    level: str = SEVERITY_ERROR

    @property
    def is_blocking(self) -> bool:
        return self.level == SEVERITY_ERROR


@dataclass(frozen=True, slots=True, kw_only=True)
class CapReason:
    """One rule lowering the level a subject may get, with the sentence explaining it."""

    code: str
    rank: Rank
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LevelCap:
    """The highest level a subject may get (for the entry grid) and why; `level` None: not rated."""

    level: str | None
    rank: Rank | None
    reasons: tuple[CapReason, ...] = ()
    not_rated_reason: str | None = None
    not_rated_message: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class QuotaCount:
    """The Q1 arithmetic of one scope: a grassroots organization, or one group in it."""

    organization_id: SubjectId | None
    group: str | None
    good: int
    excellent: int
    max_excellent: int
    ratio: Fraction | None = None
    ceiling: QuotaCeiling | None = None  # the recorded decision that raised the ratio

    @property
    def remaining(self) -> int:
        """HTXSNV still allowed in the scope (negative: over the quota)."""
        return self.max_excellent - self.excellent

    @property
    def exceeded(self) -> bool:
        return self.excellent > self.max_excellent


# === Dates =====================================================================================
def default_period_end(year: int) -> datetime.date:
    """The rating period ends on 31/12 of the rating year unless the year's plan says otherwise."""
    return datetime.date(year, 12, 31)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """`day` moved by whole calendar months, clamped to the month's last day (31/8 − 6 → 28/2)."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return datetime.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def is_less_than_six_months(start: datetime.date, *, period_end: datetime.date) -> bool:
    """Whether `start` (admission, establishment) is less than 6 months before the period end.

    The period ends at the end of `period_end` (the start of the next day): a start exactly
    6 calendar months before that instant (1/7 for 31/12) has its full 6 months.
    """
    return start > add_months(period_end + datetime.timedelta(days=1), -NEW_SUBJECT_MONTHS)


def sick_leave_spells(
    events: Iterable[EventFact], *, year: int
) -> list[tuple[datetime.date, datetime.date]]:
    """Sick-leave spells of `year`: clipped to the year, overlapping or touching ones merged."""
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    spans = sorted(
        (max(e.start, first), min(e.end or last, last))
        for e in events
        if e.kind == EVENT_SICK_LEAVE and e.start <= last and (e.end or last) >= first
    )
    merged: list[tuple[datetime.date, datetime.date]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + datetime.timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def sick_leave_days(events: Iterable[EventFact], *, year: int) -> int:
    """Days of sick leave in `year`: periods clipped to the year, overlapping days counted once."""
    return sum((end - start).days + 1 for start, end in sick_leave_spells(events, year=year))


def calendar_months(start: datetime.date, end: datetime.date) -> tuple[int, int]:
    """Whole calendar months from `start` to `end` inclusive, and the days left over.

    01/02–30/04 is (3, 0); 01/02–29/04 is (2, 29); 15/01–14/02 is (1, 0).
    """
    months = 0
    while add_months(start, months + 1) - datetime.timedelta(days=1) <= end:
        months += 1
    return months, (end - add_months(start, months)).days + 1


def sick_leave_months(events: Iterable[EventFact], *, year: int) -> int:
    """Calendar months of sick leave in `year` (M2): see the module docstring."""
    months = leftover = 0
    for start, end in sick_leave_spells(events, year=year):
        whole, days = calendar_months(start, end)
        months, leftover = months + whole, leftover + days
    return months + leftover // DAYS_PER_LEFTOVER_MONTH


def disciplines_in_year(events: Iterable[EventFact], *, year: int) -> list[EventFact]:
    """Discipline events dated in `year`: one violation counts in one year only."""
    return [e for e in events if e.kind == EVENT_DISCIPLINE and e.start.year == year]


def _active(
    events: Iterable[EventFact], kind: str, first: datetime.date, last: datetime.date
) -> EventFact | None:
    """The first `kind` event whose period meets [first, last], or None."""
    return next(
        (e for e in events if e.kind == kind and e.start <= last and (e.end or last) >= first),
        None,
    )


# === Formatting ================================================================================
def _d(day: datetime.date) -> str:
    return f"{day:%d/%m/%Y}"


def _num(value: Decimal | int) -> str:
    return format(Decimal(value).normalize(), "f").replace(".", ",")


def percent_text(ratio: Fraction) -> str:
    """A share as the screens and messages write it: "20%", "12,5%", "33,33%"."""
    hundred = ratio * 100
    if hundred.denominator == 1:
        return f"{hundred.numerator}%"
    return _num(round(Decimal(hundred.numerator) / hundred.denominator, 2)) + "%"


def _as_points(points: Decimal | int | float) -> Decimal:
    # str() keeps what was typed: Decimal(89.99) would be 89.98999…
    return points if isinstance(points, Decimal) else Decimal(str(points))


def _points_rank(points: Decimal) -> Rank:
    return next((rank for floor, rank in POINT_BANDS if points >= floor), Rank.NOT_COMPLETE)


def _cap(scheme: RatingScheme, code: str, rank: Rank, why: str, *, org: bool = False) -> CapReason:
    level = (scheme.organization_level_at if org else scheme.member_level_at)(rank)
    most = "" if rank == Rank.NOT_COMPLETE else "tối đa "
    return CapReason(code=code, rank=rank, message=f"{why}: chỉ được xếp loại {most}{level.label}")


def _error(code: str, subject_id: SubjectId | None, message: str) -> Violation:
    return Violation(code=code, subject_id=subject_id, message=message)


def _over_cap(
    scheme: RatingScheme, cap: LevelCap, slug: str, subject_id: SubjectId
) -> list[Violation]:
    """One violation per rule whose cap is below the proposed level."""
    rated = scheme.level(slug)
    return [
        _error(
            r.code,
            subject_id,
            f"{r.message}, không được xếp loại {rated.label} — {scheme.citation}",
        )
        for r in cap.reasons
        if r.rank < rated.rank
    ]


# === Members: caps (M0, M1, M2, M4, M5) and who is not rated (M3) =============================
def _member_caps(facts: MemberFacts, scheme: RatingScheme) -> list[CapReason]:
    caps: list[CapReason] = []
    year, bottom = facts.year, Rank.NOT_COMPLETE
    disciplines = disciplines_in_year(facts.events, year=year)
    if scheme.applies("M0"):
        tasks = facts.tasks
        if disciplines:
            caps.append(_cap(scheme, "M0", bottom, f"Đảng viên bị kỷ luật trong năm {year}"))
        elif tasks is not None and tasks.done < tasks.assigned:
            caps.append(_cap(scheme, "M0", bottom, "Đảng viên không hoàn thành nhiệm vụ được giao"))
    if scheme.applies("M1"):
        if year >= M1_SELF_REMEDY_FROM_YEAR:
            disciplines = [e for e in disciplines if not e.self_remedied]
        if disciplines:
            what = "; ".join(
                f"{DISCIPLINE_LABELS.get(e.discipline_form or '', 'kỷ luật')} ngày {_d(e.start)}"
                for e in disciplines
            )
            caps.append(
                _cap(scheme, "M1", bottom, f"Đảng viên bị kỷ luật trong năm {year} ({what})")
            )
    if scheme.applies("M2"):
        months = sick_leave_months(facts.events, year=year)
        if months >= SICK_LEAVE_MIN_MONTHS:
            spells = ", ".join(
                f"{_d(a)}–{_d(b)}" for a, b in sick_leave_spells(facts.events, year=year)
            )
            why = (
                f"Đảng viên nghỉ ốm {months} tháng trong năm {year} ({spells}; "
                f"từ {SICK_LEAVE_MIN_MONTHS} tháng trở lên)"
            )
            caps.append(_cap(scheme, "M2", Rank.COMPLETE, why))
    if scheme.applies("M4") and facts.civil_servant_level is not None:
        servant = scheme.level(facts.civil_servant_level)
        if servant.rank < Rank.EXCELLENT:
            rank = bottom if servant.rank == bottom else Rank.GOOD
            why = f"Đảng viên là cán bộ, công chức được xếp loại {servant.label} ở cơ quan, đơn vị"
            caps.append(_cap(scheme, "M4", rank, why))
    if scheme.applies("M5"):
        caps.extend(_m5_caps(facts, scheme))
    return caps


def _points_and_task_caps(
    scheme: RatingScheme,
    code: str,
    *,
    points: Decimal | int | None,
    tasks: TasksSummary | None,
    remedied: bool,
    org: bool = False,
) -> list[CapReason]:
    """Points bands (M5/O4) and the Điều 11 task conditions (rules_article11), 2025–.

    A task condition is listed only where it lowers the level below the points band, so the
    grid's reasons explain the cap rather than repeat it. With no task recorded only
    "earlier shortcomings remedied" is checked.
    """
    caps: list[CapReason] = []
    band = Rank.EXCELLENT
    who = "Tổ chức" if org else "Đảng viên"
    if points is not None:
        value = _as_points(points)
        band = _points_rank(value)
        if band < Rank.EXCELLENT:
            caps.append(_cap(scheme, code, band, f"{who} đạt {_num(value)} điểm", org=org))
    at = scheme.organization_level_at if org else scheme.member_level_at
    if tasks is None:
        found = (
            []
            if remedied
            else [
                article11.TaskCap(
                    rank=Rank.GOOD,
                    why="chưa khắc phục hết hạn chế, khuyết điểm đã được chỉ ra",
                    missing_for=Rank.EXCELLENT,
                )
            ]
        )
    else:
        found = article11.task_caps(tasks.counts, remedied=remedied)
    for task_cap in found:
        if task_cap.rank < band:
            if task_cap.missing_for is None:
                why = f"{who} có {task_cap.why}"
            else:
                why = f"Chưa đủ điều kiện {at(task_cap.missing_for).short} ({task_cap.why})"
            caps.append(_cap(scheme, code, task_cap.rank, why, org=org))
    return caps


def _m5_caps(facts: MemberFacts, scheme: RatingScheme) -> list[CapReason]:
    """Points bands and the Điều 11 task conditions of M5 (2025–)."""
    return _points_and_task_caps(
        scheme,
        "M5",
        points=facts.points,
        tasks=facts.tasks,
        remedied=facts.earlier_shortcomings_remedied,
    )


def _member_must_not_rate(
    facts: MemberFacts, scheme: RatingScheme, end: datetime.date
) -> tuple[str, str] | None:
    """(reason, sentence) when M3 says the member is not rated: status on the period end."""
    if not scheme.applies("M3"):
        return None
    if exempt := _active(facts.events, EVENT_EXEMPTION, end, end):
        why = f"Đảng viên được miễn công tác và sinh hoạt đảng (từ {_d(exempt.start)})"
        return NOT_RATED_EXEMPT, f"{why} không xếp loại chất lượng"
    suspended = _active(facts.events, EVENT_SUSPENSION, end, end)
    if suspended and facts.year >= SUSPENSION_NOT_RATED_FROM_YEAR:
        why = f"Đảng viên bị đình chỉ sinh hoạt đảng (từ {_d(suspended.start)})"
        return NOT_RATED_SUSPENDED, f"{why} không xếp loại chất lượng"
    admitted = facts.admitted_on
    if admitted is not None and is_less_than_six_months(admitted, period_end=end):
        return NOT_RATED_NEWLY_ADMITTED, (
            f"Đảng viên mới kết nạp ngày {_d(admitted)}, chưa đủ 06 tháng đến {_d(end)}: "
            "chỉ kiểm điểm, không xếp loại chất lượng"
        )
    return None


def _member_reason_problems(facts: MemberFacts, end: datetime.date) -> dict[str, str | None]:
    """Each not-rated reason a member may give, mapped to None if the facts support it."""
    year, first = facts.year, datetime.date(facts.year, 1, 1)
    problems: dict[str, str | None] = {
        NOT_RATED_EXEMPT: None
        if _active(facts.events, EVENT_EXEMPTION, first, end)
        else f"Không có quyết định miễn công tác và sinh hoạt đảng trong năm {year}"
    }
    if year >= SUSPENSION_NOT_RATED_FROM_YEAR:
        problems[NOT_RATED_SUSPENDED] = (
            None
            if _active(facts.events, EVENT_SUSPENSION, first, end)
            else f"Không có quyết định đình chỉ sinh hoạt đảng trong năm {year}"
        )
    admitted = facts.admitted_on
    new = admitted is not None and is_less_than_six_months(admitted, period_end=end)
    when = _d(admitted) if admitted else "không rõ"
    problems[NOT_RATED_NEWLY_ADMITTED] = (
        None if new else f"Đảng viên kết nạp ngày {when}, đã đủ 06 tháng đến {_d(end)}"
    )
    return problems


def _not_rated_violations(
    *,
    code: str,
    subject_id: SubjectId,
    reason: str | None,
    note: str,
    problems: Mapping[str, str | None],
    citation: str,
) -> list[Violation]:
    """M3/O6: a subject left unrated needs a reason, and the facts must support it.

    "Khác" with a note is not one of the reasons of §4.1: it passes as a warning so the deciding
    level sees it.
    """
    if not reason:
        listed = ", ".join(NOT_RATED_LABELS[r].lower() for r in problems)
        return [_error(code, subject_id, f"Không xếp loại phải ghi lý do ({listed}) — {citation}")]
    if reason == NOT_RATED_OTHER:
        if not note.strip():
            return [_error(code, subject_id, f"Lý do «Khác» phải ghi cụ thể — {citation}")]
        message = f"Không xếp loại vì lý do khác: {note.strip()} (cấp có thẩm quyền xem xét)"
        return [
            Violation(
                code=code,
                subject_id=subject_id,
                message=f"{message} — {citation}",
                level=SEVERITY_WARNING,
            )
        ]
    if reason not in problems:
        label = NOT_RATED_LABELS.get(reason, reason)
        return [_error(code, subject_id, f"Lý do «{label}» không áp dụng được — {citation}")]
    problem = problems[reason]
    return [] if problem is None else [_error(code, subject_id, f"{problem} — {citation}")]


def max_level_for(
    facts: MemberFacts, scheme: RatingScheme, *, period_end: datetime.date | None = None
) -> LevelCap:
    """The highest level the member may get under `scheme`, and the rules that cap it.

    The entry grid shows it beside each member; `check_member_ratings` enforces it.
    """
    end = period_end or default_period_end(facts.year)
    if not_rated := _member_must_not_rate(facts, scheme, end):
        return LevelCap(
            level=None, rank=None, not_rated_reason=not_rated[0], not_rated_message=not_rated[1]
        )
    reasons = tuple(_member_caps(facts, scheme))
    rank = min((r.rank for r in reasons), default=Rank.EXCELLENT)
    return LevelCap(level=scheme.member_level_at(rank).slug, rank=rank, reasons=reasons)


def check_member_rating(
    scheme: RatingScheme,
    facts: MemberFacts,
    rating: MemberRatingInput,
    *,
    period_end: datetime.date | None = None,
) -> list[Violation]:
    """Every member rule (M0–M5) for one member; the quota is counted over a set, see below."""
    if not scheme.covers(facts.year):
        raise ValueError(f"Scheme {scheme.code} does not cover year {facts.year}")
    end = period_end or default_period_end(facts.year)
    mid, cite = facts.member_id, scheme.citation
    if rating.level is None:
        return _not_rated_violations(
            code="M3",
            subject_id=mid,
            reason=rating.not_rated_reason,
            note=rating.not_rated_note,
            problems=_member_reason_problems(facts, end),
            citation=cite,
        )
    if not scheme.is_member_level(rating.level):
        why = f"Mức «{rating.level}» không thuộc các mức xếp loại đảng viên năm {facts.year}"
        return [_error("S1", mid, f"{why} — {cite}")]
    cap = max_level_for(facts, scheme, period_end=end)
    if cap.level is None:
        return [_error("M3", mid, f"{cap.not_rated_message} — {cite}")]
    violations = _over_cap(scheme, cap, rating.level, mid)
    if scheme.applies("M5") and facts.points is None:
        violations.append(_error("M5", mid, f"Chưa có điểm (thang 100) của đảng viên — {cite}"))
    elif scheme.applies("M5"):
        violations.extend(_far_below(scheme, cap, rating.level, facts.points, mid, org=False))
    return violations


def _far_below(
    scheme: RatingScheme,
    cap: LevelCap,
    level: str,
    points: Decimal | int,
    subject_id: SubjectId,
    *,
    org: bool,
) -> list[Violation]:
    """A warning when the level is two or more below its points band and no rule says why."""
    value, rank = _as_points(points), scheme.level(level).rank
    if not far_below_band(value, rank, caps=[r.rank for r in cap.reasons]):
        return []
    at = scheme.organization_level_at if org else scheme.member_level_at
    band = at(_points_rank(value)).short
    text = (
        f"{_num(value)} điểm thuộc khung {band} nhưng đề nghị {scheme.level(level).short}: "
        "kiểm tra lại điểm hoặc mức xếp loại"
    )
    code = "O4" if org else "M5"
    return [
        Violation(
            code=code,
            subject_id=subject_id,
            message=f"{text} — {scheme.citation}",
            level=SEVERITY_WARNING,
        )
    ]


# === Quota (Q1) ================================================================================
def quota_counts(
    scheme: RatingScheme,
    ratings: Iterable[MemberRatingInput | OrganizationRatingInput],
    *,
    ceilings: Iterable[QuotaCeiling] = (),
    organizations: bool = False,
) -> list[QuotaCount]:
    """HTTNV and HTXSNV per quota scope, and the HTXSNV allowed (integers, rounded down).

    A recorded ceiling decision (≤ 25%, rules_quota) replaces the ratio of the scope it covers.
    `organizations`: the ratings are collectives' (organization levels of the scheme).
    """
    base = scheme.quota_ratio
    if base is None:
        return []
    ceilings = list(ceilings)
    is_level = scheme.is_organization_level if organizations else scheme.is_member_level
    by_group = scheme.quota_scope in GROUPED_QUOTA_SCOPES
    tallies: dict[tuple[SubjectId | None, str | None], list[int]] = {}
    for rating in ratings:
        tally = tallies.setdefault(
            (rating.organization_id, rating.group if by_group else None), [0, 0]
        )
        if rating.level is not None and is_level(rating.level):
            rank = scheme.level(rating.level).rank
            tally[0] += rank == Rank.GOOD
            tally[1] += rank == Rank.EXCELLENT
    counts = []
    for (org, group), (good, excellent) in tallies.items():
        ceiling = ceiling_for(ceilings, org, group)
        ratio = ceiling.ratio if ceiling else base
        counts.append(
            QuotaCount(
                organization_id=org,
                group=group,
                good=good,
                excellent=excellent,
                max_excellent=good * ratio.numerator // ratio.denominator,
                ratio=ratio,
                ceiling=ceiling,
            )
        )
    return counts


def quota_violations(
    scheme: RatingScheme,
    ratings: Iterable[MemberRatingInput | OrganizationRatingInput],
    *,
    quota_exceptions: Iterable[QuotaException] = (),
    ceilings: Iterable[QuotaCeiling] = (),
    organizations: bool = False,
) -> list[Violation]:
    """Q1: HTXSNV may not exceed the quota ratio of HTTNV within each scope.

    A matching justified exception turns the error into a warning: it is lifted, not hidden.
    """
    if not scheme.applies("Q1") or scheme.quota_ratio is None:
        return []
    exceptions = list(quota_exceptions)
    at = scheme.organization_level_at if organizations else scheme.member_level_at
    excellent, good = at(Rank.EXCELLENT).label, at(Rank.GOOD).label
    who = "tổ chức đảng" if organizations else "đảng viên"
    violations = []
    counts = quota_counts(scheme, ratings, ceilings=ceilings, organizations=organizations)
    for count in counts:
        if not count.exceeded:
            continue
        where = f" trong nhóm «{count.group}»" if count.group else ""
        text = (
            f"Vượt tỷ lệ{where}: tối đa {count.max_excellent} {who} {excellent} "
            f"({percent_text(count.ratio)} của {count.good} {good}), "
            f"đề nghị {count.excellent}"
        )
        if count.ceiling is not None:
            text += f" ({count.ceiling.describe()})"
        exception = next(
            (
                e
                for e in exceptions
                if e.organization_id == count.organization_id and e.group in (None, count.group)
            ),
            None,
        )
        if exception is None:
            violations.append(_error("Q1", count.organization_id, f"{text} — {scheme.citation}"))
        elif (
            exception.allowed_excellent is not None
            and count.excellent > exception.allowed_excellent
        ):
            text += f"; ngoại lệ được chấp thuận chỉ cho phép {exception.allowed_excellent}"
            violations.append(_error("Q1", count.organization_id, f"{text} — {scheme.citation}"))
        else:
            text += (
                f"; ngoại lệ được cấp có thẩm quyền chấp thuận: {exception.justification.strip()}"
            )
            violations.append(
                Violation(
                    code="Q1",
                    subject_id=count.organization_id,
                    message=f"{text} — {scheme.citation}",
                    level=SEVERITY_WARNING,
                )
            )
    return violations


def check_member_ratings(
    scheme: RatingScheme,
    facts_by_member: Mapping[SubjectId, MemberFacts],
    ratings: Sequence[MemberRatingInput],
    *,
    quota_exceptions: Iterable[QuotaException] = (),
    period_end: datetime.date | None = None,
    quota_ceilings: Iterable[QuotaCeiling] = (),
) -> list[Violation]:
    """The entry point for a set of member ratings: each member's rules, then the quota.

    `ratings` is the whole set the quota is counted over (one grassroots organization, or more
    told apart by `organization_id`). A rating without facts is a programming error.
    """
    violations: list[Violation] = []
    for rating in ratings:
        if rating.member_id not in facts_by_member:
            raise ValueError(f"No facts for member {rating.member_id!r}")
        facts = facts_by_member[rating.member_id]
        violations.extend(check_member_rating(scheme, facts, rating, period_end=period_end))
    violations.extend(
        quota_violations(
            scheme, ratings, quota_exceptions=quota_exceptions, ceilings=quota_ceilings
        )
    )
    return violations


def organization_quota_violations(
    scheme: RatingScheme,
    ratings: Iterable[OrganizationRatingInput],
    *,
    ceilings: Iterable[QuotaCeiling] = (),
) -> list[Violation]:
    """The quota over collectives (2025–, Quy định 366 Điều 11): HTXSNV organizations may
    not exceed the ratio of those rated HTTNV within each scope (the deciding level, or a
    peer group of organizations it formed)."""
    if not scheme.applies("O4"):
        return []
    return quota_violations(scheme, ratings, ceilings=ceilings, organizations=True)


# === Organizations (O1–O6) =====================================================================
def _organization_caps(facts: OrganizationFacts, scheme: RatingScheme) -> list[CapReason]:
    caps: list[CapReason] = []
    year, bottom = facts.year, Rank.NOT_COMPLETE
    ranks = [scheme.level(slug).rank for slug in facts.sub_levels if slug is not None]
    rated = len(ranks)
    what = "tổ chức đảng trực thuộc" if facts.is_committee else "đảng viên"
    leaders = disciplines_in_year(facts.leadership_disciplines, year=year)
    collective = disciplines_in_year(facts.collective_disciplines, year=year)

    def cap(code: str, rank: Rank, why: str) -> None:
        caps.append(_cap(scheme, code, rank, why, org=True))

    if scheme.applies("O1") and not ranks:
        cap("O1", Rank.GOOD, f"Chưa có {what} nào được xếp loại")
    elif scheme.applies("O1"):
        share, good_or_better = O1_GOOD_OR_BETTER_SHARE, sum(r >= Rank.GOOD for r in ranks)
        if any(r < Rank.COMPLETE for r in ranks):
            cap("O1", Rank.GOOD, f"Có {what} không hoàn thành nhiệm vụ")
        elif good_or_better * share.denominator < rated * share.numerator:
            why = f"{good_or_better}/{rated} {what} hoàn thành tốt nhiệm vụ trở lên"
            cap("O1", Rank.GOOD, f"{why}, dưới {percent_text(share)}")
    if scheme.applies("O2"):
        warning = DISCIPLINE_SEVERITY[DISCIPLINE_WARNING]
        if any(DISCIPLINE_SEVERITY.get(e.discipline_form or "", 0) >= warning for e in leaders):
            cap("O2", bottom, f"Có cấp ủy viên bị kỷ luật từ Cảnh cáo trở lên trong năm {year}")
    if scheme.applies("O3"):
        share, hit = O3_DISCIPLINED_SUB_UNITS_SHARE, facts.disciplined_sub_unit_count
        if collective:
            cap("O3", bottom, f"Tập thể cấp ủy bị kỷ luật trong năm {year}")
        elif hit * share.denominator > facts.sub_unit_count * share.numerator:
            why = f"{hit}/{facts.sub_unit_count} tổ chức trực thuộc bị kỷ luật trong năm {year}"
            cap("O3", bottom, f"{why}, trên {percent_text(share)}")
    if scheme.applies("O4"):
        if leaders or collective or facts.disciplined_sub_unit_count:
            cap("O4", Rank.GOOD, f"Có tổ chức trực thuộc hoặc cấp ủy viên bị kỷ luật năm {year}")
        caps.extend(
            _points_and_task_caps(
                scheme,
                "O4",
                points=facts.points,
                tasks=facts.tasks,
                remedied=facts.earlier_shortcomings_remedied,
                org=True,
            )
        )
    if scheme.applies("O5"):
        floor = POINT_BANDS[-1][0]
        if facts.points is not None and (points := _as_points(facts.points)) < floor:
            cap("O5", bottom, f"Tổ chức đạt {_num(points)} điểm, dưới {_num(floor)}")
        if facts.is_committee:
            share, label = O5_WEAK_SUB_ORGANIZATIONS_SHARE, "Yếu kém"
        else:
            share, label = O5_NOT_COMPLETE_MEMBERS_SHARE, "không hoàn thành nhiệm vụ"
        low = sum(r == bottom for r in ranks)
        if low * share.denominator > rated * share.numerator:
            cap("O5", bottom, f"{low}/{rated} {what} {label}, trên {percent_text(share)}")
    return caps


def max_organization_level_for(
    facts: OrganizationFacts, scheme: RatingScheme, *, period_end: datetime.date | None = None
) -> LevelCap:
    """The highest level the organization may get under `scheme` (O1–O6), with the reasons."""
    end = period_end or default_period_end(facts.year)
    founded = facts.established_on
    if founded is not None and is_less_than_six_months(founded, period_end=end):
        return LevelCap(
            level=None,
            rank=None,
            not_rated_reason=NOT_RATED_NEWLY_ESTABLISHED,
            not_rated_message=(
                f"Tổ chức đảng mới thành lập ngày {_d(founded)}, chưa đủ 06 tháng đến "
                f"{_d(end)}: không xếp loại chất lượng"
            ),
        )
    reasons = tuple(_organization_caps(facts, scheme))
    rank = min((r.rank for r in reasons), default=Rank.EXCELLENT)
    return LevelCap(level=scheme.organization_level_at(rank).slug, rank=rank, reasons=reasons)


def check_organization_rating(
    scheme: RatingScheme,
    facts: OrganizationFacts,
    *,
    level: str | None,
    not_rated_reason: str | None = None,
    not_rated_note: str = "",
    period_end: datetime.date | None = None,
) -> list[Violation]:
    """Every organization rule (O1–O6) for one proposed organization level."""
    if not scheme.covers(facts.year):
        raise ValueError(f"Scheme {scheme.code} does not cover year {facts.year}")
    end = period_end or default_period_end(facts.year)
    oid, cite = facts.organization_id, scheme.citation
    cap = max_organization_level_for(facts, scheme, period_end=end)
    if level is None:
        when = _d(facts.established_on) if facts.established_on else "không rõ"
        problem = f"Tổ chức thành lập ngày {when}, đã đủ 06 tháng đến {_d(end)}"
        return _not_rated_violations(
            code="O6",
            subject_id=oid,
            reason=not_rated_reason,
            note=not_rated_note,
            problems={NOT_RATED_NEWLY_ESTABLISHED: None if cap.level is None else problem},
            citation=cite,
        )
    if not scheme.is_organization_level(level):
        why = f"Mức «{level}» không thuộc các mức xếp loại tổ chức đảng năm {facts.year}"
        return [_error("S1", oid, f"{why} — {cite}")]
    if cap.level is None:
        return [_error("O6", oid, f"{cap.not_rated_message} — {cite}")]
    violations = _over_cap(scheme, cap, level, oid)
    if scheme.applies("O4") and facts.points is None:
        violations.append(_error("O4", oid, f"Chưa có điểm (thang 100) của tổ chức đảng — {cite}"))
    elif scheme.applies("O4"):
        violations.extend(_far_below(scheme, cap, level, facts.points, oid, org=True))
    return violations


# === Unit workflow =============================================================================
class TransitionError(Exception):
    """Raised by `require_transition`; carries the violation for the caller's message."""

    def __init__(self, violation: Violation) -> None:
        super().__init__(violation.message)
        self.violation = violation


def check_transition(
    from_state: str,
    to_state: str,
    *,
    by_deciding_level: bool = False,
    subject_id: SubjectId | None = None,
) -> Violation | None:
    """None when a unit's rating may move `from_state` → `to_state`, else the violation.

    draft → submitted → returned | decided → published; returned → submitted | draft;
    decided | published → draft is the audited reopening, for the deciding level only.
    Codes: W1 unknown state, W2 transition not allowed, W3 reopening by another level.
    """
    for state in (from_state, to_state):
        if state not in STATE_LABELS:
            return _error("W1", subject_id, f"Trạng thái không hợp lệ: «{state}»")
    if (from_state, to_state) in _REOPEN:
        if by_deciding_level:
            return None
        why = "Kết quả đã quyết định chỉ được mở lại bởi cấp ủy đã quyết định"
        return _error("W3", subject_id, f"{why} (Quy định 124-QĐ/TW, Điều 13)")
    if (from_state, to_state) in _TRANSITIONS:
        return None
    frm, to = STATE_LABELS[from_state], STATE_LABELS[to_state]
    return _error("W2", subject_id, f"Không thể chuyển từ «{frm}» sang «{to}»")


def require_transition(
    from_state: str,
    to_state: str,
    *,
    by_deciding_level: bool = False,
    subject_id: SubjectId | None = None,
) -> None:
    """`check_transition` for services: raise `TransitionError` instead of returning it."""
    violation = check_transition(
        from_state, to_state, by_deciding_level=by_deciding_level, subject_id=subject_id
    )
    if violation is not None:
        raise TransitionError(violation)
