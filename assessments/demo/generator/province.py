"""One generated province (`manage.py generate_province`), alone or as a slot of a country.

`generate_province` plans the whole province in memory from a seed (`plan`, over `structure`
and `people`), draws ten years of ratings under each year's rules (`ratings`, through
assessments.demo.drawing), with the 30 + 70 score sheets of the 2025– regime (`scores`), and
writes it all in one transaction with COPY on PostgreSQL (`writer`). The same arguments and
seed give the same province, whatever the machine. `country.generate_country` draws several
provinces under one national root, each into its own `Slot`.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from cells.models import (
    CellFollower,
    Member,
    MemberEvent,
    Membership,
    Organization,
    Post,
    ResidentialUnit,
    Term,
)
from cells.services import MEMBER_RECORD_FIELDS, organization_maps_refresh
from cells.vietnamese import collation_key

from ...indicators.tally import tallies_rebuild, tallies_vacuum
from ...models import (
    AssignedTask,
    CellMeeting,
    MemberRating,
    OrganizationRating,
    PointsItem,
    RatingRound,
    ScoreSheet,
)
from ...schemes import scheme_for_year
from .entities import Org, Plan
from .plan import build_plan
from .ratings import (
    MEETING_COLUMNS,
    MEMBER_RATING_COLUMNS,
    ORGANIZATION_RATING_COLUMNS,
    ROUND_COLUMNS,
    TASK_COLUMNS,
    RatingGenerator,
)
from .scores import POINTS_ITEM_COLUMNS, SCORE_SHEET_COLUMNS, points_items, scores_sheets
from .writer import BulkWriter

DEFAULT_SEED = 20251127


class ProvinceExistsError(Exception):
    """The province code is already in the database: generating twice would clash."""


@dataclass
class GenerationResult:
    code: str
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)


# Every table the generator writes, parents first (a country run gives each an id range).
WRITTEN_MODELS = (
    Organization,
    Term,
    ResidentialUnit,
    Member,
    Membership,
    MemberEvent,
    Post,
    CellFollower,
    PointsItem,
    RatingRound,
    MemberRating,
    OrganizationRating,
    AssignedTask,
    ScoreSheet,
    CellMeeting,
)


@dataclass(frozen=True)
class Slot:
    """Where province `index` of a country run goes, fixed before any province is drawn.

    Nothing in it depends on what the other provinces of the run hold, so the provinces can
    be drawn in any order, in parallel, and give the same rows: the first id of each table
    (`writer.ID_STRIDE` apart), the step of the path under the national root, the block of
    card numbers and the CCCD prefix (`people.assign_numbers`), and the numbers that were in
    the database before the run. The run, not the province, updates what is shared: the
    root's numchild, the sequences, `maps_to`, the statistics and the tallies.
    """

    index: int
    root_step: int
    first_ids: dict[str, int]
    taken_cards: frozenset[str] = frozenset()
    taken_ids: frozenset[str] = frozenset()


def _step(n: int) -> str:
    """The n-th step of treebeard's materialized path (steplen 4, alphabet 0-9A-Z)."""
    width, alphabet = Organization.steplen, Organization.alphabet
    digits = ""
    while n:
        n, rest = divmod(n, len(alphabet))
        digits = alphabet[rest] + digits
    return digits.rjust(width, alphabet[0])


def _assign_paths(root: Org, *, root_step: int, parent: Organization | None = None) -> None:
    """treebeard's materialized path, depth and numchild, under `parent` or as a root.

    Siblings are numbered in code order, the order treebeard keeps with node_order_by.
    """
    step = _step
    root.path = (parent.path if parent else "") + step(root_step)
    root.depth = parent.depth + 1 if parent else 1
    stack = [root]
    while stack:
        node = stack.pop()
        for n, child in enumerate(node.children, start=1):
            child.path, child.depth = node.path + step(n), node.depth + 1
            stack.append(child)


def _next_step(parent: Organization | None) -> int:
    """The step after the last child of `parent` (after the last root without one)."""
    if parent is None:
        siblings = Organization.objects.filter(depth=1)
    else:
        siblings = Organization.objects.filter(depth=parent.depth + 1, path__startswith=parent.path)
    top = siblings.order_by("-path").values_list("path", flat=True).first()
    return Organization._str2int(top[-Organization.steplen :]) + 1 if top else 1


