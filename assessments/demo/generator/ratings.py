"""The ratings, tasks and cell meetings of a generated province, one year at a time.

Each year's levels are drawn under that year's scheme and capped by the same pure rules the
entry grid uses (assessments.rules.max_level_for / max_organization_level_for); the HTXSNV quota
is then enforced per grassroots organization with the rules' integer arithmetic. A member
with no rule-relevant fact in the year (no event touching it, not newly admitted, no task
recorded) has no cap, which is exactly what the rules would answer, so the rules are only
called for the others: that keeps ten years of a 400,000-member province within minutes.

Rows come out as tuples in the column order of the `*_COLUMNS` lists, ready for COPY.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from cells.choices import EventKind, OrganizationType

from ... import rules
from ...choices import DECIDED_STATES
from ...facts import LED_UNIT_FROM_YEAR, is_head_title
from ...schemes import Rank, RatingScheme, scheme_for_year
from ..drawing import (
    CURRENT_STATES,
    member_points,
    member_rank,
    organization_draw,
    pick,
    respect_quota,
)
from .entities import Org, Person, Plan
from .people import PARTY
from .scores import SheetDrawer, scores_sheets

T = OrganizationType
D = datetime.date
UTC = datetime.UTC

ROUND_COLUMNS = [
    "id",
    "organization_id",
    "year",
    "scheme_code",
    "state",
    "version",
    "submitted_at",
    "decided_at",
    "published_at",
    "return_comment",
    "reopen_reason",
    "quota_exception",
    "updated_at",
]
MEMBER_RATING_COLUMNS = [
    "round_id",
    "member_id",
    "year",
    "cell_id",
    "self_level",
    "cell_level",
    "votes_for",
    "votes_total",
    "proposed_level",
    "decided_level",
    "not_rated_reason",
    "not_rated_note",
    "points",
    "civil_servant_level",
    "group",
    "note",
    "version",
    "updated_at",
    "id",
]
ORGANIZATION_RATING_COLUMNS = [
    "round_id",
    "organization_id",
    "year",
    "proposed_level",
    "decided_level",
    "is_exemplary",
    "not_rated_reason",
    "not_rated_note",
    "points",
    "note",
    "decided_at",
    "version",
    "updated_at",
    "id",
]
TASK_COLUMNS = ["year", "member_id", "title", "result", "shortcoming_remedied"]
MEETING_COLUMNS = ["cell_id", "held_on", "kind", "topic", "attended", "expected"]

TASK_TITLES = [
    "Tuyên truyền, vận động nhân dân thực hiện chủ trương của Đảng, pháp luật của Nhà nước",
    "Tham gia xây dựng nông thôn mới, đô thị văn minh ở khu dân cư",
    "Giúp đỡ quần chúng ưu tú phấn đấu vào Đảng",
    "Nắm tình hình tư tưởng, dư luận xã hội nơi cư trú",
    "Tham gia công tác hòa giải ở cơ sở",
    "Thực hiện chuyển đổi số trong sinh hoạt chi bộ",
]
TASK_RESULTS = {"on_time": 72, "exceeded": 20, "late": 6, "not_done": 2}
THEMATIC_TOPICS = [
    "Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "Công tác phát triển đảng viên",
    "Xây dựng nông thôn mới và đô thị văn minh",
    "Phòng, chống tham nhũng, lãng phí, tiêu cực",
    "Bảo vệ nền tảng tư tưởng của Đảng",
    "Chuyển đổi số và cải cách hành chính",
]
RETURN_COMMENT = "Đề nghị rà soát lại tỷ lệ đảng viên hoàn thành xuất sắc nhiệm vụ."


@dataclass
class YearRows:
    """One year's rows, and counts for the progress output."""

    rounds: list[tuple] = field(default_factory=list)
    member_ratings: list[tuple] = field(default_factory=list)
    organization_ratings: list[tuple] = field(default_factory=list)
    tasks: list[tuple] = field(default_factory=list)
    meetings: list[tuple] = field(default_factory=list)
    score_sheets: list[tuple] = field(default_factory=list)


def grassroots_of(cell: Org) -> Org:
    return cell if cell.is_grassroots else cell.parent


def _touches(person: Person, first: datetime.date, last: datetime.date) -> bool:
    for e in person.rule_events:
        if e.kind == EventKind.DISCIPLINE:
            if first <= e.start <= last:
                return True
        elif e.start <= last and (e.end is None or e.end >= first):
            return True
    return False


