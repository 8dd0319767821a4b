"""The tree of a generated province: districts, old communes and cells until 30/06/2025, the
merged commune-level units from 01/07/2025, and their residential units."""

from __future__ import annotations

import random

from cells.choices import ResidentialUnitKind

from ..drawing import pick
from ..province_data import (
    HAMLET_NAMES,
    LAST_OLD_DAY,
    OLD_FOUNDED,
    REFORM_DAY,
    SCHOOLS,
)
from .entities import (
    _WORDS,
    CELL_SIZES,
    GAP_UNIT_SHARE,
    JOINT_CELL_SHARE,
    MERGE_WEIGHTS,
    MERGED_PAIR_SHARE,
    OLD_COMMUNES_PER_DISTRICT,
    SPLIT_CELL_SHARE,
    WARD_SHARE,
    D,
    Org,
    T,
)


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
    merges = [pick(rng, MERGE_WEIGHTS) for _ in range(communes)]
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