def generate_province(
    *,
    code: str,
    members: int,
    communes: int,
    first_year: int,
    last_year: int,
    seed: int = DEFAULT_SEED,
    province_name: str | None = None,
    national: Organization | None = None,
    slot: Slot | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> GenerationResult:
    """Generate and write a whole province; raises ProvinceExistsError if `code` is taken.

    Past years are decided and published; the last year is in progress (rounds in every
    state of the procedure), with the tasks the 2025– rules count and, in the years scored
    on 30 + 70 points, the province's criteria items and the score sheets. `national`: the
    root to put the province under (else the province is a root); `slot`: its place in a
    country run, which then does the shared work once (see Slot).
    """
    if Organization.objects.filter(code=code).exists():
        raise ProvinceExistsError(code)
    started = time.monotonic()
    result = GenerationResult(code=code, seconds=0.0)

    def phase(name: str, since: float) -> float:
        now = time.monotonic()
        result.phases[name] = now - since
        log(f"[{now - started:6.1f} s] {name} ({now - since:.1f} s)")
        return now

    if slot is None:
        taken_cards, taken_ids = numbers_taken()
    else:
        taken_cards, taken_ids = slot.taken_cards, slot.taken_ids
    plan = build_plan(
        code=code,
        province_name=province_name or f"{code} (dữ liệu thử nghiệm)",
        members=members,
        communes=communes,
        first_year=first_year,
        last_year=last_year,
        seed=seed,
        taken_cards=taken_cards,
        taken_ids=taken_ids,
        block=None if slot is None else slot.index,
    )
    mark = phase(
        f"planned {len(plan.orgs):,} organizations and {len(plan.people):,} members", started
    )
    writer = BulkWriter(log=log, first_ids=None if slot is None else slot.first_ids)
    with transaction.atomic():
        writer.begin()
        _write_structure(writer, plan, national, root_step=None if slot is None else slot.root_step)
        mark = phase("wrote the tree, members, memberships, events, posts", mark)
        items = _write_points_items(writer, plan)
        generator = RatingGenerator(
            plan,
            seed=seed,
            first_round_id=_first_round_id(writer),
            first_member_rating_id=writer.first_free_id(MemberRating),
            first_organization_rating_id=writer.first_free_id(OrganizationRating),
            points_items=items,
        )
        for year in range(first_year, last_year + 1):
            rows = generator.year(year)
            log(
                f"  {year}: {len(rows.rounds):,} rounds, {len(rows.member_ratings):,} ratings, "
                f"{len(rows.score_sheets):,} score sheets"
            )
            writer.write(RatingRound, ROUND_COLUMNS, rows.rounds)
            writer.write(MemberRating, MEMBER_RATING_COLUMNS, rows.member_ratings)
            writer.write(OrganizationRating, ORGANIZATION_RATING_COLUMNS, rows.organization_ratings)
            if rows.tasks:
                writer.write(AssignedTask, TASK_COLUMNS, rows.tasks)
            if rows.score_sheets:
                writer.write(ScoreSheet, SCORE_SHEET_COLUMNS, rows.score_sheets)
            writer.write(CellMeeting, MEETING_COLUMNS, rows.meetings)
            del rows  # a year's rows are ~1 GB at province size: free them before the next
            mark = phase(f"year {year}", mark)
        if slot is None:
            writer.finish()
        if keys := writer.check_foreign_keys(writer.models):
            mark = phase(f"checked {keys} foreign keys set-wise", mark)
        # The load skipped the tree's triggers: store where each unit maps to today.
        if slot is None and (mapped := organization_maps_refresh()):
            mark = phase(f"mapped {mapped:,} units onto today's tree", mark)
    if slot is None:
        writer.analyze(writer.counts)
    phase("committed" if slot else "committed and analyzed", mark)
    result.counts = dict(writer.counts)
    result.seconds = time.monotonic() - started
    return result


def numbers_taken() -> tuple[set[str], set[str]]:
    """The card numbers and CCCDs already in the database (a new province skips them)."""
    members = Member.objects.all()
    return (
        set(members.exclude(card_number=None).values_list("card_number", flat=True)),
        set(members.exclude(citizen_id=None).values_list("citizen_id", flat=True)),
    )


def _first_round_id(writer: BulkWriter) -> int:
    return writer.first_free_id(RatingRound)


def _write_points_items(writer: BulkWriter, plan: Plan) -> dict[int, list[tuple]]:
    """The province's criteria items of each year scored on 30 + 70 points."""
    found: dict[int, list[tuple]] = {}
    next_id = writer.first_free_id(PointsItem)
    for year in range(plan.first_year, plan.last_year + 1):
        if scores_sheets(scheme_for_year(year), year):
            found[year] = points_items(plan.province.id, year, next_id)
            next_id += len(found[year])
    if found:
        writer.write(PointsItem, POINTS_ITEM_COLUMNS, (r for rows in found.values() for r in rows))
    return found


def _write_structure(
    writer: BulkWriter, plan: Plan, national: Organization | None, *, root_step: int | None
) -> None:
    """The tree and the people; `root_step` given: a country run counts the root's children."""
    now = datetime.datetime(plan.reference_day.year, 12, 1, 8, 0, tzinfo=datetime.UTC)
    next_org = writer.first_free_id(Organization)
    for n, org in enumerate(plan.orgs):
        org.id = next_org + n
    if root_step is None:
        root_step = _next_step(national)
        if national is not None:
            Organization.objects.filter(pk=national.pk).update(numchild=F("numchild") + 1)
    _assign_paths(plan.province, root_step=root_step, parent=national)
    writer.write(
        Organization,
        [
            "id",
            "path",
            "depth",
            "numchild",
            "code",
            "name",
            "type",
            "is_grassroots",
            "established_on",
            "dissolved_on",
            "successor_id",
            "document_abbreviation",
            "name_sort_key",
        ],
        (
            (
                o.id,
                o.path,
                o.depth,
                len(o.children),
                o.code,
                o.name,
                o.type,
                o.is_grassroots,
                o.established_on,
                o.dissolved_on,
                o.successor.id if o.successor else None,
                o.abbreviation,
                collation_key(o.name, person_name=False),
            )
            for o in plan.orgs
        ),
    )
    writer.write(
        Term,
        ["organization_id", "start_year", "end_year"],
        ((o.id, start, end) for o, start, end in plan.terms),
    )
    writer.write(
        ResidentialUnit,
        ["name", "kind", "commune_id", "cell_id"],
        (
            (name, kind, commune.id, cell.id if cell else None)
            for name, kind, commune, cell in plan.units
        ),
    )
    next_member = writer.first_free_id(Member)
    for n, person in enumerate(plan.people):
        person.id = next_member + n
    record = MEMBER_RECORD_FIELDS
    writer.write(
        Member,
        ["id", *record, "name_sort_key", "created_at", "updated_at"],
        (
            (p.id, *(p.fields[k] for k in record), collation_key(p.fields["full_name"]), now, now)
            for p in plan.people
        ),
    )
    writer.write(
        Membership,
        ["member_id", "organization_id", "kind", "start", "end"],
        (
            (p.id, cell.id, "official", start, end)
            for p in plan.people
            for cell, start, end in p.memberships
        ),
    )
    writer.write(
        MemberEvent,
        [
            "member_id",
            "kind",
            "start",
            "end",
            "discipline_form",
            "self_remedied",
            "deciding_body",
            "note",
            "created_at",
        ],
        (
            (
                p.id,
                e["kind"],
                e["start"],
                e.get("end"),
                e.get("discipline_form", ""),
                e.get("self_remedied", False),
                e.get("deciding_body", ""),
                e.get("note", ""),
                now,
            )
            for p in plan.people
            for e in p.events
        ),
    )
    writer.write(
        Post,
        ["member_id", "kind", "title", "organization_id", "start", "end", "is_hamlet_head"],
        (
            (p.id, kind, title, org.id, start, end, head)
            for p, kind, title, org, start, end, head in plan.posts
        ),
    )
    writer.write(
        CellFollower,
        ["member_id", "cell_id", "start", "end"],
        ((p.id, cell.id, start, end) for p, cell, start, end in plan.followers),
    )


def generate_province_with_tallies(**options) -> GenerationResult:
    """`generate_province` and the dashboard tallies in one transaction (the command's path).

    The load writes with row triggers off (session_replication_role, see writer), so no unit
    is marked and the province must not become visible before its tallies exist. One rebuild
    is also far cheaper than recomputing 28,000 units on a first read (PostgreSQL only).
    """
    log = options.get("log") or (lambda _: None)
    with transaction.atomic():
        result = generate_province(**options)
        started = time.monotonic()
        if tallies_rebuild():
            log(f"dashboard tallies rebuilt ({time.monotonic() - started:.1f} s)")
    # The rebuild inside the load's transaction left the table without statistics (and any
    # rows it replaced dead): VACUUM once committed (ANALYZE inside a caller's transaction).
    if statement := tallies_vacuum():
        log(f"{statement} ({time.monotonic() - started:.1f} s with the rebuild)")
    return result
