"""`demo_plan`: everything the demo province holds, decided in memory from a seed and a day: the
tree before and after 01/07/2025, the members, their events, posts and followers."""

import datetime
import random

from cells.choices import (
    DisciplineForm,
    EventKind,
    Gender,
    PoliticalTheoryLevel,
    PostKind,
    ProfessionalLevel,
    ResidentialUnitKind,
)

from .people import assign_numbers, day_between, person_record, years_later
from .province_data import (
    DEMO_SEED,
    DISCIPLINE_NOTES,
    GAP_UNITS,
    HAMLET_NAMES,
    LAST_OLD_DAY,
    MEMBERS_AT_FULL_SCALE,
    NEW_COMMUNES,
    OLD_DISTRICTS,
    OLD_FOUNDED,
    PROVINCE_CODE,
    PROVINCE_PLACE,
    REFORM_DAY,
    SCHOOLS,
    CellPlan,
    CommunePlan,
    D,
    DemoPlan,
    PersonPlan,
    T,
)


def _place(old: CommunePlan, district_name: str) -> str:
    kind = "thị trấn" if old.type == T.TOWNSHIP else "xã"
    return f"{kind} {old.name}, huyện {district_name}, {PROVINCE_PLACE}"


def _cell_name(unit_kind: str, units: list[str]) -> str:
    if unit_kind == ResidentialUnitKind.STREET_GROUP:
        return "Chi bộ tổ dân phố " + " – ".join(units)
    return ("Chi bộ liên thôn " if len(units) > 1 else "Chi bộ thôn ") + " – ".join(units)


def residential_unit_kind(commune_type: str) -> str:
    street = commune_type in (T.WARD, T.TOWNSHIP)
    return ResidentialUnitKind.STREET_GROUP if street else ResidentialUnitKind.HAMLET


def plan_structure(rng: random.Random):
    """The tree before and after 01/07/2025; cells carry their successor's code."""
    districts, old_communes, new_communes = [], {}, []
    places = {}
    for code, name, communes in OLD_DISTRICTS:
        districts.append(
            CommunePlan(
                f"{PROVINCE_CODE}-{code}",
                T.DISTRICT,
                name,
                PROVINCE_CODE,
                OLD_FOUNDED,
                LAST_OLD_DAY,
            )
        )
        for ccode, ctype, cname in communes:
            old = CommunePlan(
                f"{PROVINCE_CODE}-{code}-{ccode}",
                ctype,
                cname,
                districts[-1].code,
                OLD_FOUNDED,
                LAST_OLD_DAY,
            )
            old_communes[f"{code}-{ccode}"] = old
            places[old.code] = _place(old, name)
    for index, (code, ctype, name, merged, merge_cells) in enumerate(NEW_COMMUNES):
        new = CommunePlan(f"{PROVINCE_CODE}-{code}", ctype, name, PROVINCE_CODE, REFORM_DAY)
        new_communes.append(new)
        pool = HAMLET_NAMES[:]
        rng.shuffle(pool)
        new_kind = residential_unit_kind(ctype)
        for old_index, old_key in enumerate(merged):
            old = old_communes[old_key]
            old.successor = new.code
            old_kind = residential_unit_kind(old.type)
            n_hamlet_cells = rng.randint(4, 8)
            joint = {rng.randrange(n_hamlet_cells)} if n_hamlet_cells >= 5 else set()
            unit_groups = [[pool.pop()] for _ in range(n_hamlet_cells)]
            for i in joint:
                unit_groups[i].append(pool.pop())
            old_cells = [(units, "hamlet") for units in unit_groups]
            school = SCHOOLS[(index + old_index) % len(SCHOOLS)]
            old_cells += [([f"{school} {old.name}"], "school")]
            kind_word = "thị trấn" if old.type == T.TOWNSHIP else "xã"
            old_cells += [([f"Trạm Y tế {kind_word} {old.name}"], "clinic")]
            for i, (units, kind) in enumerate(old_cells, start=1):
                founded = OLD_FOUNDED if rng.random() < 0.85 else D(rng.randint(1995, 2012), 1, 1)
                name_ = _cell_name(old_kind, units) if kind == "hamlet" else f"Chi bộ {units[0]}"
                old.cells.append(
                    CellPlan(
                        f"{old.code}-{i:02d}",
                        name_,
                        kind,
                        established_on=founded,
                        dissolved_on=LAST_OLD_DAY,
                        units=units,
                        place=places[old.code],
                    )
                )
            # One-to-one successors, except two single-hamlet cells merged in some communes.
            singles = [c for c in old.cells if c.kind == "hamlet" and len(c.units) == 1]
            merged_pair = singles[:2] if merge_cells and old_index == 0 else []
            for cell in old.cells:
                if cell in merged_pair[1:]:
                    continue
                units = [u for c in merged_pair for u in c.units] if cell in merged_pair else []
                units = units or cell.units
                if cell.kind == "hamlet":
                    name_ = _cell_name(new_kind, units)
                elif cell.kind == "clinic":
                    name_ = f"Chi bộ Trạm Y tế {old.name}"
                else:
                    name_ = cell.name
                new.cells.append(
                    CellPlan(
                        f"{new.code}-{len(new.cells) + 1:02d}",
                        name_,
                        cell.kind,
                        established_on=REFORM_DAY,
                        units=units,
                        place=cell.place,
                    )
                )
                for c in merged_pair if cell in merged_pair else [cell]:
                    c.successor = new.cells[-1].code
        if code in GAP_UNITS:
            new.gap_units.append(GAP_UNITS[code])
    # A district-level grassroots organization, moved under the new ward by the reform.
    district, ward = districts[0], new_communes[0]
    old_centre = CellPlan(
        f"{district.code}-TTYT",
        f"Chi bộ Trung tâm Y tế huyện {district.name}",
        "centre",
        T.GRASSROOTS_CELL,
        D(1995, 3, 1),
        LAST_OLD_DAY,
        f"{ward.code}-TTYT",
        place=places[f"{district.code}-TT"],
    )
    new_centre = CellPlan(
        old_centre.successor,
        f"Chi bộ Trung tâm Y tế khu vực {district.name}",
        "centre",
        T.GRASSROOTS_CELL,
        REFORM_DAY,
        place=old_centre.place,
    )
    ward.cells.append(new_centre)
    return districts, list(old_communes.values()), new_communes, old_centre