class RatingGenerator:
    """Draws every year's rounds for a plan, numbering rounds and ratings from the first free
    ids given; `points_items` (year → the province's criteria rows) scores the sheets."""

    def __init__(
        self,
        plan: Plan,
        *,
        seed: int,
        first_round_id: int,
        first_member_rating_id: int = 1,
        first_organization_rating_id: int = 1,
        points_items: dict[int, list[tuple]] | None = None,
    ):
        self.plan = plan
        self.seed = seed
        self.next_round_id = first_round_id
        self.next_member_rating_id = first_member_rating_id
        self.next_organization_rating_id = first_organization_rating_id
        self.points_items = points_items or {}
        self.drawer: SheetDrawer | None = None
        self.leaders: dict[Org, list[tuple[Person, datetime.date, datetime.date | None]]] = (
            defaultdict(list)
        )
        for person, kind, _title, org, start, end, _head in plan.posts:
            if kind == PARTY:
                self.leaders[org].append((person, start, end))

    def leadership_disciplines(self, org: Org, year: int) -> tuple[rules.EventFact, ...]:
        found = []
        for person, start, end in self.leaders.get(org, ()):
            for e in rules.disciplines_in_year(person.rule_events, year=year):
                if start <= e.start and (end is None or e.start <= end):
                    found.append(e)
        return tuple(found)

    def year(self, year: int) -> YearRows:
        plan, out = self.plan, YearRows()
        scheme = scheme_for_year(year)
        first, day = D(year, 1, 1), rules.default_period_end(year)
        in_progress = year == plan.last_year
        stamp = datetime.datetime(year + 1, 1, 20, 9, 0, tzinfo=UTC)
        if in_progress:
            stamp = datetime.datetime(year, 12, 1, 9, 0, tzinfo=UTC)
        by_grassroots: dict[Org, list[tuple[Person, Org]]] = defaultdict(list)
        cell_size: dict[Org, int] = defaultdict(int)
        mid_size: dict[Org, int] = defaultdict(int)  # cells dissolved during the year
        mid_year = D(year, 6, 30)
        for person in plan.people:
            cell = person.cell_on(day)
            if cell is not None:
                by_grassroots[grassroots_of(cell)].append((person, cell))
                cell_size[cell] += 1
            if year >= 2025:
                cell = person.cell_on(mid_year)
                if cell is not None and cell.dissolved_on is not None:
                    mid_size[cell] += 1
        tasks = self._tasks(year, by_grassroots, out) if scheme.applies("M5") else {}
        self.drawer = None
        if scores_sheets(scheme, year) and year in self.points_items:
            self.drawer = SheetDrawer(self.points_items[year], stamp)
        units = sorted((g for g in by_grassroots if g.active_on(day)), key=lambda g: g.code)
        order = list(range(len(units)))
        random.Random(f"{self.seed}:{year}").shuffle(order)
        dealt = dict(zip(units, order, strict=True))
        # Grassroots cells first: a commune counts them among its sub-units (O1), as
        # assessments.facts.organization_facts_for does.
        self.levels: dict[Org, str | None] = {}
        for unit in sorted(units, key=lambda g: (bool(g.children), g.code)):
            n = dealt[unit]
            state = CURRENT_STATES[n % len(CURRENT_STATES)] if in_progress else "published"
            rng = random.Random(f"{self.seed}:{unit.code}:{year}")
            self._round(
                unit,
                by_grassroots[unit],
                scheme,
                year,
                first,
                day,
                state,
                stamp,
                rng,
                tasks,
                cell_size,
                out,
            )
        if year >= LED_UNIT_FROM_YEAR:
            self._cap_heads_by_their_units(year, scheme, out)
        self._meetings(year, {**mid_size, **cell_size}, out)
        return out

    def _cap_heads_by_their_units(self, year: int, scheme: RatingScheme, out: YearRows) -> None:
        """Điều 11 (2025–): a bí thư / phó bí thư is HTXSNV only when the unit they head is.

        Units are drawn after their members (O1 counts the members), so a head drawn HTXSNV
        whose unit then came out lower is lowered to HTTNV here: that keeps every
        "HTTNV or better" count, and so every organization's level and the quota, as drawn.
        """
        first, last = D(year, 1, 1), D(year, 12, 31)
        excellent = scheme.member_level_at(Rank.EXCELLENT).slug
        good = scheme.member_level_at(Rank.GOOD).slug
        held_back = set()
        for person, kind, title, org, start, end, _head in self.plan.posts:
            if kind != PARTY or not is_head_title(title) or start > last:
                continue
            if end is not None and end < first:
                continue
            level = self.levels.get(org)
            if level is not None and scheme.level(level).rank < Rank.EXCELLENT:
                held_back.add(person.id)
        proposed, decided = (
            MEMBER_RATING_COLUMNS.index("proposed_level"),
            MEMBER_RATING_COLUMNS.index("decided_level"),
        )
        cell_level = MEMBER_RATING_COLUMNS.index("cell_level")
        for i, row in enumerate(out.member_ratings):
            if row[1] not in held_back or row[proposed] != excellent:
                continue
            row = list(row)
            row[cell_level] = row[proposed] = good
            if row[decided]:
                row[decided] = good
            out.member_ratings[i] = tuple(row)

    # --- members -------------------------------------------------------------------------
    def _tasks(self, year, by_grassroots, out) -> dict[Person, tuple[rules.TasksSummary, bool]]:
        rng = random.Random(f"{self.seed}:tasks:{year}")
        found = {}
        for unit in sorted(by_grassroots, key=lambda g: g.code):
            for person, _cell in by_grassroots[unit]:
                results, remedied = [], True
                for title in rng.sample(TASK_TITLES, rng.randint(2, 3)):
                    result = pick(rng, TASK_RESULTS)
                    flag = None
                    if rng.random() < 0.02:
                        flag, remedied = False, False
                    results.append(result)
                    out.tasks.append((year, person.id, title, result, flag))
                found[person] = (rules.TasksSummary.from_results(results), remedied)
        return found

    def _member_cap(self, person, scheme, year, first, day, tasks) -> rules.LevelCap | None:
        admitted = person.fields["admitted_on"]
        new = rules.is_less_than_six_months(admitted, period_end=day)
        summary = tasks.get(person)
        if not new and summary is None and not _touches(person, first, day):
            return None  # no fact that could cap or exclude: the rules would say HTXSNV
        facts = rules.MemberFacts(
            member_id=person.id,
            year=year,
            admitted_on=admitted,
            events=person.rule_events,
            tasks=summary[0] if summary else None,
            earlier_shortcomings_remedied=summary[1] if summary else True,
        )
        return rules.max_level_for(facts, scheme)

    def _round(
        self,
        unit,
        members,
        scheme: RatingScheme,
        year,
        first,
        day,
        state,
        stamp,
        rng,
        tasks,
        cell_size,
        out: YearRows,
    ) -> None:
        round_id = self.next_round_id
        self.next_round_id += 1
        ranks: dict[Person, Rank | None] = {}
        reasons: dict[Person, str] = {}
        for person, _cell in members:
            cap = self._member_cap(person, scheme, year, first, day, tasks)
            ranks[person], reasons[person] = member_rank(rng, cap)
        respect_quota(scheme, ranks, rng)
        decided = state in DECIDED_STATES
        # The sheets draw from their own stream: the levels stay those drawn without them.
        sheet_rng = random.Random(f"{self.seed}:sheets:{unit.code}:{year}")
        levels_by_cell: dict[Org, list[str | None]] = defaultdict(list)
        for person, cell in members:
            rank = ranks[person]
            level = scheme.member_level_at(rank).slug if rank is not None else ""
            levels_by_cell[cell].append(level or None)
            self_level = level
            if rank is not None and rank < Rank.EXCELLENT and rng.random() < 0.15:
                self_level = scheme.member_level_at(Rank(rank + 1)).slug
            total = cell_size[cell]
            present = total - rng.randint(0, max(0, total // 8))
            votes_for = present - rng.randint(0, max(0, present // 10)) if level else None
            rating_id = self.next_member_rating_id
            self.next_member_rating_id += 1
            points = member_points(rng, scheme, rank)
            if self.drawer is not None:
                summary = tasks.get(person)
                out.score_sheets.extend(
                    self.drawer.sheets(
                        sheet_rng,
                        member_rating_id=rating_id,
                        points=points,
                        state=state,
                        tasks=summary[0] if summary else None,
                    )
                )
            out.member_ratings.append(
                (
                    round_id,
                    person.id,
                    year,
                    cell.id,
                    self_level,
                    level,
                    votes_for,
                    present if level else None,
                    level,
                    level if decided else "",
                    reasons.get(person, ""),
                    "",
                    points,
                    "",
                    "",
                    "",
                    1,
                    stamp,
                    rating_id,
                )
            )
        # Cells are rated inside the round, then the grassroots organization itself; their
        # sheets follow the round's state and stream (read by _organization).
        self._round_state, self._sheet_rng = state, sheet_rng
        org_levels = []
        sub_units = [c for c in unit.children if c.active_on(day)]
        for cell in sub_units:
            if cell in levels_by_cell:
                level = self._organization(
                    round_id,
                    cell,
                    scheme,
                    year,
                    rng,
                    decided,
                    stamp,
                    False,
                    levels_by_cell[cell],
                    0,
                    out,
                )
                org_levels.append(level)
            elif cell in self.levels:  # rated in its own round (a grassroots cell)
                org_levels.append(self.levels[cell])
        if sub_units:
            self._organization(
                round_id,
                unit,
                scheme,
                year,
                rng,
                decided,
                stamp,
                True,
                org_levels,
                len(sub_units),
                out,
            )
        else:
            self._organization(
                round_id,
                unit,
                scheme,
                year,
                rng,
                decided,
                stamp,
                False,
                levels_by_cell.get(unit, []),
                0,
                out,
            )
        submitted = stamp if state != "draft" else None
        out.rounds.append(
            (
                round_id,
                unit.id,
                year,
                scheme.code,
                state,
                1,
                submitted,
                stamp if decided else None,
                stamp if state == "published" else None,
                RETURN_COMMENT if state == "returned" else "",
                "",
                "",
                stamp,
            )
        )

    # --- organizations -----------------------------------------------------------------
    def _organization(
        self,
        round_id,
        org,
        scheme,
        year,
        rng,
        decided,
        stamp,
        is_committee,
        sub_levels,
        sub_unit_count,
        out,
    ) -> str | None:
        facts = rules.OrganizationFacts(
            organization_id=org.id,
            year=year,
            is_committee=is_committee,
            established_on=org.established_on,
            sub_levels=tuple(sub_levels),
            leadership_disciplines=self.leadership_disciplines(org, year),
            sub_unit_count=sub_unit_count,
        )
        drawn = organization_draw(rng, scheme, rules.max_organization_level_for(facts, scheme))
        level, points = drawn.level, drawn.points
        exemplary, reason = drawn.is_exemplary, drawn.not_rated_reason
        self.levels[org] = level or None
        rating_id = self.next_organization_rating_id
        self.next_organization_rating_id += 1
        if self.drawer is not None:
            out.score_sheets.extend(
                self.drawer.sheets(
                    self._sheet_rng,
                    organization_rating_id=rating_id,
                    points=points,
                    state=self._round_state,
                )
            )
        out.organization_ratings.append(
            (
                round_id,
                org.id,
                year,
                level,
                level if decided else "",
                exemplary,
                reason,
                "",
                points,
                "",
                # Decided with the round (a chi bộ trực thuộc by its đảng ủy: HD 43 §3).
                stamp if decided else None,
                1,
                stamp,
                rating_id,
            )
        )
        return level or None

    # --- meetings ------------------------------------------------------------------------
    def _meetings(self, year: int, cell_size: dict[Org, int], out: YearRows) -> None:
        """12 regular meetings a year (those of the months the cell existed) and 1–3 thematic."""
        rng = random.Random(f"{self.seed}:meetings:{year}")
        last = self.plan.reference_day
        for cell in sorted(cell_size, key=lambda c: c.code):
            expected = cell_size[cell]
            for month in range(1, 13):
                held = D(year, month, rng.randint(3, 10))
                if held > last or not cell.active_on(held):
                    continue
                attended = expected - rng.randint(0, max(0, expected // 7))
                topic = f"Sinh hoạt chi bộ thường kỳ tháng {month:02d}/{year}"
                out.meetings.append((cell.id, held, "regular", topic, attended, expected))
            for topic in rng.sample(THEMATIC_TOPICS, rng.randint(1, 3)):
                held = D(year, rng.choice([3, 5, 9, 11]), rng.randint(15, 25))
                if held > last or not cell.active_on(held):
                    continue
                attended = expected - rng.randint(0, max(0, expected // 6))
                out.meetings.append((cell.id, held, "thematic", topic, attended, expected))


def iter_years(generator: RatingGenerator) -> Iterator[tuple[int, YearRows]]:
    for year in range(generator.plan.first_year, generator.plan.last_year + 1):
        yield year, generator.year(year)
