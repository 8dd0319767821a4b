"""The fictional demo province built by `manage.py seed_demo` (codes "SH…"; no real person).

Two steps. `demo_plan` decides everything in memory from a fixed random seed and a reference
day: the pre-2025 tree (two districts, their communes and cells), the commune-level units
that took over on 01/07/2025, the members with their events, posts and followers. So the same
seed and day always give the same data. `demo_seed` then writes the plan: organizations and
members go through cells.services, so memberships through the 2025 merge and the effect of
leaving events are exactly what a real import produces; rows without domain logic
(residential units, posts, followers, terms) are bulk-created to keep the demo start fast.
"""

import datetime
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction

from . import services
from .choices import (
    DisciplineForm,
    EventKind,
    Gender,
    OrganizationType,
    PoliticalTheoryLevel,
    PostKind,
    ProfessionalLevel,
    ResidentialUnitKind,
    Role,
)
from .models import CellFollower, Organization, Post, ResidentialUnit, RoleAssignment, Term

PROVINCE_CODE = "SH"
PROVINCE_NAME = "Đảng bộ tỉnh Sông Hồng Mới"
PROVINCE_PLACE = "tỉnh Sông Hồng Mới"
DEMO_SEED = 20250701
# Demo only: printed by seed_demo, never to be used on a real installation.
DEMO_PASSWORD = "partybuild-demo"
# No real province issues citizen IDs with this prefix, so demo IDs never clash with real ones.
CITIZEN_ID_PREFIX = "098"

D = datetime.date
OLD_FOUNDED = D(1992, 1, 1)
LAST_OLD_DAY = D(2025, 6, 30)
REFORM_DAY = D(2025, 7, 1)
MEMBERS_AT_FULL_SCALE = 1560
T = OrganizationType


def _names(text: str) -> list[str]:
    """A list written as one string (comma-separated, or spaces for one-word names)."""
    return [name.strip() for name in (text.split(",") if "," in text else text.split())]


# (district code, name, [(old commune code, type, name)])
OLD_DISTRICTS = [
    (
        "YH",
        "Yên Hòa",
        [
            ("TT", T.TOWNSHIP, "Yên Hòa"),
            ("YB", T.COMMUNE, "Yên Bình"),
            ("AL", T.COMMUNE, "An Lạc"),
            ("AT", T.COMMUNE, "An Thái"),
            ("PX", T.COMMUNE, "Phú Xuân"),
        ],
    ),
    (
        "PS",
        "Phú Sơn",
        [
            ("ST", T.COMMUNE, "Sơn Thủy"),
            ("HM", T.COMMUNE, "Hòa Mỹ"),
            ("TP", T.COMMUNE, "Tân Phong"),
            ("DT", T.COMMUNE, "Đồng Tâm"),
            ("BL", T.COMMUNE, "Bình Lộc"),
        ],
    ),
]
# The commune-level units of 01/07/2025: (code, type, name, merged old communes, merges two cells)
NEW_COMMUNES = [
    ("YHO", T.WARD, "Yên Hòa", ["YH-TT", "YH-YB"], True),
    ("ALA", T.COMMUNE, "An Lạc", ["YH-AL", "YH-AT", "YH-PX"], True),
    ("STH", T.COMMUNE, "Sơn Thủy", ["PS-ST", "PS-HM"], True),
    ("TPH", T.COMMUNE, "Tân Phong", ["PS-TP"], False),
    ("DTA", T.COMMUNE, "Đồng Tâm", ["PS-DT"], False),
    ("BLO", T.COMMUNE, "Bình Lộc", ["PS-BL"], False),
]
# New communes with a hamlet that has no cell yet (a Resolution 22 gap), and its name.
GAP_UNITS = {"ALA": "Tân Lập", "STH": "Đồng Mới", "TPH": "Tân Thịnh", "BLO": "Bình An"}
HAMLET_NAMES = _names(
    "Đông Hưng, Tây Sơn, Nam Tiến, Bắc Hà, Trung Hòa, Thượng Phúc, Hạ Trại, Phú Mỹ, Hòa Bình, "
    "Quyết Tiến, Thống Nhất, Đoàn Kết, Hợp Nhất, Tiền Phong, Bình Minh, Đại Đồng, Phú Lợi, "
    "Yên Thịnh, Cao Xá, Văn Hội, Lương Điền, Mỹ Thịnh, Tân Hòa, Kim Lũ, Đông Thành, Xuân Lai, "
    "Phúc Lâm, Thanh Khê, Vĩnh An, Cầu Đá, Đồng Lạc, Gò Mít, Bến Đò, Liên Minh, Quang Trung, "
    "Trần Phú, Lê Lợi, Hùng Vương, Phố Mới, Chợ Cũ, Thành Công, Hưng Long, Khánh Vân, Minh Khai, "
    "Ngọc Lâm, Hồng Phong, Hòa Lạc, Làng Vạn, An Cư, Đông Phú, Thái Hòa, Phú Cường, Mai Trang, "
    "Trại Gạo, Sơn Hà, Vân Tiên, Đồng Xuân, Hậu Lộc, Tiên Phong, Thượng Lâm"
)
SCHOOLS = ["Trường Tiểu học", "Trường Trung học cơ sở", "Trường Mầm non"]

