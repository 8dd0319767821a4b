"""Browser tests: Debian's Chromium (headless, through Playwright) against pytest-django's
`live_server`, with a small realistic commune, axe-core checks and screenshots for the guide.

The browser is never downloaded (`playwright install` is not used): `make test` installs the
`chromium` Debian package, and without it these tests fail with a message saying so.
"""

import datetime
import io
import os
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from assessments import services as rating_services
from assessments.indicators.catalogue import ensure_indicator_catalogue
from assessments.services import RowInput
from assessments.year_services import current_rating_year
from cells.choices import EventKind, OrganizationType, Role
from tests import factories

# The worker fixtures of the integration tests, reused for the journeys that run Celery tasks.
from tests.integration.conftest import broker, celery_worker_process  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BASE_DIR = Path(__file__).resolve().parents[2]
AXE = BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
AXE_URL = "/__e2e__/axe.min.js"  # served by the browser context, never by the app
SCREENSHOTS = BASE_DIR / "docs" / "screenshots"
PASSWORD = "mat-khau-thu-nghiem"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 740}
# A page "fits" a phone when its body does not scroll sideways (a scrollbar's width of slack).
SCROLL_TOLERANCE = 2
# Long enough for a slow CI machine, short enough that a broken page fails quickly.
TIMEOUT_MS = 15_000
AXE_BLOCKING_IMPACTS = ("serious", "critical")


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "e2e: browser journey (Chromium headless through Playwright, live server)"
    )


def pytest_terminal_summary(terminalreporter):
    """One line on what axe-core checked, and the minor findings that do not fail a test."""
    if not AXE_RESULTS:
        return
    minor = sorted({f"{v['id']} ({v['impact']})" for found in AXE_RESULTS.values() for v in found})
    terminalreporter.write_line(
        f"axe-core: {len(AXE_RESULTS)} screens checked; "
        + (f"findings below 'serious': {', '.join(minor)}" if minor else "no violation")
    )


# --- the browser ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def playwright_driver():
    """Playwright's driver for the whole session.

    Its sync API runs an event loop in the test thread, which makes Django refuse ORM calls
    from that thread; the tests' own ORM calls (building data, reading results) are
    synchronous and safe, so the check is lifted while the driver runs.
    """
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: the browser tests drive Debian's Chromium. "
            "Install it with `make system-deps MODE=test` (or `apt-get install chromium`); "
            "`make test` does this. Never use `playwright install`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    driver = sync_playwright().start()
    try:
        yield driver
    finally:
        driver.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


def _new_page(browser, live_server, viewport):
    context = browser.new_context(
        base_url=live_server.url,
        viewport=viewport,
        locale="vi-VN",
        timezone_id="Asia/Ho_Chi_Minh",
        accept_downloads=True,
        # No smooth scrolling or animated stripes: screenshots show the screen at rest.
        reduced_motion="reduce",
    )
    context.set_default_timeout(TIMEOUT_MS)
    # axe-core is served from the site's own origin, so the app's Content-Security-Policy
    # (scripts from 'self' only) stays on and its violations are caught like any error.
    context.route(
        f"{live_server.url}{AXE_URL}",
        lambda route: route.fulfill(path=AXE, content_type="application/javascript"),
    )
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda exc: page.problems.append(f"JavaScript error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            page.problems.append(f"{page.url}: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    return context, page


def _close(context, page):
    problems = list(page.problems)
    context.close()
    assert not problems, "The browser reported:\n" + "\n".join(problems)


@pytest.fixture
def page(browser, live_server):
    """A desktop-sized tab on the live server (1280 × 800); uncaught JavaScript errors and
    Content-Security-Policy violations fail the test."""
    context, page = _new_page(browser, live_server, DESKTOP)
    yield page
    _close(context, page)


@pytest.fixture
def phone_page(browser, live_server):
    """A phone-sized tab (375 px wide): the secretary's screen in a hamlet."""
    context, page = _new_page(browser, live_server, PHONE)
    yield page
    _close(context, page)


# --- helpers used by the journeys -------------------------------------------------------------
def login(page, user, *, password: str = PASSWORD, screenshot: str | None = None) -> None:
    """Log in through the login form, as a person would."""
    page.goto("/dang-nhap/")
    page.get_by_label("Tên đăng nhập").fill(user.username)
    page.get_by_label("Mật khẩu").fill(password)
    if screenshot:
        shot(page, screenshot)
    follow(page.get_by_role("button", name="Đăng nhập"))
    assert "/dang-nhap/" not in page.url, page.locator("main").inner_text()


def follow(locator) -> None:
    """Click a link or a submit button and wait for the page it leads to."""
    with locator.page.expect_navigation():
        locator.click()


def logout(page) -> None:
    page.context.clear_cookies()


def shot(page, name: str) -> Path:
    """A viewport screenshot into docs/screenshots/<name>.png, reduced to a 256-colour PNG
    (screens are flat colours: a quarter of the size, no visible loss)."""
    from PIL import Image

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    raw = page.screenshot(animations="disabled", caret="hide")
    image = Image.open(io.BytesIO(raw)).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        path, optimize=True
    )
    return path


