"""Demo ratings: ten years of member and organization ratings for the demo province.

Every round is generated under its year's scheme and checked with the same pure rules as the
entry grid (assessments.rules) before anything is written, so the demo never shows a rating
the application itself would refuse. Writing bypasses the services on purpose: they lock,
audit and re-check one round at a time, and the demo writes about 15,000 ratings, so each
year is written with a few bulk inserts instead.

Deterministic: each round draws from its own `random.Random` seeded with the organization
code and the year, so a run gives the same result whatever was seeded before, and idempotent:
a round that already exists is left alone.
"""

import dataclasses
import datetime
import random
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import OutputWrapper
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from cells.choices import CELL_TYPES, EventKind, PostKind
from cells.models import Member, MemberEvent, Membership, Organization, Post

from .. import facts as rating_facts
from .. import rules, selectors
from ..choices import DECIDED_STATES, RoundState
from ..models import MemberRating, OrganizationRating, RatingRound
from ..schemes import Rank, RatingScheme
from ..year_services import current_rating_year
from .drawing import (
    CURRENT_STATES,
    member_points,
    member_rank,
    organization_draw,
    respect_quota,
)

DEMO_RATINGS_SEED = 20160101
DEMO_REVIEWER = "thamdinh.tinh"
FIRST_DEMO_YEAR = 2016
# The demo's structure was reorganised in 2025: its first year in progress, never earlier.
FIRST_YEAR_IN_PROGRESS = 2025


def year_in_progress(today: datetime.date | None = None) -> int:
    """The year whose rounds are still moving in the demo: the year being rated today (the
    review screen opens on it), from 2025 on. Earlier years are decided and published."""
    return max(FIRST_YEAR_IN_PROGRESS, current_rating_year(today=today))


def demo_years(today: datetime.date | None = None) -> range:
    return range(FIRST_DEMO_YEAR, year_in_progress(today) + 1)


RETURN_COMMENTS = [
    "Đề nghị rà soát lại tỷ lệ đảng viên hoàn thành xuất sắc nhiệm vụ so với hướng dẫn.",
    "Bổ sung biên bản họp chi bộ và lý do không xếp loại của các đồng chí được miễn.",
    "Đề nghị thống nhất điểm đánh giá giữa chi bộ và đảng ủy trước khi gửi lại.",
]


class DemoRatingError(Exception):
    """A generated round broke a rule: a bug of this module, never written to the database."""


@dataclass
class _Year:
    """What one year's rounds are generated from, loaded in a few queries for the whole tree."""

    year: int
    scheme: RatingScheme
    day: datetime.date
    cell_of: dict[int, int]  # member id -> cell id on 31/12
    members_by_grassroots: dict[int, list[int]] = field(default_factory=dict)
    events: dict[int, list[rules.EventFact]] = field(default_factory=dict)
    tasks: dict[int, tuple[rules.TasksSummary, bool]] = field(default_factory=dict)


@dataclass
class _Round:
    round: RatingRound
    members: list[MemberRating]
    organizations: list[OrganizationRating]


def _moment(year: int, month: int, day: int) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime(year, month, day, 9, 0))


