"""The in-memory plan of a generated province: the tree, the people and their dated history.

Everything is decided here from one `random.Random(seed)` and the years, with no database
access, so the same arguments always give the same province. The writer (cells.generator.
writer) turns the plan into rows; the ratings (cells.generator.ratings) are drawn from it.

Shape (DOMAIN §2, §9): a province → districts (until 30/06/2025) → old communes (grassroots,
until 30/06/2025) → cells; and, from 01/07/2025, the commune-level units that merged 1–4 old
communes each, directly under the province, with one successor cell per old cell (two old
hamlet cells sometimes merge into one, the clinics of a merged commune always do). Each
district also has grassroots cells (chi bộ cơ sở: high school, health centre) that move under
a new commune in 2025.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from assessments import rules

from ..choices import DisciplineForm, EventKind, Gender, OrganizationType, ResidentialUnitKind
from ..demo import (
    DISCIPLINE_NOTES,
    HAMLET_NAMES,
    LAST_OLD_DAY,
    OLD_FOUNDED,
    REFORM_DAY,
    SCHOOLS,
    _person,
)
from ..services import membership_chain

T = OrganizationType
D = datetime.date
DAY = datetime.timedelta(days=1)

# Sizes of cells (members on the reference day), by kind.
CELL_SIZES = {
    "hamlet": (14, 46),
    "joint": (30, 60),
    "school": (8, 18),
    "clinic": (6, 14),
    "centre": (20, 45),
}
# How many old communes a 2025 commune-level unit merged (nationally ≈ 10,000 → 3,321).
MERGE_WEIGHTS = {1: 10, 2: 35, 3: 40, 4: 15}
OLD_COMMUNES_PER_DISTRICT = 16
WARD_SHARE = 0.22
JOINT_CELL_SHARE = 0.08  # hamlet cells covering two hamlets
MERGED_PAIR_SHARE = 0.06  # pairs of old hamlet cells merged into one 2025 cell
SPLIT_CELL_SHARE = 0.02  # old cells founded during the years, split off a sibling
GAP_UNIT_SHARE = 0.03  # residential units with no cell yet (Resolution 22 gap)
# Yearly rates among current members.
LEAVER_RATE = 0.009  # deaths, transfers out, struck off
DISCIPLINE_RATE = 0.004
SUSPENSION_RATE = 0.0004
SICK_LEAVE_SHARE = 0.05
MATERNITY_SHARE = 0.15
EXEMPT_SHARE_OVER_75 = 0.3

# The event kinds the member rules read (as assessments.facts.RULE_EVENT_KINDS).
RULE_EVENT_KINDS = frozenset(
    {EventKind.DISCIPLINE, EventKind.EXEMPTION, EventKind.SUSPENSION, EventKind.SICK_LEAVE}
)
_WORDS = sorted({w for name in HAMLET_NAMES for w in name.split()})


@dataclass(eq=False)
class Org:
    """A node of the plan; `id`, `path`, `depth` are filled in by the writer."""

    code: str
    name: str
    type: str
    parent: Org | None
    established_on: datetime.date
    dissolved_on: datetime.date | None = None
    is_grassroots: bool = False
    kind: str = ""  # hamlet · joint · school · clinic · centre for cells
    successor: Org | None = None
    split_from: Org | None = None  # a sibling the cell's first members came from
    units: list[str] = field(default_factory=list)
    place: str = ""
    size: int = 0
    children: list[Org] = field(default_factory=list)
    predecessors: list[Org] = field(default_factory=list)
    id: int = 0
    path: str = ""
    depth: int = 0

    @property
    def abbreviation(self) -> str:
        if self.type in (T.CELL, T.GRASSROOTS_CELL):
            return "CB"
        return {T.PROVINCE: "TU", T.DISTRICT: "HU"}.get(self.type, "ĐU")

    def active_on(self, day: datetime.date) -> bool:
        return self.established_on <= day and (
            self.dissolved_on is None or day <= self.dissolved_on
        )


@dataclass(eq=False)
class Person:
    """A member: the record, the cells they belonged to (cell, start, end) and their events."""

    fields: dict
    memberships: list[tuple[Org, datetime.date, datetime.date | None]] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    rule_events: tuple[rules.EventFact, ...] = ()
    id: int = 0

    def cell_on(self, day: datetime.date) -> Org | None:
        # The latest start wins, as members_of and the rating seeders read it.
        found = None
        for cell, start, end in self.memberships:
            if start <= day and (end is None or day <= end):
                found = cell
        return found


@dataclass
class Plan:
    province: Org
    orgs: list[Org]  # parents before children
    people: list[Person]
    units: list[tuple[str, str, Org, Org | None]]  # (name, kind, commune, cell)
    posts: list[tuple] = field(default_factory=list)  # (person, kind, title, org, start, end, head)
    followers: list[tuple] = field(default_factory=list)  # (person, cell, start, end)
    terms: list[tuple[Org, int, int]] = field(default_factory=list)
    first_year: int = 2016
    last_year: int = 2025
    reference_day: datetime.date = D(2025, 12, 1)

    def cells(self) -> list[Org]:
        return [o for o in self.orgs if o.type in (T.CELL, T.GRASSROOTS_CELL)]


def _place_name(rng: random.Random, used: set[str]) -> str:
    for _ in range(1000):
        name = f"{rng.choice(_WORDS)} {rng.choice(_WORDS)}"
        first, second = name.split()
        if first != second and name not in used:
            used.add(name)
            return name
    raise RuntimeError("Ran out of place names")  # pragma: no cover


def _word(org_type: str) -> str:
    return {T.DISTRICT: "huyện", T.TOWNSHIP: "thị trấn", T.WARD: "phường"}.get(org_type, "xã")


def _cell_name(street: bool, units: list[str]) -> str:
    if street:
        return "Chi bộ tổ dân phố " + " – ".join(units)
    return ("Chi bộ liên thôn " if len(units) > 1 else "Chi bộ thôn ") + " – ".join(units)


def _day_between(rng: random.Random, lo: datetime.date, hi: datetime.date) -> datetime.date:
    return lo + datetime.timedelta(days=rng.randint(0, max(0, (hi - lo).days)))


def _split(rng: random.Random, total: int, parts: int) -> list[int]:
    """`total` split into `parts` positive integers of uneven (but not wild) sizes."""
    weights = [rng.uniform(0.55, 1.6) for _ in range(parts)]
    scale = total / sum(weights)
    sizes = [max(1, int(w * scale)) for w in weights]
    for i in range(total - sum(sizes)):
        sizes[i % parts] += 1
    return sizes


def build_structure(
    rng: random.Random, *, code: str, province_name: str, members: int, communes: int
) -> tuple[Org, list[Org]]:
    """The tree before and after 01/07/2025, with cell sizes summing to `members`."""
    province = Org(code, f"Đảng bộ tỉnh {province_name}", T.PROVINCE, None, OLD_FOUNDED)
    used: set[str] = set()
    new_units, districts = [], []
    merges = [
        rng.choices(list(MERGE_WEIGHTS), list(MERGE_WEIGHTS.values()))[0] for _ in range(communes)
    ]
    n_districts = max(1, round(sum(merges) / OLD_COMMUNES_PER_DISTRICT))
    for d in range(1, n_districts + 1):
        name = _place_name(rng, used)
        districts.append(
            Org(
                f"{code}-H{d:02d}",
                f"Đảng bộ huyện {name}",
                T.DISTRICT,
                province,
                OLD_FOUNDED,
                LAST_OLD_DAY,
            )
        )
        districts[-1].place = name
    # Members per 2025 unit, and per unit the part kept by the district's grassroots cells.
    sizes = _split(rng, members, communes)
    old_index = 0
    for j, (merge, size) in enumerate(zip(merges, sizes, strict=True), start=1):
        name = _place_name(rng, used)
        new_type = T.WARD if rng.random() < WARD_SHARE else T.COMMUNE
        new = Org(
            f"{code}-X{j:03d}",
            f"Đảng bộ {_word(new_type)} {name}",
            new_type,
            province,
            REFORM_DAY,
            is_grassroots=True,
        )
        new.place = name
        new_units.append(new)
        district = districts[min(old_index * n_districts // sum(merges), n_districts - 1)]
        olds = []
        for k in range(merge):
            old_type = new_type if k == 0 else rng.choice([T.COMMUNE, T.COMMUNE, new_type])
            if old_type == T.WARD and district.type == T.DISTRICT:
                old_type = T.TOWNSHIP
            old_name = name if k == 0 else _place_name(rng, used)
            old = Org(
                f"{district.code}-C{old_index + 1:03d}",
                f"Đảng bộ {_word(old_type)} {old_name}",
                old_type,
                district,
                OLD_FOUNDED,
                LAST_OLD_DAY,
                is_grassroots=True,
                successor=new,
            )
            old.place = (
                f"{_word(old_type)} {old_name}, huyện {district.place}, tỉnh {province_name}"
            )
            new.predecessors.append(old)
            olds.append(old)
            old_index += 1
        _plan_cells(rng, new, olds, size)
    # Grassroots cells of each district (a high school, the health centre), moved in 2025
    # under the 2025 unit that took over the district town.
    by_district: dict[Org, list[Org]] = {}
    for new in new_units:
        by_district.setdefault(new.predecessors[0].parent, []).append(new)
    for district in districts:
        host = by_district.get(district, new_units[:1])[0]
        for n, label in enumerate(["Trường Trung học phổ thông", "Trung tâm Y tế"], start=1):
            size = rng.randint(*CELL_SIZES["centre"])
            taken = max(host.children, key=lambda c: c.size)
            size = min(size, taken.size - 3)
            taken.size -= size
            new_cell = Org(
                f"{host.code}-G{district.code[-2:]}{n}",
                f"Chi bộ {label} {district.place}",
                T.GRASSROOTS_CELL,
                host,
                REFORM_DAY,
                is_grassroots=True,
                kind="centre",
                size=size,
            )
            old_cell = Org(
                f"{district.code}-G{n}",
                f"Chi bộ {label} huyện {district.place}",
                T.GRASSROOTS_CELL,
                district,
                D(rng.randint(1993, 2005), 1, 1),
                LAST_OLD_DAY,
                is_grassroots=True,
                kind="centre",
                successor=new_cell,
            )
            old_cell.place = new_cell.place = host.predecessors[0].place
            new_cell.predecessors.append(old_cell)
            host.children.append(new_cell)
            district.children.append(old_cell)
    province.children = districts + new_units
    for district in districts:
        district.children = [c for c in district.children if c.type == T.GRASSROOTS_CELL]
    for new in new_units:
        for old in new.predecessors:
            old.parent.children.append(old)
    orgs: list[Org] = []

    def walk(node: Org) -> None:
        orgs.append(node)
        node.children.sort(key=lambda c: c.code)  # treebeard's node_order_by = ["code"]
        for child in node.children:
            walk(child)

    walk(province)
    return province, orgs


def _plan_cells(rng: random.Random, new: Org, olds: list[Org], size: int) -> None:
    """The 2025 cells of `new` (sizes summing to `size`) and the old cells they succeed."""
    street = new.type == T.WARD
    pool = HAMLET_NAMES[:]
    rng.shuffle(pool)
    numbered = iter(range(1, 10**4))

    def unit_name() -> str:
        return pool.pop() if pool else str(next(numbered))

    per_old_services = [("school", SCHOOLS[rng.randrange(len(SCHOOLS))]) for _ in olds]
    kinds = ["school"] * len(olds) + ["clinic"]
    service_sizes = [rng.randint(*CELL_SIZES[k]) for k in kinds]
    remaining = max(size - sum(service_sizes), 14)
    hamlet_sizes = []
    while remaining > 0:
        kind = "joint" if rng.random() < JOINT_CELL_SHARE else "hamlet"
        n = min(rng.randint(*CELL_SIZES[kind]), remaining)
        hamlet_sizes.append((kind, n))
        remaining -= n
    if hamlet_sizes and hamlet_sizes[-1][1] < 8 and len(hamlet_sizes) > 1:
        kind, n = hamlet_sizes.pop()
        last_kind, last = hamlet_sizes.pop()
        hamlet_sizes.append((last_kind, last + n))
    # Make the total exact.
    diff = size - sum(service_sizes) - sum(n for _, n in hamlet_sizes)
    kind, n = hamlet_sizes[0]
    hamlet_sizes[0] = (kind, max(3, n + diff))

    number = iter(range(1, 10**4))
    old_numbers = {old: iter(range(1, 10**4)) for old in olds}

    def old_cell(old: Org, name: str, kind: str, units: list[str]) -> Org:
        founded = OLD_FOUNDED if rng.random() < 0.85 else D(rng.randint(1995, 2012), 1, 1)
        cell = Org(
            f"{old.code}-{next(old_numbers[old]):03d}",
            name,
            T.CELL,
            old,
            founded,
            LAST_OLD_DAY,
            kind=kind,
            units=units,
            place=old.place,
        )
        old.children.append(cell)
        return cell

    def new_cell(name: str, kind: str, units: list[str], n: int, preds: list[Org]) -> Org:
        cell = Org(
            f"{new.code}-{next(number):03d}",
            name,
            T.CELL,
            new,
            REFORM_DAY,
            kind=kind,
            units=units,
            size=n,
            place=preds[0].place,
            predecessors=preds,
        )
        for pred in preds:
            pred.successor = cell
        new.children.append(cell)
        return cell

    for i, (kind, n) in enumerate(hamlet_sizes):
        old = olds[i % len(olds)]
        units = [unit_name() for _ in range(2 if kind == "joint" else 1)]
        old_street = old.type in (T.WARD, T.TOWNSHIP)
        if kind == "hamlet" and rng.random() < MERGED_PAIR_SHARE and n >= 20:
            units.append(unit_name())
            preds = [old_cell(old, _cell_name(old_street, [u]), "hamlet", [u]) for u in units]
            kind = "joint"
        else:
            preds = [old_cell(old, _cell_name(old_street, units), kind, units)]
        new_cell(_cell_name(street, units), kind, units, n, preds)
    for old, (_kind, school), n in zip(olds, per_old_services, service_sizes, strict=False):
        name = f"Chi bộ {school} {old.place.split(',')[0]}"
        pred = old_cell(old, name, "school", [])
        new_cell(name, "school", [], n, [pred])
    clinics = [
        old_cell(old, f"Chi bộ Trạm Y tế {old.place.split(',')[0]}", "clinic", []) for old in olds
    ]
    new_cell(
        f"Chi bộ Trạm Y tế {_word(new.type)} {new.place}", "clinic", [], service_sizes[-1], clinics
    )
    # A few old hamlet cells were founded during the years, split off a sibling.
    for old in olds:
        hamlets = [c for c in old.children if c.kind in ("hamlet", "joint")]
        for cell in hamlets[1:]:
            if rng.random() < SPLIT_CELL_SHARE:
                cell.established_on = D(rng.randint(2016, 2024), rng.choice([1, 3, 7, 9]), 1)
                cell.split_from = hamlets[0]


def _age_on(f: dict, day: datetime.date) -> int:
    return (day - f["birth_date"]).days // 365


def _history(
    rng: random.Random, cell: Org, admitted: datetime.date, left_on: datetime.date | None
) -> list[tuple[Org, datetime.date, datetime.date | None]]:
    """The cells a member of 2025 cell `cell` belonged to, as cells.services records them.

    The walk is `membership_chain`'s, with more history than a roster file gives: where a
    cell merged several, the member was in one of them (and moved on 01/07/2025, as the
    demo's transfer does), and a cell split off a sibling during the years had its first
    members moved from that sibling. A leaver's history stops on `left_on`.
    """

    def earlier(org: Org) -> list[Org]:
        if org.predecessors:
            return [rng.choice(org.predecessors)]
        return [org.split_from] if org.split_from is not None else []

    chain = membership_chain(cell, admitted, predecessors_of=earlier)
    if left_on is None:
        return chain
    return [
        (org, start, left_on if end is None else min(end, left_on))
        for org, start, end in chain
        if start <= left_on
    ]


def build_people(
    rng: random.Random, cells: list[Org], *, first_year: int, reference_day: datetime.date
) -> list[Person]:
    """Current members of the 2025 cells, and those who left during the years."""
    people: list[Person] = []
    hamlet_cells = [c for c in cells if c.kind in ("hamlet", "joint")]
    for cell in cells:
        kind = "hamlet" if cell.kind == "joint" else cell.kind
        for _ in range(cell.size):
            f = _person(rng, kind=kind, ref=reference_day, place=cell.place)
            people.append(Person(f, _history(rng, cell, f["admitted_on"], None)))
    current = len(people)
    years = reference_day.year - first_year + 1
    leavers = round(current * LEAVER_RATE * years)
    first_day = D(first_year, 1, 1)
    for n in range(leavers):
        cell = rng.choice(hamlet_cells)
        left_on = _day_between(rng, first_day, reference_day - 30 * DAY)
        f = _person(rng, kind="hamlet", ref=left_on, place=cell.place, probationary_share=0)
        kind = (EventKind.DEATH, EventKind.TRANSFER_OUT, EventKind.STRIKE_OFF)[
            0 if n % 10 < 6 else 1 if n % 10 < 9 else 2
        ]
        if kind == EventKind.DEATH:
            age = rng.randint(68, 93)
            f["birth_date"] = left_on.replace(year=left_on.year - age, day=1)
            f["admitted_on"] = min(f["admitted_on"], left_on.replace(year=left_on.year - 30, day=1))
            f["ceremony_on"] = f["admitted_on"] + 14 * DAY
            f["full_member_on"] = f["admitted_on"] + 365 * DAY
            f["occupation"] = "Hưu trí"
        history = _history(rng, cell, f["admitted_on"], left_on)
        if not history:
            continue
        note = {
            EventKind.DEATH: "",
            EventKind.TRANSFER_OUT: "Chuyển sinh hoạt đảng chính thức ra ngoài tỉnh",
            EventKind.STRIKE_OFF: "Xóa tên khỏi danh sách đảng viên",
        }[kind]
        person = Person(f, history)
        person.events.append({"kind": kind, "start": left_on, "note": note})
        people.append(person)
    _plan_events(rng, people[:current], first_year=first_year, reference_day=reference_day)
    for person in people:
        f = person.fields
        full = f["full_member_on"]
        if full is not None and full >= first_day and full <= reference_day:
            person.events.append({"kind": EventKind.FULL_MEMBERSHIP, "start": full})
        person.events.sort(key=lambda e: e["start"])
        person.rule_events = tuple(
            rules.EventFact(
                kind=e["kind"],
                start=e["start"],
                end=e.get("end"),
                discipline_form=e.get("discipline_form") or None,
                self_remedied=e.get("self_remedied", False),
            )
            for e in person.events
            if e["kind"] in RULE_EVENT_KINDS
        )
    return people


def _plan_events(
    rng: random.Random, people: list[Person], *, first_year: int, reference_day: datetime.date
) -> None:
    """Exemptions, suspensions, leaves and disciplines of members still in their cells."""
    first_day = D(first_year, 1, 1)
    busy: set[int] = set()
    for i, person in enumerate(people):
        f = person.fields
        if _age_on(f, reference_day) >= 75 and f["full_member_on"]:
            earliest = max(
                f["birth_date"].replace(year=f["birth_date"].year + 72, day=1), D(2014, 1, 1)
            )
            if rng.random() < EXEMPT_SHARE_OVER_75 and earliest < reference_day - 60 * DAY:
                start = _day_between(rng, earliest, reference_day - 60 * DAY)
                person.events.append(
                    {
                        "kind": EventKind.EXEMPTION,
                        "start": start,
                        "note": "Tuổi cao, sức yếu, tự nguyện xin miễn",
                    }
                )
                busy.add(i)
    n = len(people)
    years = reference_day.year - first_year + 1
    candidates = [i for i in range(n) if i not in busy and people[i].fields["full_member_on"]]
    for i in rng.sample(candidates, min(len(candidates), round(n * SUSPENSION_RATE * years))):
        start = _day_between(
            rng, max(first_day, people[i].fields["full_member_on"]), reference_day - 200 * DAY
        )
        end = start + rng.randint(60, 300) * DAY
        people[i].events.append(
            {
                "kind": EventKind.SUSPENSION,
                "start": start,
                "end": end,
                "note": "Đình chỉ sinh hoạt đảng trong thời gian bị khởi tố",
            }
        )
        busy.add(i)
    for i in rng.sample(candidates, min(len(candidates), round(n * SICK_LEAVE_SHARE))):
        if i in busy:
            continue
        days = rng.choice([rng.randint(10, 40), rng.randint(41, 85), rng.randint(92, 240)])
        lo = max(first_day, people[i].fields["full_member_on"])
        start = _day_between(rng, lo, reference_day - 20 * DAY)
        people[i].events.append(
            {"kind": EventKind.SICK_LEAVE, "start": start, "end": start + (days - 1) * DAY}
        )
    for i in range(n):
        f = people[i].fields
        if f["gender"] != Gender.FEMALE or not 24 <= _age_on(f, reference_day) <= 44:
            continue
        if rng.random() >= MATERNITY_SHARE:
            continue
        lo = max(f["admitted_on"], first_day)
        hi = reference_day - 10 * DAY
        if lo < hi:
            start = _day_between(rng, lo, hi)
            end = start + rng.choice([179, 179, 179, 209]) * DAY
            people[i].events.append({"kind": EventKind.MATERNITY_LEAVE, "start": start, "end": end})
    for year in range(first_year, reference_day.year + 1):
        last = min(D(year, 12, 31), reference_day)
        eligible = [i for i in candidates if people[i].fields["admitted_on"] < D(year, 1, 1)]
        for i in rng.sample(eligible, min(len(eligible), round(n * DISCIPLINE_RATE))):
            person = people[i]
            start = _day_between(rng, D(year, 1, 1), last)
            form = rng.choices(
                [DisciplineForm.REPRIMAND, DisciplineForm.WARNING, DisciplineForm.DISMISSAL],
                [70, 25, 5],
            )[0]
            cell = person.cell_on(start)
            person.events.append(
                {
                    "kind": EventKind.DISCIPLINE,
                    "start": start,
                    "discipline_form": form,
                    "self_remedied": year >= 2023 and rng.random() < 0.3,
                    "deciding_body": cell.name if cell else "",
                    "note": rng.choice(DISCIPLINE_NOTES),
                }
            )


def assign_numbers(
    rng: random.Random,
    people: list[Person],
    *,
    code: str,
    taken_cards: set[str],
    taken_ids: set[str],
) -> None:
    """Record numbers in admission order; card numbers for full members; most have a CCCD.

    Numbers already in the database (another province, the demo) are skipped, so a second
    province can be generated beside the first.
    """
    n = len(people)
    order = sorted(range(n), key=lambda i: (people[i].fields["admitted_on"], i))
    cards = [str(c) for c in rng.sample(range(10**7, 10**8), n)]
    if taken_cards:
        # Probe upward past numbers in use, without drawing again: the rest of the plan
        # must not depend on what the database already holds.
        used = set(taken_cards)
        for k, card in enumerate(cards):
            number = int(card)
            while str(number) in used:
                number = number + 1 if number < 10**8 - 1 else 10**7
            cards[k] = str(number)
            used.add(cards[k])
    serials = rng.sample(range(10**6), n)
    for number, i in enumerate(order, start=1):
        f = people[i].fields
        f["record_number"] = f"{number:06d}{code}"
        f["card_number"] = cards[i] if f["full_member_on"] else None
        citizen_id = None
        if rng.random() < 0.92:
            century = 0 if f["birth_date"].year < 2000 else 2
            sex = 0 if f["gender"] == Gender.MALE else 1
            citizen_id = f"099{century + sex}{f['birth_date'].year % 100:02d}{serials[i]:06d}"
            if citizen_id in taken_ids:
                citizen_id = None
        f["citizen_id"] = citizen_id


def residential_units(rng: random.Random, communes: list[Org]) -> list[tuple]:
    """(name, kind, commune, cell) for every hamlet or street group of the 2025 units."""
    units = []
    for commune in communes:
        street = commune.type == T.WARD
        kind = ResidentialUnitKind.STREET_GROUP if street else ResidentialUnitKind.HAMLET
        label = "Tổ dân phố" if street else "Thôn"
        seen: set[str] = set()
        for cell in commune.children:
            for unit in cell.units:
                if unit not in seen:
                    seen.add(unit)
                    units.append((f"{label} {unit}", kind, commune, cell))
        gaps = max(0, round(len(seen) * GAP_UNIT_SHARE + rng.random() - 0.5))
        for g in range(1, gaps + 1):
            units.append((f"{label} {commune.place} mới {g}", kind, commune, None))
    return units


PARTY, GOVERNMENT = "party", "government"
OLD_TERM_START = D(2020, 7, 1)


def _holders(
    rng: random.Random, members: list[Person], count: int, on: datetime.date
) -> list[Person]:
    """`count` full members who may hold a post on `on` (not exempt or suspended then)."""
    eligible = [
        p
        for p in members
        if p.fields["full_member_on"] is not None
        and p.fields["full_member_on"] <= on
        and 25 <= _age_on(p.fields, on) <= 70
        and not any(e["kind"] in (EventKind.EXEMPTION, EventKind.SUSPENSION) for e in p.events)
    ]
    return rng.sample(eligible, min(count, len(eligible)))


def plan_posts(rng: random.Random, plan: Plan) -> None:
    """Cell committees and hamlet heads, commune committees of both terms, cell followers, terms."""
    on_day: dict[tuple[Org, datetime.date], list[Person]] = {}
    for person in plan.people:
        for cell, start, end in person.memberships:
            for day in (OLD_TERM_START, REFORM_DAY):
                if start <= day and (end is None or day <= end):
                    on_day.setdefault((cell, day), []).append(person)
    for unit in [o for o in plan.orgs if o.is_grassroots and o.type not in (T.GRASSROOTS_CELL,)]:
        old = unit.dissolved_on is not None
        start = OLD_TERM_START if old else REFORM_DAY
        end = LAST_OLD_DAY if old else None
        pool = [p for cell in unit.children for p in on_day.get((cell, start), [])]
        committee = _holders(rng, pool, 9 if old else 11, start)
        titles = ["Bí thư Đảng ủy", "Phó Bí thư Đảng ủy", "Phó Bí thư Đảng ủy"]
        for rank, person in enumerate(committee):
            title = titles[rank] if rank < 3 else "Đảng ủy viên"
            plan.posts.append((person, PARTY, title, unit, start, end, False))
        for n, cell in enumerate(unit.children):
            if len(committee) > 1:
                follower = committee[1 + n % (len(committee) - 1)]
                plan.followers.append((follower, cell, start, end))
    for cell in plan.cells():
        old = cell.dissolved_on is not None
        start = max(OLD_TERM_START if old else REFORM_DAY, cell.established_on)
        members = on_day.get((cell, OLD_TERM_START if old else REFORM_DAY), [])
        titles = ["Bí thư chi bộ", "Phó Bí thư chi bộ"]
        titles += ["Chi ủy viên"] * (rng.randint(1, 3) if len(members) >= 9 else 0)
        holders = _holders(rng, members, len(titles), start)
        for person, title in zip(holders, titles, strict=False):
            plan.posts.append((person, PARTY, title, cell, start, cell.dissolved_on, False))
        if old or cell.kind not in ("hamlet", "joint") or not holders:
            continue
        head_title = "Tổ trưởng tổ dân phố" if cell.parent.type == T.WARD else "Trưởng thôn"
        for n, _unit in enumerate(cell.units):
            head = holders[0] if n == 0 and rng.random() < 0.55 else None
            others = [p for p in members if p not in holders]
            if head is None and others:
                head = rng.choice(others)
            if head is not None:
                plan.posts.append((head, GOVERNMENT, head_title, cell, start, None, True))
    plan.terms.extend((plan.province, y, y + 5) for y in (2015, 2020, 2025))
    for unit in plan.orgs:
        if unit.type == T.DISTRICT or (unit.is_grassroots and unit.type != T.GRASSROOTS_CELL):
            if unit.dissolved_on is not None:
                plan.terms.extend([(unit, 2015, 2020), (unit, 2020, 2025)])
            else:
                plan.terms.append((unit, 2025, 2030))


def build_plan(
    *,
    code: str,
    province_name: str,
    members: int,
    communes: int,
    first_year: int,
    last_year: int,
    seed: int,
    taken_cards: set[str] = frozenset(),
    taken_ids: set[str] = frozenset(),
) -> Plan:
    """Everything the generated province holds except the ratings, from `seed` only."""
    rng = random.Random(seed)
    reference_day = D(last_year, 12, 1)
    province, orgs = build_structure(
        rng, code=code, province_name=province_name, members=members, communes=communes
    )
    current_cells = [o for o in orgs if o.type in (T.CELL, T.GRASSROOTS_CELL) and o.size]
    people = build_people(rng, current_cells, first_year=first_year, reference_day=reference_day)
    assign_numbers(rng, people, code=code, taken_cards=set(taken_cards), taken_ids=set(taken_ids))
    communes_2025 = [o for o in province.children if o.dissolved_on is None]
    plan = Plan(
        province=province,
        orgs=orgs,
        people=people,
        units=residential_units(rng, communes_2025),
        first_year=first_year,
        last_year=last_year,
        reference_day=reference_day,
    )
    plan_posts(rng, plan)
    return plan