# Family names weighted roughly as in the population; ethnic groups have their own.
# fmt: off
FAMILY_NAMES = {
    "Nguyễn": 38, "Trần": 11, "Lê": 9.5, "Phạm": 7, "Hoàng": 4.5, "Huỳnh": 1.5, "Phan": 4.5,
    "Vũ": 3.5, "Võ": 1.5, "Đặng": 2.1, "Bùi": 2, "Đỗ": 1.4, "Hồ": 1.3, "Ngô": 1.3, "Dương": 1,
    "Lý": 0.5, "Đinh": 1, "Trịnh": 0.6, "Đào": 0.6, "Đoàn": 0.5, "Mai": 0.4, "Lương": 0.4,
    "Cao": 0.4, "Hà": 0.5, "Tạ": 0.3, "Lưu": 0.3, "Chu": 0.3, "Trương": 0.6, "Kiều": 0.2,
}
# fmt: on
ETHNIC_FAMILY_NAMES = {
    "Tày": ["Hoàng", "Nông", "Lục", "Lương", "Triệu", "Hà", "Ma"],
    "Nùng": ["Hoàng", "Nông", "Lăng", "Vi", "Lục", "Chu"],
    "Mường": ["Bùi", "Đinh", "Quách", "Hà", "Xa"],
    "Khmer": ["Thạch", "Sơn", "Danh", "Kim", "Lâm"],
    "Hoa": ["Lý", "Lâm", "Trương", "Quách", "Mã", "Tăng"],
}
ETHNICITIES = {"Kinh": 90, "Tày": 3, "Nùng": 2, "Mường": 2, "Khmer": 1.5, "Hoa": 1.5}
RELIGIONS = {"": 93, "Phật giáo": 4.5, "Công giáo": 2.5}
# The common middle names ("Văn", "Thị") are drawn apart, more often for older people.
MALE_MIDDLE = _names(
    "Văn Hữu Đức Minh Quốc Thanh Xuân Công Đình Ngọc Trọng Quang Mạnh Tiến Bá Duy Hoàng Tuấn"
)
FEMALE_MIDDLE = _names("Thị Thu Ngọc Thanh Minh Kim Hồng Phương Thùy Mai Bích Diệu Hải Khánh Lan")
SECOND_MIDDLE = _names("Thu Ngọc Minh Thanh Kim Hồng Mai Bích Hải")
MALE_GIVEN = _names(
    "An Bình Cường Dũng Đạt Đông Hải Hùng Huy Khánh Long Minh Nam Phong Quân Sơn Tài Thắng "
    "Thành Tuấn Trung Việt Vinh Hiếu Hưng Lâm Lợi Tiến Toàn Phúc Khoa Hoàng Kiên Thịnh Chiến "
    "Nghĩa Đức Tùng Hậu Bảo Công Định Giang Hòa Khải Lực Mạnh Nhân Quang Tân Thái Thuận Trí "
    "Trọng Tú Tuân Vượng Xuân Hào Cảnh Thiện Kha Luân Phương"
)
FEMALE_GIVEN = _names(
    "Anh Bích Chi Dung Giang Hà Hạnh Hằng Hoa Hồng Hương Huyền Lan Liên Linh Loan Mai Nga Ngân "
    "Nhung Oanh Phương Quyên Thảo Thủy Trang Tuyết Vân Yến Xuân Hiền Lụa Thoa Nhàn Hòa Huệ Lý "
    "Minh Nguyệt Phượng Quế Sen Tâm Thơm Thúy Thư Trâm Uyên Vui Diệp Đào Gấm Hậu Lài"
)
# (age band, weight) per cell kind: hamlet cells have many retirees.
AGE_BANDS = {
    "hamlet": [((20, 30), 11), ((31, 45), 20), ((46, 60), 26), ((61, 75), 28), ((76, 90), 15)],
    "staff": [((23, 35), 35), ((36, 50), 40), ((51, 60), 25)],
}
FEMALE_SHARE = {"hamlet": 0.36, "school": 0.72, "clinic": 0.62, "centre": 0.6}
# fmt: off
HAMLET_JOBS = {"Làm ruộng": 30, "Buôn bán": 10, "Kinh doanh": 8, "Công nhân": 10,
               "Lao động tự do": 8, "Viên chức": 6, "Công chức": 4,
               "Người hoạt động không chuyên trách": 5, "Bộ đội xuất ngũ": 3}