class _Seeder:
    def __init__(self, *, root: Organization | None, seed: int, log: Callable[[str], None]):
        self.seed = seed
        self.log = log
        orgs = Organization.objects.all()
        if root is not None:
            orgs = orgs.filter(path__startswith=root.path)
        self.orgs = {o.pk: o for o in orgs.order_by("path")}
        self.by_path = {o.path: o for o in self.orgs.values()}
        self.prefix = root.path if root is not None else ""
        self.reviewer = get_user_model().objects.filter(username=DEMO_REVIEWER).first()
        self._load_people()

    # --- bulk loading ----------------------------------------------------------------------
    def _load_people(self) -> None:
        members = Member.objects.filter(
            memberships__organization__path__startswith=self.prefix
        ).distinct()
        self.admitted = dict(members.values_list("pk", "admitted_on"))
        self.disciplines: dict[int, list[rules.EventFact]] = defaultdict(list)
        for event in MemberEvent.objects.filter(
            member_id__in=self.admitted, kind=EventKind.DISCIPLINE
        ).order_by("start", "pk"):
            self.disciplines[event.member_id].append(
                rules.EventFact(
                    kind=event.kind,
                    start=event.start,
                    discipline_form=event.discipline_form or None,
                    self_remedied=event.self_remedied,
                )
            )
        self.party_posts: dict[int, list[tuple]] = defaultdict(list)
        for member_id, org_id, start, end in Post.objects.filter(
            kind=PostKind.PARTY, organization_id__in=self.orgs
        ).values_list("member_id", "organization_id", "start", "end"):
            self.party_posts[org_id].append((member_id, start, end))

    def grassroots_of(self, org: Organization) -> Organization | None:
        """Nearest grassroots ancestor-or-self, from the paths already loaded."""
        step = Organization.steplen
        for depth in range(org.depth, 0, -1):
            node = self.by_path.get(org.path[: depth * step])
            if node is not None and node.is_grassroots:
                return node
        return None

    def load_year(self, year: int) -> _Year:
        day = rules.default_period_end(year)
        memberships = (
            Membership.objects.filter(
                Q(end__isnull=True) | Q(end__gte=day),
                start__lte=day,
                organization__path__startswith=self.prefix,
            )
            .order_by("member_id", "start", "pk")
            .values_list("member_id", "organization_id")
        )
        data = _Year(year=year, scheme=selectors.scheme_for(year), day=day, cell_of={})
        for member_id, cell_id in memberships:
            data.cell_of[member_id] = cell_id  # the latest start wins, as on the member page
        data.events = rating_facts.events_by_member(member_ids=data.cell_of, year=year)
        data.tasks = rating_facts.tasks_by_member(member_ids=data.cell_of, year=year)
        grouped: dict[int, list[int]] = defaultdict(list)
        for member_id, cell_id in data.cell_of.items():
            grassroots = self.grassroots_of(self.orgs[cell_id])
            if grassroots is not None:
                grouped[grassroots.pk].append(member_id)
        data.members_by_grassroots = {k: sorted(v) for k, v in grouped.items()}
        return data

    # --- facts (as assessments.facts reads them, from the caches loaded above) ------------
    def member_facts(
        self, member_id: int, data: _Year, points: Decimal | None = None
    ) -> rules.MemberFacts:
        tasks, remedied = data.tasks.get(member_id, (None, True))
        return rules.MemberFacts(
            member_id=member_id,
            year=data.year,
            admitted_on=self.admitted.get(member_id),
            events=tuple(data.events.get(member_id, ())),
            points=points,
            tasks=tasks,
            earlier_shortcomings_remedied=remedied,
        )

    def leadership_disciplines(self, org: Organization, year: int) -> tuple[rules.EventFact, ...]:
        """Disciplines in `year` of members holding a Party post in `org` on the day."""
        found = []
        for member_id, start, end in self.party_posts.get(org.pk, ()):
            for event in rules.disciplines_in_year(self.disciplines.get(member_id, ()), year=year):
                if (start is None or start <= event.start) and (end is None or end >= event.start):
                    found.append(event)
        return tuple(found)

    # --- one round -------------------------------------------------------------------------
    def sub_units_of(self, org: Organization, day: datetime.date) -> list[Organization]:
        """Direct sub-units existing on the period end (as assessments.facts counts them)."""
        return [
            o
            for o in self.orgs.values()
            if o.depth == org.depth + 1 and o.path.startswith(org.path) and o.is_active_on(day)
        ]

    def build_round(
        self, grassroots: Organization, data: _Year, *, state: str, rng: random.Random
    ) -> _Round:
        scheme, year = data.scheme, data.year
        round_ = RatingRound(
            organization=grassroots, year=year, scheme_code=scheme.code, state=state
        )
        member_ids = data.members_by_grassroots.get(grassroots.pk, [])
        ratings = self._member_ratings(round_, member_ids, data, rng)
        levels_by_cell: dict[int, list[str | None]] = defaultdict(list)
        for rating in ratings:
            levels_by_cell[rating.cell_id].append(rating.proposed_level or None)
        organizations = []
        sub_units = self.sub_units_of(grassroots, data.day)
        # Cells are rated inside the round; a cell without members that year has nothing to
        # be rated on.
        cells = [c for c in sub_units if c.type in CELL_TYPES and c.pk in levels_by_cell]
        for cell in cells:
            organizations.append(
                self._organization_rating(
                    round_,
                    cell,
                    data,
                    rng,
                    is_committee=False,
                    sub_levels=levels_by_cell.get(cell.pk, []),
                )
            )
        if sub_units:
            own = self._organization_rating(
                round_,
                grassroots,
                data,
                rng,
                is_committee=True,
                sub_levels=[o.proposed_level or None for o in organizations],
                sub_unit_count=len(sub_units),
            )
        else:
            own = self._organization_rating(
                round_,
                grassroots,
                data,
                rng,
                is_committee=False,
                sub_levels=[r.proposed_level or None for r in ratings],
            )
        organizations.append(own)
        # Dated as the procedure runs (DOMAIN §4.2): proposals in December, decisions and
        # announcements in January.
        decided = state in DECIDED_STATES
        if state != RoundState.DRAFT:
            round_.submitted_at = _moment(year, 12, rng.randint(10, 20))
        if state == RoundState.RETURNED:
            round_.return_comment = rng.choice(RETURN_COMMENTS)
        if decided:
            round_.decided_at = _moment(year + 1, 1, rng.randint(5, 15))
            round_.decided_by = self.reviewer
            for rating in (*ratings, *organizations):
                rating.decided_level = rating.proposed_level
            for rating in organizations:
                rating.decided_at, rating.decided_by = round_.decided_at, self.reviewer
        if state == RoundState.PUBLISHED:
            round_.published_at = _moment(year + 1, 1, rng.randint(16, 25))
        return _Round(round_, ratings, organizations)

    def _member_ratings(
        self, round_: RatingRound, member_ids: list[int], data: _Year, rng: random.Random
    ) -> list[MemberRating]:
        scheme, year = data.scheme, data.year
        ranks: dict[int, Rank | None] = {}
        reasons: dict[int, str] = {}
        for member_id in member_ids:
            cap = rules.max_level_for(self.member_facts(member_id, data), scheme)
            ranks[member_id], reasons[member_id] = member_rank(rng, cap)
        respect_quota(scheme, ranks, rng)
        points = {m: member_points(rng, scheme, rank) for m, rank in ranks.items()}
        ratings = [
            MemberRating(
                round=round_,
                member_id=member_id,
                year=year,
                cell_id=data.cell_of[member_id],
                proposed_level=scheme.member_level_at(rank).slug if rank is not None else "",
                not_rated_reason=reasons.get(member_id, ""),
                points=points[member_id],
            )
            for member_id, rank in ranks.items()
        ]
        self._check_members(data, round_, ratings)
        return ratings

    def _check_members(self, data: _Year, round_: RatingRound, ratings: list[MemberRating]) -> None:
        scheme = data.scheme
        facts = {r.member_id: self.member_facts(r.member_id, data, r.points) for r in ratings}
        inputs = [
            rules.MemberRatingInput(
                member_id=r.member_id,
                level=r.proposed_level or None,
                not_rated_reason=r.not_rated_reason or None,
                organization_id=round_.organization.pk,
            )
            for r in ratings
        ]
        errors = [v for v in rules.check_member_ratings(scheme, facts, inputs) if v.is_blocking]
        if errors:
            raise DemoRatingError(f"{round_}: {errors[0].message}")

    def _organization_rating(
        self,
        round_: RatingRound,
        org: Organization,
        data: _Year,
        rng: random.Random,
        *,
        is_committee: bool,
        sub_levels: Iterable[str | None],
        sub_unit_count: int = 0,
    ) -> OrganizationRating:
        scheme, year = data.scheme, data.year
        facts = rules.OrganizationFacts(
            organization_id=org.pk,
            year=year,
            is_committee=is_committee,
            established_on=org.established_on,
            sub_levels=tuple(sub_levels),
            leadership_disciplines=self.leadership_disciplines(org, year),
            sub_unit_count=sub_unit_count,
        )
        drawn = organization_draw(rng, scheme, rules.max_organization_level_for(facts, scheme))
        rating = OrganizationRating(
            round=round_,
            organization=org,
            year=year,
            proposed_level=drawn.level,
            points=drawn.points,
            is_exemplary=drawn.is_exemplary,
            not_rated_reason=drawn.not_rated_reason,
        )
        level = drawn.level or None
        facts = dataclasses.replace(facts, points=rating.points)
        errors = [
            v
            for v in rules.check_organization_rating(
                scheme, facts, level=level, not_rated_reason=rating.not_rated_reason or None
            )
            if v.is_blocking
        ]
        if errors:
            raise DemoRatingError(f"{org} {year}: {errors[0].message}")
        return rating

    # --- one year --------------------------------------------------------------------------
    def seed_year(self, year: int, *, in_progress: bool) -> int:
        data = self.load_year(year)
        existing = set(
            RatingRound.objects.filter(year=year, organization_id__in=self.orgs).values_list(
                "organization_id", flat=True
            )
        )
        grassroots = [
            o
            for o in self.orgs.values()
            if o.is_grassroots
            and o.is_active_on(data.day)
            and o.pk not in existing
            and data.members_by_grassroots.get(o.pk)
        ]
        # Sorted by code, not by creation order, so the deal does not depend on the database.
        grassroots.sort(key=lambda o: o.code)
        order = list(range(len(grassroots)))
        random.Random(f"{self.seed}:{year}").shuffle(order)
        built = []
        for n, org in zip(order, grassroots, strict=True):
            rng = random.Random(f"{self.seed}:{org.code}:{year}")
            state = CURRENT_STATES[n % len(CURRENT_STATES)] if in_progress else RoundState.PUBLISHED
            built.append(self.build_round(org, data, state=state, rng=rng))
        RatingRound.objects.bulk_create([b.round for b in built])
        MemberRating.objects.bulk_create([r for b in built for r in b.members], batch_size=2000)
        OrganizationRating.objects.bulk_create(
            [r for b in built for r in b.organizations], batch_size=2000
        )
        ratings = sum(len(b.members) for b in built)
        self.log(f"  {year}: {len(built)} đơn vị, {ratings} đảng viên được đánh giá")
        return ratings


@transaction.atomic
def seed_ratings(
    *,
    years: Iterable[int] | None = None,
    current_year_in_progress: bool = True,
    stdout=None,
    root: Organization | None = None,
    seed: int = DEMO_RATINGS_SEED,
) -> int:
    """Rate every grassroots organization's members, cells and itself for each of `years`.

    `years` defaults to `demo_years()`. Past years are decided and published (by the demo
    reviewer when that login exists); `year_in_progress()`, when `current_year_in_progress`,
    is a mix of rounds in draft, submitted,
    returned and decided, as in December of a rating year. `root` limits the seeding to one
    subtree (the demo province). Rounds that exist are skipped, so a second run writes
    nothing. Returns the number of member ratings written.
    """
    years = sorted(demo_years() if years is None else years)
    moving = year_in_progress()

    def log(text: str) -> None:
        if stdout is not None:
            # A command's OutputWrapper ends the line itself; a plain stream does not.
            stdout.write(text if isinstance(stdout, OutputWrapper) else text + "\n")

    seeder = _Seeder(root=root, seed=seed, log=log)
    return sum(
        seeder.seed_year(year, in_progress=current_year_in_progress and year == moving)
        for year in years
    )
