"""The demo province as data: its codes and dates, the tree it is built on, the name and
people tables members are drawn from, the plan's dataclasses and the demo logins."""

import datetime
from dataclasses import dataclass, field

from cells.choices import OrganizationType, Role

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
    # The đảng ủy xã An Lạc's standing committee: it decides its chi bộ trực thuộc (HD 43 §3).
    DemoUser("danguy.anlac", "Vũ Quang", "Huy", Role.REVIEWER, "SH-ALA", D(2025, 7, 1)),
    DemoUser(
        "chibo.anlac", "Phạm Đức", "Thắng", Role.SECRETARY, "SH-ALA-02", named_after_secretary=True
    ),
    DemoUser("baocao.tinh", "Đỗ Ngọc", "Lan", Role.REPORTS, PROVINCE_CODE),
    DemoUser(
        "thamdinh.yenhoa", "Hoàng Minh", "Tuấn", Role.REVIEWER, "SH-YH", D(2020, 7, 1), LAST_OLD_DAY
    ),
]