AXE_RESULTS: dict[str, list[dict]] = {}


def axe_check(page, name: str) -> list[dict]:
    """Run axe-core on the page; fail on serious or critical violations.

    Returns every violation found (minor and moderate included) for the record.
    """
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `npm ci` (`make test` does).")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa',
                                                  'best-practice']},
                resultTypes: ['violations'],
            });
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' +
                                                  (n.failureSummary || '').slice(0, 300)),
            }));
        }"""
    )
    AXE_RESULTS[name] = result
    blocking = [v for v in result if v["impact"] in AXE_BLOCKING_IMPACTS]
    assert not blocking, f"axe-core on {name} ({page.url}): " + "\n".join(
        f"[{v['impact']}] {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"])
        for v in blocking
    )
    return result


def assert_fits(page, what: str) -> None:
    width = page.viewport_size["width"]
    scroll = page.evaluate("() => document.scrollingElement.scrollWidth")
    if scroll > width + SCROLL_TOLERANCE:
        culprits = page.evaluate(
            """(w) => Array.from(document.querySelectorAll('body *'))
                .filter(e => e.getBoundingClientRect().right > w + 2
                             && !e.closest('.table-responsive, .table-responsive-md'))
                .slice(0, 8)
                .map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                          (e.className && typeof e.className === 'string'
                           ? '.' + e.className.trim().split(/\\s+/).join('.') : '') +
                          ' → ' + Math.round(e.getBoundingClientRect().right))""",
            width,
        )
        pytest.fail(f"{what}: the page is {scroll} px wide on a {width} px screen: {culprits}")


def main_text(page) -> str:
    return re.sub(r"\s+", " ", page.locator("main").inner_text())


# --- the data ---------------------------------------------------------------------------------
CELL_A_MEMBERS = [
    # (full name, gender)
    ("Nguyễn Văn Bình", "male"),
    ("Trần Thị Lan", "female"),
    ("Lê Văn Hùng", "male"),
    ("Phạm Thị Mai", "female"),
    ("Hoàng Văn Nam", "male"),
    ("Võ Thị Hồng", "female"),
    ("Đặng Văn Phúc", "male"),
    ("Bùi Thị Thu", "female"),
    ("Đỗ Văn Tâm", "male"),  # exempt from Party work and meetings: not rated
]
CELL_B_MEMBERS = [
    ("Ngô Văn Sơn", "male"),
    ("Dương Thị Hạnh", "female"),
    ("Lý Văn Khoa", "male"),
    ("Huỳnh Thị Ngọc", "female"),
    ("Phan Văn Lộc", "male"),
    ("Vũ Thị Yến", "female"),
    ("Trịnh Văn Quang", "male"),
]
EXEMPT_MEMBER = "Đỗ Văn Tâm"

# The proposals of Chi bộ ấp Tân Hòa: 1 HTXSNV for 6 HTTNV (20% of 6 = 1.2 → at most 1).
PLAN_A = {
    "Nguyễn Văn Bình": ("excellent", 95),
    "Trần Thị Lan": ("good", 88),
    "Lê Văn Hùng": ("good", 85),
    "Phạm Thị Mai": ("good", 82),
    "Hoàng Văn Nam": ("good", 80),
    "Võ Thị Hồng": ("good", 78),
    "Đặng Văn Phúc": ("good", 76),
    "Bùi Thị Thu": ("complete", 65),
}
# Chi bộ ấp Phú Lợi: 1 HTXSNV for 5 HTTNV, 1 HTNV.
PLAN_B = {
    "Ngô Văn Sơn": ("excellent", 93),
    "Dương Thị Hạnh": ("good", 86),
    "Lý Văn Khoa": ("good", 84),
    "Huỳnh Thị Ngọc": ("good", 81),
    "Phan Văn Lộc": ("good", 79),
    "Vũ Thị Yến": ("good", 75),
    "Trịnh Văn Quang": ("complete", 62),
}


@dataclass
class Commune:
    """The e2e dataset: a province, a 2025 commune and its two grassroots cells."""

    year: int
    province: object
    commune: object
    cell_a: object
    cell_b: object
    members_a: dict = field(default_factory=dict)  # full name → Member
    members_b: dict = field(default_factory=dict)
    secretary: object = None  # secretary of Chi bộ ấp Tân Hòa
    secretary_b: object = None  # secretary of Chi bộ ấp Phú Lợi
    reviewer: object = None  # standing committee of Đảng ủy xã An Hòa (decides both cells)
    reports: object = None  # reports staff of the commune


def _user(username: str, full_name: str, organization, role: str):
    return factories.user_with_role(organization, role, username=username, first_name=full_name)


@pytest.fixture
def commune(transactional_db) -> Commune:
    """Đảng bộ tỉnh Bình Giang → Đảng bộ xã An Hòa (since the 2025 reform, the directly
    superior committee of the cells in it) → two grassroots cells of 9 and 7 members, one
    member exempt; a secretary per cell, a reviewer and reports staff on the commune."""
    d = datetime.date
    t = OrganizationType
    province = factories.org(
        None, "BG", "Đảng bộ tỉnh Bình Giang", t.PROVINCE, established_on=d(1992, 1, 1)
    )
    commune = factories.org(
        province,
        "BG-AH",
        "Đảng bộ xã An Hòa",
        t.COMMUNE,
        established_on=d(2025, 7, 1),
        document_abbreviation="ĐU",
    )
    cells = {}
    for code, name in (("BG-AH-TH", "Chi bộ ấp Tân Hòa"), ("BG-AH-PL", "Chi bộ ấp Phú Lợi")):
        cells[code] = factories.org(
            commune,
            code,
            name,
            t.GRASSROOTS_CELL,
            is_grassroots=True,
            established_on=d(2025, 7, 1),
            document_abbreviation="CB",
        )
    # Transactional tests empty the database after each test, the migration's indicator
    # catalogue included: put it back (with the demo targets) for the dashboard.
    ensure_indicator_catalogue(targets_for=province)
    for node in (commune, *cells.values()):
        # Siblings are kept in name order: adding one can move another's tree path.
        node.refresh_from_db()
    data = Commune(
        year=current_rating_year(),
        province=province,
        commune=commune,
        cell_a=cells["BG-AH-TH"],
        cell_b=cells["BG-AH-PL"],
    )
    for cell, names, into in (
        (data.cell_a, CELL_A_MEMBERS, data.members_a),
        (data.cell_b, CELL_B_MEMBERS, data.members_b),
    ):
        for number, (name, gender) in enumerate(names):
            into[name] = factories.member(
                cell,
                name,
                gender=gender,
                birth_date=d(1950 + 2 * number, 3, 1 + number),
                admitted_on=d(1985 + number, 5, 19),
                full_member_on=d(1986 + number, 5, 19),
            )
    factories.member_event(
        data.members_a[EXEMPT_MEMBER], EventKind.EXEMPTION, d(data.year - 1, 1, 1)
    )
    data.secretary = _user("bithu.tanhoa", "Nguyễn Thị Hoa", data.cell_a, Role.SECRETARY)
    data.secretary_b = _user("bithu.phuloi", "Trần Văn Lợi", data.cell_b, Role.SECRETARY)
    data.reviewer = _user("thuongvu.anhoa", "Lê Minh Đức", commune, Role.REVIEWER)
    data.reports = _user("baocao.anhoa", "Phạm Thu Trang", commune, Role.REPORTS)
    return data


def rate(cell, members: dict, plan: dict, *, year: int, actor, submit: bool = True):
    """Save `plan` (name → (level, points); members outside it not rated, exempt) as the
    cell's proposals by `actor` and send them for review, as in an earlier session."""
    round_ = rating_services.round_get_or_create(actor=actor, organization=cell, year=year)
    rows = []
    for name, member in members.items():
        if name in plan:
            level, points = plan[name]
            rows.append(RowInput(member_id=member.pk, level=level, points=Decimal(points)))
        else:
            rows.append(RowInput(member_id=member.pk, level="", not_rated_reason="exempt"))
    round_.refresh_from_db()
    rating_services.member_ratings_save(
        actor=actor, round=round_, rows=rows, round_version=round_.version
    )
    if submit:
        round_.refresh_from_db()
        rating_services.round_submit(actor=actor, round=round_, round_version=round_.version)
    round_.refresh_from_db()
    return round_