# fmt: on
CLINIC_JOBS = {"Bác sĩ": 30, "Y sĩ": 25, "Điều dưỡng": 25, "Dược sĩ": 10, "Nữ hộ sinh": 10}
DISCIPLINE_NOTES = [
    "Vi phạm quy định về sinh hoạt đảng",
    "Vi phạm chính sách dân số và kế hoạch hóa gia đình",
    "Thiếu trách nhiệm trong quản lý đất đai",
    "Vi phạm quy định những điều đảng viên không được làm",
    "Không thực hiện nhiệm vụ được chi bộ phân công",
]


@dataclass
class CellPlan:
    code: str
    name: str
    kind: str  # hamlet · school · clinic · centre
    type: str = T.CELL
    established_on: datetime.date = OLD_FOUNDED
    dissolved_on: datetime.date | None = None
    successor: str | None = None
    units: list[str] = field(default_factory=list)
    size: int = 0
    place: str = ""


@dataclass
class CommunePlan:
    """A commune-level unit: an old one (with `successor`) or one of 2025."""

    code: str
    type: str
    name: str
    parent: str
    established_on: datetime.date
    dissolved_on: datetime.date | None = None
    successor: str | None = None
    cells: list[CellPlan] = field(default_factory=list)
    gap_units: list[str] = field(default_factory=list)


@dataclass
class PersonPlan:
    fields: dict
    commune: str  # the 2025 commune, for progress output
    cell: str  # where member_create places them
    transfer_to: str | None = None  # a merged cell joined on REFORM_DAY
    events: list[dict] = field(default_factory=list)


@dataclass
class DemoPlan:
    districts: list[CommunePlan]
    old_communes: list[CommunePlan]
    new_communes: list[CommunePlan]
    persons: list[PersonPlan]
    # (person index, kind, title, organization code, start, end, is_hamlet_head)
    posts: list[tuple] = field(default_factory=list)
    followers: list[tuple] = field(default_factory=list)  # (person index, cell, start, end)


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str  # family and middle names, so get_full_name() reads in Vietnamese order
    last_name: str  # given name
    role: str
    unit_code: str
    start: datetime.date | None = None
    end: datetime.date | None = None
    superuser: bool = False
    # The login of a cell belongs to the member its cell elected secretary (when seeded).
    named_after_secretary: bool = False