BASE_SIZES = {"hamlet": (14, 28), "joint": (20, 32), "school": (8, 14), "clinic": (5, 9),
              "centre": (22, 28)}  # fmt: skip
NO_POST_AGE = (25, 70)


def demo_plan(*, today: datetime.date, scale: float = 1.0, seed: int = DEMO_SEED) -> DemoPlan:
    """Everything the demo holds, decided from `seed` and `today` only (no database access)."""
    rng = random.Random(seed)
    districts, old_communes, new_communes, old_centre = plan_structure(rng)
    cells = {c.code: c for o in old_communes for c in o.cells} | {old_centre.code: old_centre}
    cells |= {c.code: c for n in new_communes for c in n.cells}
    predecessors: dict[str, list[str]] = {}
    for code, cell in cells.items():
        if cell.successor:
            predecessors.setdefault(cell.successor, []).append(code)
    current = [c for n in new_communes for c in n.cells]
    for cell in current:
        lo, hi = BASE_SIZES["joint" if len(cell.units) > 1 else cell.kind]
        cell.size = max(3, round(rng.randint(lo, hi) * scale))
    hamlet_cells = [c for c in current if c.kind == "hamlet"]
    while sum(c.size for c in current) < MEMBERS_AT_FULL_SCALE * scale:
        rng.choice(hamlet_cells).size += 1

    def placed(cell: CellPlan, commune: str, fields: dict, left_on=None) -> PersonPlan:
        preds = predecessors.get(cell.code, [])
        if left_on is not None and left_on < REFORM_DAY:
            return PersonPlan(fields, commune, rng.choice(preds))  # only ever in an old cell
        if len(preds) > 1 and fields["admitted_on"] < REFORM_DAY:
            # Placed in a merged cell, the service could not tell which old cell they came
            # from; the demo knows, so they start there and move on the day of the reform.
            return PersonPlan(fields, commune, rng.choice(preds), transfer_to=cell.code)
        return PersonPlan(fields, commune, cell.code)

    persons: list[PersonPlan] = []
    cell_members: dict[str, list[int]] = {}
    commune_of = {c.code: n.code for n in new_communes for c in n.cells}
    for cell in current:
        for _ in range(cell.size):
            fields = person_record(rng, kind=cell.kind, ref=today, place=cell.place)
            cell_members.setdefault(cell.code, []).append(len(persons))
            persons.append(placed(cell, commune_of[cell.code], fields))
    # Members who died or moved away: their memberships end on that day.
    for kind, count, ages in ((EventKind.DEATH, 16, (70, 92)), (EventKind.TRANSFER_OUT, 9, None)):
        for _ in range(max(1, round(count * scale))):
            cell = rng.choice(hamlet_cells)
            left_on = day_between(rng, D(2017, 1, 1), today - datetime.timedelta(days=30))
            fields = person_record(
                rng, kind="hamlet", ref=left_on, place=cell.place, probationary_share=0
            )
            if ages:
                age = rng.randint(*ages)
                fields["birth_date"] = years_later(left_on, -age) - datetime.timedelta(days=40)
                fields["admitted_on"] = min(fields["admitted_on"], years_later(left_on, -30))
                fields["ceremony_on"] = fields["admitted_on"] + datetime.timedelta(days=14)
                fields["full_member_on"] = years_later(fields["admitted_on"], 1)
                fields["occupation"] = "Hưu trí"
            person = placed(cell, commune_of[cell.code], fields, left_on=left_on)
            note = "" if ages else f"Chuyển sinh hoạt đảng chính thức ra ngoài {PROVINCE_PLACE}"
            person.events.append({"kind": kind, "start": left_on, "note": note})
            persons.append(person)
    assign_numbers(rng, persons)
    unit_names = {u.code: unit_name(u) for u in old_communes + new_communes}
    plan_events(rng, persons, today=today, scale=scale, cells=cells, unit_names=unit_names)
    districts[0].cells.append(old_centre)
    plan = DemoPlan(districts, old_communes, new_communes, persons)
    plan_posts(rng, plan, cell_members, predecessors)
    return plan


