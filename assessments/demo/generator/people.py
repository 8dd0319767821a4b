"""The members of a generated province: their records, dated history (memberships through the
merge, events), numbers, and the posts and followers of each unit."""

from __future__ import annotations

import datetime
import random

from cells.choices import DisciplineForm, EventKind, Gender
from cells.services import membership_chain

from ... import rules
from ..drawing import pick
from ..people import day_between, person_record
from ..province_data import (
    DISCIPLINE_NOTES,
    LAST_OLD_DAY,
    REFORM_DAY,
)
from .entities import (
    DAY,
    DISCIPLINE_RATE,
    EXEMPT_SHARE_OVER_75,
    LEAVER_RATE,
    MATERNITY_SHARE,
    RULE_EVENT_KINDS,
    SICK_LEAVE_SHARE,
    SUSPENSION_RATE,
    D,
    Org,
    Person,
    Plan,
    T,
)


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
            f = person_record(rng, kind=kind, ref=reference_day, place=cell.place)
            people.append(Person(f, _history(rng, cell, f["admitted_on"], None)))
    current = len(people)
    years = reference_day.year - first_year + 1
    leavers = round(current * LEAVER_RATE * years)
    first_day = D(first_year, 1, 1)
    for n in range(leavers):
        cell = rng.choice(hamlet_cells)
        left_on = day_between(rng, first_day, reference_day - 30 * DAY)
        f = person_record(rng, kind="hamlet", ref=left_on, place=cell.place, probationary_share=0)
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
                start = day_between(rng, earliest, reference_day - 60 * DAY)
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
        start = day_between(
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
        start = day_between(rng, lo, reference_day - 20 * DAY)
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
            start = day_between(rng, lo, hi)
            end = start + rng.choice([179, 179, 179, 209]) * DAY
            people[i].events.append({"kind": EventKind.MATERNITY_LEAVE, "start": start, "end": end})
    for year in range(first_year, reference_day.year + 1):
        last = min(D(year, 12, 31), reference_day)
        eligible = [i for i in candidates if people[i].fields["admitted_on"] < D(year, 1, 1)]
        for i in rng.sample(eligible, min(len(eligible), round(n * DISCIPLINE_RATE))):
            person = people[i]
            start = day_between(rng, D(year, 1, 1), last)
            form = pick(rng, DISCIPLINE_FORM_WEIGHTS)
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


# The party card numbers of one province of a country run (DOMAIN §9: at most 34 provinces).
CARD_BLOCK = 9 * 10**7 // 34


def assign_numbers(
    rng: random.Random,
    people: list[Person],
    *,
    code: str,
    taken_cards: set[str],
    taken_ids: set[str],
    block: int | None = None,
) -> None:
    """Record numbers in admission order; card numbers for full members; most have a CCCD.

    Numbers already in the database (another province, the demo) are skipped, so a second
    province can be generated beside the first. Province `block` of a country run, drawn
    while the others are, takes its cards from its own 34th of the 8-digit numbers and its
    CCCDs under its own prefix (099, 098, …), so no province needs to know the others' numbers.
    """
    n = len(people)
    order = sorted(range(n), key=lambda i: (people[i].fields["admitted_on"], i))
    cards = [str(c) for c in rng.sample(range(10**7, 10**8), n)]
    low, size = 10**7, 9 * 10**7
    if block is not None:
        low, size = low + block * CARD_BLOCK, CARD_BLOCK
        if n > size:
            raise ValueError(f"{n:,} members: more than the {size:,} card numbers of a block")
    if taken_cards or block is not None:
        # Fold into the block and probe upward past numbers in use, without drawing again:
        # the rest of the plan must not depend on what the database already holds.
        used = set(taken_cards)
        for k, card in enumerate(cards):
            number = low + (int(card) - low) % size
            while str(number) in used:
                number = number + 1 if number < low + size - 1 else low
            cards[k] = str(number)
            used.add(cards[k])
    serials = rng.sample(range(10**6), n)
    prefix = f"{99 - (block or 0):03d}"
    for number, i in enumerate(order, start=1):
        f = people[i].fields
        f["record_number"] = f"{number:06d}{code}"
        f["card_number"] = cards[i] if f["full_member_on"] else None
        citizen_id = None
        if rng.random() < 0.92:
            century = 0 if f["birth_date"].year < 2000 else 2
            sex = 0 if f["gender"] == Gender.MALE else 1
            citizen_id = f"{prefix}{century + sex}{f['birth_date'].year % 100:02d}{serials[i]:06d}"
            if citizen_id in taken_ids:
                citizen_id = None
        f["citizen_id"] = citizen_id


DISCIPLINE_FORM_WEIGHTS = {
    DisciplineForm.REPRIMAND: 70,
    DisciplineForm.WARNING: 25,
    DisciplineForm.DISMISSAL: 5,
}
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