DEMO_USERS = [
    DemoUser("admin", "Nguyễn Văn", "Quân", Role.ADMIN, PROVINCE_CODE, superuser=True),
    DemoUser("thamdinh.tinh", "Trần Thị Minh", "Hương", Role.REVIEWER, PROVINCE_CODE),
    DemoUser("vanphong.anlac", "Lê Thị Thu", "Hà", Role.SECRETARY, "SH-ALA"),
    DemoUser(
        "chibo.anlac", "Phạm Đức", "Thắng", Role.SECRETARY, "SH-ALA-02", named_after_secretary=True
    ),
    DemoUser("baocao.tinh", "Đỗ Ngọc", "Lan", Role.REPORTS, PROVINCE_CODE),
    DemoUser(
        "thamdinh.yenhoa", "Hoàng Minh", "Tuấn", Role.REVIEWER, "SH-YH", D(2020, 7, 1), LAST_OLD_DAY
    ),
]


def _pick(rng: random.Random, weighted: dict):
    return rng.choices(list(weighted), weights=list(weighted.values()))[0]


def _years_later(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _day_between(rng: random.Random, lo: datetime.date, hi: datetime.date) -> datetime.date:
    return lo + datetime.timedelta(days=rng.randint(0, max(0, (hi - lo).days)))


def _full_name(rng: random.Random, *, gender: str, birth_year: int, ethnicity: str) -> str:
    ethnic = ETHNIC_FAMILY_NAMES.get(ethnicity)
    family = rng.choice(ethnic) if ethnic else _pick(rng, FAMILY_NAMES)
    older = birth_year < 1975
    if gender == Gender.MALE:
        common = "Văn" if rng.random() < (0.6 if older else 0.25) else None
        middle = common or rng.choice(MALE_MIDDLE[1:])
        given = rng.choice(MALE_GIVEN)
    else:
        common = "Thị" if rng.random() < (0.7 if older else 0.35) else None
        middle = common or rng.choice(FEMALE_MIDDLE[1:])
        if common and rng.random() < 0.15:
            middle += " " + rng.choice(SECOND_MIDDLE)
        given = rng.choice(FEMALE_GIVEN)
    while given == middle.split()[-1]:
        given = rng.choice(MALE_GIVEN if gender == Gender.MALE else FEMALE_GIVEN)
    return f"{family} {middle} {given}"


def _person(
    rng: random.Random, *, kind: str, ref: datetime.date, place: str, probationary_share=0.03
) -> dict:
    """One member's record as of `ref` (today, or the day they left)."""
    gender = Gender.FEMALE if rng.random() < FEMALE_SHARE[kind] else Gender.MALE
    probationary = rng.random() < probationary_share
    if probationary:
        age = rng.randint(19, 38)
    else:
        lo, hi = _pick(rng, dict(AGE_BANDS["hamlet" if kind == "hamlet" else "staff"]))
        age = rng.randint(lo, hi)
    birth = _years_later(ref, -age) - datetime.timedelta(days=rng.randint(0, 364))
    adult = _years_later(birth, 18) + datetime.timedelta(days=1)
    if probationary:
        admitted = ref - datetime.timedelta(days=rng.randint(20, 330))
        full = None
    else:
        # A full member was admitted more than a year (and a recognition) before `ref`.
        latest = ref - datetime.timedelta(days=430)
        top = max(18.4, min(age - 1.3, 55.0))
        admit_age = rng.triangular(18.3, top, min(24.0, top))
        admitted = birth + datetime.timedelta(days=int(admit_age * 365.25))
        admitted = min(max(admitted, adult), latest)
        full = admitted + datetime.timedelta(days=365 + rng.randint(0, 40))
    ethnicity = _pick(rng, ETHNICITIES)
    if kind == "hamlet":
        retired = age >= (60 if gender == Gender.MALE else 55)
        if retired:
            occupation = "Hưu trí" if rng.random() < 0.65 else "Làm ruộng"
        else:
            occupation = _pick(rng, HAMLET_JOBS)
        professional = _pick(
            rng, {"": 45, "elementary": 12, "intermediate": 22, "college": 8, "university": 13}
        )
        theory = _pick(rng, {"": 55, "elementary": 35, "intermediate": 9, "advanced": 1})
    else:
        if kind == "school":
            occupation = "Giáo viên" if rng.random() < 0.85 else "Nhân viên"
        else:
            occupation = _pick(rng, CLINIC_JOBS)
        if occupation in ("Giáo viên", "Bác sĩ", "Dược sĩ"):
            professional = _pick(rng, {"university": 78, "master": 14, "college": 8})
        else:
            professional = _pick(rng, {"intermediate": 55, "college": 30, "university": 15})
        theory = _pick(rng, {"": 30, "elementary": 55, "intermediate": 15})
    if birth.year < 1972:
        education = _pick(rng, {"10/10": 55, "12/12": 25, "9/12": 20})
    else:
        education = "12/12" if kind != "hamlet" or rng.random() < 0.85 else "9/12"
    return {
        "full_name": _full_name(rng, gender=gender, birth_year=birth.year, ethnicity=ethnicity),
        "gender": gender,
        "birth_date": birth,
        "birthplace": place if rng.random() < 0.8 else "",
        "hometown": place,
        "ethnicity": ethnicity,
        "religion": _pick(rng, RELIGIONS),
        "occupation": occupation,
        "general_education": education,
        "professional_level": professional,
        "political_theory": theory,
        "admitted_on": admitted,
        "ceremony_on": min(admitted + datetime.timedelta(days=rng.randint(7, 30)), ref),
        "full_member_on": full,
    }


def _place(old: CommunePlan, district_name: str) -> str:
    kind = "thị trấn" if old.type == T.TOWNSHIP else "xã"
    return f"{kind} {old.name}, huyện {district_name}, {PROVINCE_PLACE}"


def _cell_name(unit_kind: str, units: list[str]) -> str:
    if unit_kind == ResidentialUnitKind.STREET_GROUP:
        return "Chi bộ tổ dân phố " + " – ".join(units)
    return ("Chi bộ liên thôn " if len(units) > 1 else "Chi bộ thôn ") + " – ".join(units)


def _unit_kind(commune_type: str) -> str:
    street = commune_type in (T.WARD, T.TOWNSHIP)
    return ResidentialUnitKind.STREET_GROUP if street else ResidentialUnitKind.HAMLET


def _structure(rng: random.Random):
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
        new_kind = _unit_kind(ctype)
        for old_index, old_key in enumerate(merged):
            old = old_communes[old_key]
            old.successor = new.code
            old_kind = _unit_kind(old.type)
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
    districts, old_communes, new_communes, old_centre = _structure(rng)
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
            fields = _person(rng, kind=cell.kind, ref=today, place=cell.place)
            cell_members.setdefault(cell.code, []).append(len(persons))
            persons.append(placed(cell, commune_of[cell.code], fields))
    # Members who died or moved away: their memberships end on that day.
    for kind, count, ages in ((EventKind.DEATH, 16, (70, 92)), (EventKind.TRANSFER_OUT, 9, None)):
        for _ in range(max(1, round(count * scale))):
            cell = rng.choice(hamlet_cells)
            left_on = _day_between(rng, D(2017, 1, 1), today - datetime.timedelta(days=30))
            fields = _person(
                rng, kind="hamlet", ref=left_on, place=cell.place, probationary_share=0
            )
            if ages:
                age = rng.randint(*ages)
                fields["birth_date"] = _years_later(left_on, -age) - datetime.timedelta(days=40)
                fields["admitted_on"] = min(fields["admitted_on"], _years_later(left_on, -30))
                fields["ceremony_on"] = fields["admitted_on"] + datetime.timedelta(days=14)
                fields["full_member_on"] = _years_later(fields["admitted_on"], 1)
                fields["occupation"] = "Hưu trí"
            person = placed(cell, commune_of[cell.code], fields, left_on=left_on)
            note = "" if ages else f"Chuyển sinh hoạt đảng chính thức ra ngoài {PROVINCE_PLACE}"
            person.events.append({"kind": kind, "start": left_on, "note": note})
            persons.append(person)
    _assign_numbers(rng, persons)
    unit_names = {u.code: _unit_name(u) for u in old_communes + new_communes}
    _plan_events(rng, persons, today=today, scale=scale, cells=cells, unit_names=unit_names)
    districts[0].cells.append(old_centre)
    plan = DemoPlan(districts, old_communes, new_communes, persons)
    _plan_posts(rng, plan, cell_members, predecessors)
    return plan


def _assign_numbers(rng: random.Random, persons: list[PersonPlan]) -> None:
    """Record numbers in admission order; cards for full members; citizen IDs for most."""
    n = len(persons)
    records = sorted(rng.sample(range(1, 10**6), n))
    cards = rng.sample(range(10**7, 10**8), n)
    serials = rng.sample(range(10**6), n)
    order = sorted(range(n), key=lambda i: (persons[i].fields["admitted_on"], i))
    for number, i in zip(records, order, strict=True):
        f = persons[i].fields
        f["record_number"] = f"{number:06d}{PROVINCE_CODE}"
        f["card_number"] = str(cards[i]) if f["full_member_on"] else None
        if rng.random() < 0.92:
            century = 0 if f["birth_date"].year < 2000 else 2
            sex = 0 if f["gender"] == Gender.MALE else 1
            f["citizen_id"] = (
                f"{CITIZEN_ID_PREFIX}{century + sex}{f['birth_date'].year % 100:02d}"
                f"{serials[i]:06d}"
            )
        else:
            f["citizen_id"] = None


def _plan_events(rng, persons, *, today, scale, cells, unit_names) -> None:
    """Exemptions, suspensions, leaves and disciplines of members still in their cells."""
    active = [i for i, p in enumerate(persons) if not p.events]
    busy: set[int] = set()

    def free(pred) -> list[int]:
        return [i for i in active if i not in busy and pred(persons[i].fields)]

    def age_on(f, day):
        return (day - f["birth_date"]).days // 365

    for i in free(lambda f: age_on(f, today) >= 75 and f["full_member_on"]):
        f = persons[i].fields
        earliest = max(_years_later(f["birth_date"], 72), D(2014, 1, 1))
        if rng.random() < 0.3 and earliest < today - datetime.timedelta(days=60):
            start = _day_between(rng, earliest, today - datetime.timedelta(days=60))
            note = "Tuổi cao, sức yếu, tự nguyện xin miễn"
            persons[i].events.append({"kind": EventKind.EXEMPTION, "start": start, "note": note})
            busy.add(i)
    working_age = free(lambda f: 25 <= age_on(f, today) <= 65 and f["full_member_on"])
    for i in rng.sample(working_age, max(1, round(5 * scale))):
        start = _day_between(rng, D(2019, 1, 1), today - datetime.timedelta(days=200))
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
        start = _day_between(rng, lo, hi)
        end = start + datetime.timedelta(days=days - 1)
        persons[i].events.append({"kind": EventKind.SICK_LEAVE, "start": start, "end": end})
        busy.add(i)
    mothers = free(lambda f: f["gender"] == Gender.FEMALE and 24 <= age_on(f, today) <= 44)
    for i in rng.sample(mothers, max(1, round(len(mothers) * 0.15))):
        f = persons[i].fields
        lo = max(_years_later(f["birth_date"], 22), f["admitted_on"], D(2016, 1, 1))
        hi = min(_years_later(f["birth_date"], 40), today - datetime.timedelta(days=10))
        if lo < hi:
            start = _day_between(rng, lo, hi)
            end = start + datetime.timedelta(days=rng.choice([179, 179, 179, 209]))
            persons[i].events.append(
                {"kind": EventKind.MATERNITY_LEAVE, "start": start, "end": end}
            )
            busy.add(i)
    veterans = [i for i in active if persons[i].fields["admitted_on"] < D(2014, 1, 1)]
    for i in rng.sample(veterans, max(2, round(12 * scale))):
        person = persons[i]
        start = _day_between(rng, D(2016, 1, 1), min(today, D(2025, 11, 30)))
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


def _plan_posts(rng, plan: DemoPlan, cell_members: dict, predecessors: dict) -> None:
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


def _terms(plan: DemoPlan) -> list[tuple[str, int, int]]:
    terms = [(PROVINCE_CODE, 2015, 2020), (PROVINCE_CODE, 2020, 2025), (PROVINCE_CODE, 2025, 2030)]
    for unit in plan.districts + plan.old_communes:
        terms += [(unit.code, 2015, 2020), (unit.code, 2020, 2025)]
    terms += [(unit.code, 2025, 2030) for unit in plan.new_communes]
    return terms


def _org_fields(unit: CommunePlan | CellPlan, orgs: dict) -> dict:
    is_cell = isinstance(unit, CellPlan)
    grassroots = unit.type in (T.GRASSROOTS_CELL, T.COMMUNE, T.WARD, T.TOWNSHIP)
    abbreviation = "CB" if is_cell else {T.PROVINCE: "TU", T.DISTRICT: "HU"}.get(unit.type, "ĐU")
    return {
        "code": unit.code,
        "name": unit.name if is_cell else _unit_name(unit),
        "type": unit.type,
        "is_grassroots": grassroots,
        "established_on": unit.established_on,
        "dissolved_on": unit.dissolved_on,
        "successor": orgs[unit.successor] if unit.successor else None,
        "document_abbreviation": abbreviation,
    }


def _unit_name(unit: CommunePlan) -> str:
    word = {T.DISTRICT: "huyện", T.TOWNSHIP: "thị trấn", T.WARD: "phường"}.get(unit.type, "xã")
    return f"Đảng bộ {word} {unit.name}"


def demo_exists() -> bool:
    """Whether the demo province is in the database (then seeding again does nothing)."""
    return Organization.objects.filter(code=PROVINCE_CODE).exists()


@transaction.atomic
def demo_seed(
    *, today: datetime.date, scale: float = 1.0, log: Callable[[str], None] = lambda _: None
) -> DemoPlan | None:
    """Write the demo province once; None when it is already there (the seed is idempotent)."""
    if demo_exists():
        return None
    plan = demo_plan(today=today, scale=scale)
    orgs: dict[str, Organization] = {}

    def create(unit, parent_code):
        parent = orgs.get(parent_code) if parent_code else None
        orgs[unit.code] = services.organization_create(
            actor=None, parent=parent, audit=False, **_org_fields(unit, orgs)
        )

    province = CommunePlan(PROVINCE_CODE, T.PROVINCE, "", "", OLD_FOUNDED)
    orgs[PROVINCE_CODE] = services.organization_create(
        actor=None,
        parent=None,
        audit=False,
        **_org_fields(province, orgs) | {"name": PROVINCE_NAME},
    )
    nodes = [(unit, PROVINCE_CODE) for unit in plan.new_communes + plan.districts]
    nodes += [(c, unit.code) for unit in plan.new_communes + plan.districts for c in unit.cells]
    nodes += [(old, old.parent) for old in plan.old_communes]
    nodes += [(c, old.code) for old in plan.old_communes for c in old.cells]
    # Parents first, then the units that took over before those they replaced (the link is
    # set on creation), siblings in code order so that treebeard appends and never shifts.
    nodes.sort(key=lambda n: (n[1].count("-"), n[0].successor is not None, n[0].code))
    for unit, parent_code in nodes:
        create(unit, parent_code)
    log(f"{PROVINCE_NAME}: {len(orgs)} tổ chức đảng")

    members = [None] * len(plan.persons)
    for new in plan.new_communes:
        indexes = [i for i, p in enumerate(plan.persons) if p.commune == new.code]
        for i in indexes:
            person = plan.persons[i]
            member = services.member_create(
                actor=None, cell=orgs[person.cell], audit=False, **person.fields
            )
            if person.transfer_to:
                services.member_transfer(
                    actor=None, member=member, cell=orgs[person.transfer_to], on=REFORM_DAY
                )
            for event in sorted(person.events, key=lambda e: e["start"]):
                services.member_event_create(actor=None, member=member, audit=False, **event)
            members[i] = member
        units = [
            ResidentialUnit(
                name=f"{_unit_label(new)} {u}",
                kind=_unit_kind(new.type),
                commune=orgs[new.code],
                cell=orgs[c.code],
            )
            for c in new.cells
            if c.kind == "hamlet"
            for u in c.units
        ]
        units += [
            ResidentialUnit(
                name=f"{_unit_label(new)} {u}", kind=_unit_kind(new.type), commune=orgs[new.code]
            )
            for u in new.gap_units
        ]
        ResidentialUnit.objects.bulk_create(units)
        log(f"  {_unit_name(new)}: {len(new.cells)} chi bộ, {len(indexes)} đảng viên")

    Post.objects.bulk_create(
        Post(
            member=members[i],
            kind=kind,
            title=title,
            organization=orgs[code],
            start=start,
            end=end,
            is_hamlet_head=head,
        )
        for i, kind, title, code, start, end, head in plan.posts
    )
    CellFollower.objects.bulk_create(
        CellFollower(member=members[i], cell=orgs[code], start=start, end=end)
        for i, code, start, end in plan.followers
    )
    Term.objects.bulk_create(
        Term(organization=orgs[code], start_year=start, end_year=end)
        for code, start, end in _terms(plan)
    )
    return plan


def _unit_label(commune: CommunePlan) -> str:
    return "Tổ dân phố" if _unit_kind(commune.type) == ResidentialUnitKind.STREET_GROUP else "Thôn"


def demo_users_ensure() -> list[tuple[DemoUser, Organization | None]]:
    """Create or reset the demo logins and their dated roles (every run: a forgotten password
    or a deleted role is restored). Units missing from the database are skipped."""
    User = get_user_model()
    result = []
    units = Organization.objects.in_bulk([u.unit_code for u in DEMO_USERS], field_name="code")
    for spec in DEMO_USERS:
        unit = units.get(spec.unit_code)
        user, _ = User.objects.get_or_create(username=spec.username)
        user.first_name, user.last_name = spec.first_name, spec.last_name
        if spec.named_after_secretary and unit is not None:
            secretary = Post.objects.filter(organization=unit, title="Bí thư chi bộ").first()
            if secretary is not None:
                family_middle, _, given = secretary.member.full_name.rpartition(" ")
                user.first_name, user.last_name = family_middle, given
        user.is_superuser = user.is_staff = spec.superuser
        user.set_password(DEMO_PASSWORD)
        user.save()
        if unit is not None:
            RoleAssignment.objects.update_or_create(
                user=user,
                organization=unit,
                role=spec.role,
                defaults={"start": spec.start, "end": spec.end},
            )
        result.append((spec, unit))
    return result