def plan_events(rng, persons, *, today, scale, cells, unit_names) -> None:
    """Exemptions, suspensions, leaves and disciplines of members still in their cells."""
    active = [i for i, p in enumerate(persons) if not p.events]
    busy: set[int] = set()

    def free(pred) -> list[int]:
        return [i for i in active if i not in busy and pred(persons[i].fields)]

    def age_on(f, day):
        return (day - f["birth_date"]).days // 365

    for i in free(lambda f: age_on(f, today) >= 75 and f["full_member_on"]):
        f = persons[i].fields
        earliest = max(years_later(f["birth_date"], 72), D(2014, 1, 1))
        if rng.random() < 0.3 and earliest < today - datetime.timedelta(days=60):
            start = day_between(rng, earliest, today - datetime.timedelta(days=60))
            note = "Tuổi cao, sức yếu, tự nguyện xin miễn"
            persons[i].events.append({"kind": EventKind.EXEMPTION, "start": start, "note": note})
            busy.add(i)
    working_age = free(lambda f: 25 <= age_on(f, today) <= 65 and f["full_member_on"])
    for i in rng.sample(working_age, max(1, round(5 * scale))):
        start = day_between(rng, D(2019, 1, 1), today - datetime.timedelta(days=200))
        end = start + datetime.timedelta(days=rng.randint(60, 300))
        note = "Đình chỉ sinh hoạt đảng trong thời gian bị khởi tố, điều tra"
        persons[i].events.append(
            {"kind": EventKind.SUSPENSION, "start": start, "end": end, "note": note}
        )
        busy.add(i)
    sick = free(lambda f: age_on(f, today) >= 30 and f["admitted_on"] < D(2022, 1, 1))
    sick = rng.sample(sick, max(3, round(len(sick) * 0.05)))
    for n, i in enumerate(sick):
        if n < max(2, len(sick) // 3):  # long leaves in the years the 3-month rule bites
            days, lo, hi = rng.randint(92, 240), D(2024, 1, 1), D(2025, 9, 30)
        else:
            days = rng.choice([rng.randint(10, 40), rng.randint(41, 85), rng.randint(92, 200)])
            lo, hi = D(2019, 1, 1), today - datetime.timedelta(days=20)
        lo = max(lo, persons[i].fields["full_member_on"])
        start = day_between(rng, lo, hi)
        end = start + datetime.timedelta(days=days - 1)
        persons[i].events.append({"kind": EventKind.SICK_LEAVE, "start": start, "end": end})
        busy.add(i)
    mothers = free(lambda f: f["gender"] == Gender.FEMALE and 24 <= age_on(f, today) <= 44)
    for i in rng.sample(mothers, max(1, round(len(mothers) * 0.15))):
        f = persons[i].fields
        lo = max(years_later(f["birth_date"], 22), f["admitted_on"], D(2016, 1, 1))
        hi = min(years_later(f["birth_date"], 40), today - datetime.timedelta(days=10))
        if lo < hi:
            start = day_between(rng, lo, hi)
            end = start + datetime.timedelta(days=rng.choice([179, 179, 179, 209]))
            persons[i].events.append(
                {"kind": EventKind.MATERNITY_LEAVE, "start": start, "end": end}
            )
            busy.add(i)
    veterans = [i for i in active if persons[i].fields["admitted_on"] < D(2014, 1, 1)]
    for i in rng.sample(veterans, max(2, round(12 * scale))):
        person = persons[i]
        start = day_between(rng, D(2016, 1, 1), min(today, D(2025, 11, 30)))
        form = DisciplineForm.REPRIMAND if rng.random() < 0.7 else DisciplineForm.WARNING
        cell = (
            cells[person.cell] if start < REFORM_DAY else cells[person.transfer_to or person.cell]
        )
        if start < REFORM_DAY and cell.established_on == REFORM_DAY:
            cell = cells[next(c for c, p in cells.items() if p.successor == cell.code)]
        # A cell may reprimand its members; a warning here comes from the commune's commission.
        commune = unit_names.get(cell.code.rsplit("-", 1)[0])
        body = cell.name
        if form == DisciplineForm.WARNING and commune:
            body = "Ủy ban Kiểm tra " + commune.replace("Đảng bộ", "Đảng ủy", 1)
        person.events.append(
            {
                "kind": EventKind.DISCIPLINE,
                "start": start,
                "discipline_form": form,
                "self_remedied": start.year >= 2023 and rng.random() < 0.3,
                "deciding_body": body,
                "note": rng.choice(DISCIPLINE_NOTES),
            }
        )


def _committee(rng, plan: DemoPlan, candidates: list[int], size: int) -> list[int]:
    """Pick a committee and give it the qualifications its members are required to have."""
    chosen = rng.sample(candidates, min(size, len(candidates)))
    for rank, i in enumerate(chosen):
        f = plan.persons[i].fields
        f["general_education"] = "12/12"
        f["professional_level"] = rng.choice([ProfessionalLevel.UNIVERSITY] * 4 + ["master"])
        f["political_theory"] = (
            PoliticalTheoryLevel.ADVANCED if rank < 3 else PoliticalTheoryLevel.INTERMEDIATE
        )
        if f["occupation"] in ("Hưu trí", "Làm ruộng", "Lao động tự do"):
            f["occupation"] = "Cán bộ, công chức cấp xã"
    return chosen


def plan_posts(rng, plan: DemoPlan, cell_members: dict, predecessors: dict) -> None:
    """Cell committees and hamlet heads, commune committees of both terms, cell followers."""
    persons = plan.persons

    def eligible(i, day=None, lo=NO_POST_AGE[0], hi=NO_POST_AGE[1]) -> bool:
        f = persons[i].fields
        age = ((day or REFORM_DAY) - f["birth_date"]).days // 365
        exempt_or_out = any(
            e["kind"] in (EventKind.EXEMPTION, EventKind.SUSPENSION) for e in persons[i].events
        )
        return bool(f["full_member_on"]) and lo <= age <= hi and not exempt_or_out

    for commune in plan.new_communes:
        for cell in commune.cells:
            members = cell_members.get(cell.code, [])
            # Every cell elects a secretary: outside the usual ages if it has to.
            fallback = [i for i in members if persons[i].fields["full_member_on"]]
            members = [i for i in members if eligible(i)]
            rng.shuffle(members)
            members += [i for i in fallback if i not in members]
            titles = ["Bí thư chi bộ", "Phó Bí thư chi bộ"]
            titles += ["Chi ủy viên"] * (rng.randint(1, 3) if cell.size >= 9 else 0)
            for i, title in zip(members, titles, strict=False):
                plan.posts.append((i, PostKind.PARTY, title, cell.code, REFORM_DAY, None, False))
                if title == "Bí thư chi bộ" and not persons[i].fields["political_theory"]:
                    persons[i].fields["political_theory"] = PoliticalTheoryLevel.ELEMENTARY
            if cell.kind != "hamlet" or not members:
                continue
            street = commune.type == T.WARD
            head_title = "Tổ trưởng tổ dân phố" if street else "Trưởng thôn"
            # Often the secretary also heads the hamlet (a Resolution 22 indicator).
            heads = [members[0] if rng.random() < 0.55 else None]
            heads += [None] * (len(cell.units) - 1)
            for n, head in enumerate(heads):
                others = [i for i in members[2:] if i not in heads]
                if head is None and others and rng.random() < 0.6:
                    heads[n] = head = others[0]
                if head is not None:
                    plan.posts.append(
                        (head, PostKind.GOVERNMENT, head_title, cell.code, REFORM_DAY, None, True)
                    )
        members = [i for c in commune.cells for i in cell_members.get(c.code, [])]
        committee = _committee(rng, plan, [i for i in members if eligible(i, hi=58)], 11)
        titles = ["Bí thư Đảng ủy", "Phó Bí thư Thường trực Đảng ủy", "Phó Bí thư Đảng ủy"]
        level = "phường" if commune.type == T.WARD else "xã"
        gov = [
            f"Chủ tịch Ủy ban nhân dân {level}",
            f"Phó Chủ tịch Ủy ban nhân dân {level}",
            f"Chủ tịch Ủy ban Mặt trận Tổ quốc Việt Nam {level}",
        ]
        for rank, i in enumerate(committee):
            title = titles[rank] if rank < 3 else "Đảng ủy viên"
            plan.posts.append((i, PostKind.PARTY, title, commune.code, REFORM_DAY, None, False))
            if 2 <= rank < 5:
                plan.posts.append(
                    (i, PostKind.GOVERNMENT, gov[rank - 2], commune.code, REFORM_DAY, None, False)
                )
        for n, cell in enumerate(commune.cells):
            if len(committee) > 1:
                follower = committee[1 + n % (len(committee) - 1)]
                plan.followers.append((follower, cell.code, REFORM_DAY, None))
    # The 2020–2025 committees of the old communes, chosen among the members of their cells.
    term_start = D(2020, 6, 15)
    for old in plan.old_communes:
        old_cells = {c.code for c in old.cells}
        members = [
            i
            for new in plan.new_communes
            for c in new.cells
            if set(predecessors.get(c.code, [])) & old_cells
            for i in cell_members.get(c.code, [])
            if (persons[i].transfer_to is None or persons[i].cell in old_cells)
            and persons[i].fields["admitted_on"] < D(2019, 1, 1)
            and eligible(i, term_start, 30, 60)
        ]
        committee = _committee(rng, plan, members, 9)
        for rank, i in enumerate(committee):
            title = ["Bí thư Đảng ủy", "Phó Bí thư Đảng ủy"][rank] if rank < 2 else "Đảng ủy viên"
            plan.posts.append((i, PostKind.PARTY, title, old.code, term_start, LAST_OLD_DAY, False))
        for n, cell in enumerate(old.cells):
            if len(committee) > 1:
                follower = committee[1 + n % (len(committee) - 1)]
                plan.followers.append((follower, cell.code, D(2020, 7, 1), LAST_OLD_DAY))


def unit_name(unit: CommunePlan) -> str:
    word = {T.DISTRICT: "huyện", T.TOWNSHIP: "thị trấn", T.WARD: "phường"}.get(unit.type, "xã")
    return f"Đảng bộ {word} {unit.name}"
