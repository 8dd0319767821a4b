"""Login hardening, production settings, the audit trail of every writing service, and
formula-injection-safe exports."""

import csv
import importlib
import inspect
import io
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from cells import accounts, sessions
from cells.choices import ImportJobStatus, Role
from cells.models import AuditEntry
from partybuild.spreadsheets import csv_bytes, safe_cell, xlsx_append
from tests import factories

BASE_DIR = Path(settings.BASE_DIR)
PASSWORD = "mat-khau-thu-nghiem"


def _login(client, username, password=PASSWORD):
    return client.post(reverse("login"), {"username": username, "password": password})


# --- login -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_login_locked_out_after_repeated_failures(client, settings):
    """After AXES_FAILURE_LIMIT wrong passwords even the right one is refused (django-axes),
    with the Vietnamese lockout page; an administrator's reset lifts the lockout."""
    settings.AXES_FAILURE_LIMIT = 3
    user = factories.UserFactory(username="bi-khoa")
    for _attempt in range(3):
        _login(client, "bi-khoa", "sai-mat-khau")
    response = _login(client, "bi-khoa")
    assert response.status_code == 429
    assert "Tài khoản bị khóa" in response.content.decode()
    assert "_auth_user_id" not in client.session

    accounts.user_password_set(actor=None, user=user, password="Mat-khau-moi-2025")
    accounts.axes_reset(username="bi-khoa")
    response = _login(client, "bi-khoa", "Mat-khau-moi-2025")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


@pytest.mark.django_db
def test_password_hasher_is_argon2id():
    """New passwords are stored with Argon2id at the OWASP cost (19 MiB, t=2, p=1)."""
    user = factories.UserFactory(username="argon")
    assert settings.PASSWORD_HASHERS[0] == "partybuild.hashers.Argon2PasswordHasher"
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert user.check_password(PASSWORD)


def test_session_timeout_settings():
    """Sessions end after at most an hour idle, at most a working day in all, and at
    browser close; the session cookie is HTTP-only."""
    assert 0 < settings.SESSION_IDLE_TIMEOUT <= 60 * 60
    assert settings.SESSION_IDLE_TIMEOUT < settings.SESSION_ABSOLUTE_TIMEOUT <= 12 * 60 * 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
    assert settings.SESSION_COOKIE_HTTPONLY


def test_session_idle_timeout_logs_out(client, province):
    """A session idle longer than SESSION_IDLE_TIMEOUT is logged out at its next request."""
    factories.user_with_role(province.old_commune, Role.SECRETARY, username="ngoi-lau")
    assert _login(client, "ngoi-lau").status_code == 302
    assert client.get(reverse("cells:organization_tree")).status_code == 200
    session = client.session
    session[sessions.ACTIVITY_SESSION_KEY] = int(time.time()) - settings.SESSION_IDLE_TIMEOUT - 5
    session.save()
    response = client.get(reverse("cells:organization_tree"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert "_auth_user_id" not in client.session


def test_totp_required_for_reviewer_with_device(client, province):
    """A reviewer with a confirmed TOTP device reaches nothing after the password alone: every
    page sends them to the code page; a wrong code is refused, the right one opens the app."""
    reviewer = factories.user_with_role(province.district, Role.REVIEWER, username="co-ma")
    device = TOTPDevice.objects.create(user=reviewer, name="app", confirmed=True)
    assert _login(client, "co-ma").status_code == 302
    tree = reverse("cells:organization_tree")
    response = client.get(tree)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:totp_verify"))
    htmx = client.get(tree, headers={"HX-Request": "true"})
    assert htmx.headers["HX-Redirect"].startswith(reverse("accounts:totp_verify"))

    wrong = client.post(reverse("accounts:totp_verify"), {"token": "000000", "next": tree})
    assert wrong.status_code == 200
    assert "Mã không đúng" in wrong.content.decode()
    assert client.get(tree).status_code == 302

    device.refresh_from_db()
    device.throttle_reset()
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    response = client.post(reverse("accounts:totp_verify"), {"token": f"{token:06d}", "next": tree})
    assert response.status_code == 302 and response.url == tree
    assert client.get(tree).status_code == 200


def test_totp_enrolment_shows_inline_qr_and_confirms(client, province):
    """A reviewer enrols: the page shows an inline SVG QR code (no external request) and a
    valid first code turns the device on, audited."""
    reviewer = factories.user_with_role(province.district, Role.REVIEWER)
    client.force_login(reviewer)
    page = client.get(reverse("accounts:totp_enrol")).content.decode()
    assert "<svg" in page and "otpauth" not in page.split("<svg", 1)[0][-200:]
    device = TOTPDevice.objects.get(user=reviewer, confirmed=False)
    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    response = client.post(reverse("accounts:totp_enrol"), {"token": f"{token:06d}"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(action="totp_enable", actor=reviewer).exists()
    assert client.get(reverse("cells:organization_tree")).status_code == 200


# --- production settings ---------------------------------------------------------------------


def test_check_deploy_clean_in_production():
    """`DJANGO_ENV=production manage.py check --deploy` reports no warning at all."""
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": "k" * 20 + "-Zx9!pQ2#vL7@mN4$rT8%wY1^bC6&dF3*hJ5(gK0)sA-" + "q" * 10,
        "ALLOWED_HOSTS": "dangbo.example.vn",
    }
    env.pop("DEBUG", None)
    # The browser tests set this for Playwright's sync API in the same process; a deployment
    # never has it, and check --deploy rightly refuses it.
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_content_security_policy_allows_only_own_assets(client, province):
    """Every page carries a CSP with no inline script or style and no other origin, and the
    pages of the stable screens contain no inline script, style element or style attribute."""
    user = factories.user_with_role(province.old_commune, Role.SECRETARY)
    member = factories.member(province.other_cell, "Phạm Văn Cường")
    client.force_login(user)
    for url in [
        reverse("cells:organization_tree"),
        reverse("cells:organization_detail", args=[province.old_commune.pk]),
        reverse("cells:member_detail", args=[member.pk]),
        reverse("cells:importjob_list"),
        reverse("accounts:password_change"),
    ]:
        response = client.get(url)
        policy = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert "http" not in policy
        body = response.content.decode()
        assert "style=" not in body, url
        assert "<style" not in body, url
        assert "<script>" not in body and "<script " not in body.replace("<script src=", ""), url


# --- the audit trail of every service that writes --------------------------------------------

SERVICE_MODULES = [
    "cells.services",
    "cells.jobs.services",
    "cells.accounts",
    "assessments.services.entry",
    "assessments.services.rounds",
    "assessments.year_services",
    "assessments.indicators.targets",
]


def writing_services() -> set[str]:
    """Every public transactional function (@transaction.atomic) of the service modules."""
    found = set()
    for module_name in SERVICE_MODULES:
        module = importlib.import_module(module_name)
        for name, fn in vars(module).items():
            if (
                inspect.isfunction(fn)
                and fn.__module__ == module_name
                and not name.startswith("_")
                and hasattr(fn, "__wrapped__")
            ):
                found.add(f"{module_name}.{name}")
    return found


def _service_calls(province):
    """(service, call, expected action): each call performs one write as a permitted user."""
    import datetime

    from assessments import services as rs
    from assessments import year_services
    from assessments.indicators import targets
    from assessments.models import Indicator
    from assessments.services import RowInput
    from cells import jobs
    from cells import services as cs

    p = province
    secretary = factories.user_with_role(p.old_commune, Role.SECRETARY, username="s1")
    reviewer = factories.user_with_role(p.district, Role.REVIEWER, username="r1")
    admin = factories.user_with_role(p.province, Role.ADMIN, username="a1")
    cell_secretary = factories.user_with_role(p.other_cell, Role.SECRETARY, username="s2")
    superuser = get_user_model().objects.create(username="su", is_superuser=True)
    state = {}
    member = factories.member(p.other_cell, "Đỗ Văn Em", admitted_on=datetime.date(2000, 1, 1))
    second = factories.member(p.other_cell, "Đỗ Thị Gấm", admitted_on=datetime.date(2000, 1, 1))
    indicator = Indicator.objects.create(
        code="t-audit",
        name="t",
        group="g",
        formula="f",
        unit="percent",
        better="higher",
        source_number="1",
        source_issuer="x",
    )

    def rows(level):
        # The member created above belongs to the commune's cell since its founding.
        return [RowInput(member_id=m.pk, level=level) for m in (member, second, state["member"])]

    def fresh(r):
        r.refresh_from_db()
        return r

    def round_():
        return state["round"]

    def open_round():
        state["round"] = rs.round_get_or_create(
            actor=secretary, organization=p.old_commune, year=2021
        )

    def upload():
        f = SimpleUploadedFile("dv.csv", b"so_ly_lich,ho_ten\n", "text/csv")
        state["job"] = jobs.importjob_create(
            actor=secretary, kind="members", organization=p.old_commune, uploaded_file=f
        )

    def confirm():
        state["job"].status = ImportJobStatus.READY
        state["job"].save(update_fields=["status"])
        jobs.importjob_confirm(actor=secretary, job=state["job"])

    def retry():
        state["job"].status = ImportJobStatus.FAILED
        state["job"].save(update_fields=["status"])
        jobs.importjob_retry(actor=secretary, job=state["job"])

    def confirm_rows():
        state["job"].status = ImportJobStatus.INVALID
        state["job"].errors = [{"row": 2, "column": "so_ly_lich", "message": "…", "confirm": "X"}]
        state["job"].save(update_fields=["status", "errors"])
        jobs.importjob_confirm_rows(actor=secretary, job=state["job"], records=["X"])

    def enrol():
        device = accounts.totp_device_pending(user=reviewer)
        token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        assert accounts.totp_device_confirm(actor=reviewer, device=device, token=f"{token:06d}")

    return [
        (
            "cells.services.organization_create",
            lambda: state.setdefault(
                "cell",
                cs.organization_create(
                    actor=admin,
                    parent=p.old_commune,
                    code="BG-PA-AH-C09",
                    name="Chi bộ ấp 9",
                    type="cell",
                ),
            ),
            "organization_create",
        ),
        (
            "cells.services.organization_update",
            lambda: cs.organization_update(
                actor=secretary, organization=state["cell"], name="Chi bộ ấp Chín"
            ),
            "organization_update",
        ),
        (
            "cells.services.member_create",
            lambda: state.setdefault(
                "member",
                cs.member_create(
                    actor=secretary,
                    cell=p.other_cell,
                    full_name="Vũ Văn Hải",
                    gender="male",
                    record_number="000777BG",
                ),
            ),
            "member_create",
        ),
        (
            "cells.services.members_bulk_create",
            # A 2025 cell, outside the 2021 round that later calls rate in full.
            lambda: cs.members_bulk_create(
                actor=admin,
                rows=[
                    cs.NewMember(
                        cell=p.new_cell,
                        fields={
                            "full_name": "Đỗ Thị Hoa",
                            "gender": "female",
                            "record_number": "000778BG",
                        },
                    )
                ],
            ),
            "member_create",
        ),
        (
            "cells.services.member_update",
            lambda: cs.member_update(
                actor=secretary, member=state["member"], occupation="Nông dân"
            ),
            "member_update",
        ),
        (
            "cells.services.member_transfer",
            lambda: cs.member_transfer(
                actor=secretary,
                member=state["member"],
                cell=state["cell"],
                on=datetime.date.today() + datetime.timedelta(days=1),
            ),
            "member_transfer",
        ),
        (
            "cells.services.member_event_create",
            lambda: cs.member_event_create(
                actor=secretary,
                member=member,
                kind="sick_leave",
                start=datetime.date(2024, 1, 1),
                end=datetime.date(2024, 1, 10),
            ),
            "member_event_create",
        ),
        ("assessments.services.entry.round_get_or_create", open_round, "round_create"),
        (
            "assessments.services.entry.member_ratings_save",
            lambda: rs.member_ratings_save(
                actor=secretary,
                round=fresh(round_()),
                rows=rows("good"),
                round_version=fresh(round_()).version,
            ),
            "rating_save",
        ),
        (
            "assessments.services.entry.organization_rating_save",
            lambda: rs.organization_rating_save(
                actor=secretary, round=fresh(round_()), organization=p.other_cell, level="good"
            ),
            "organization_rating_save",
        ),
        (
            "assessments.services.rounds.round_submit",
            lambda: rs.round_submit(
                actor=secretary, round=fresh(round_()), round_version=fresh(round_()).version
            ),
            "round_submit",
        ),
        (
            "assessments.services.rounds.round_return",
            lambda: rs.round_return(actor=reviewer, round=fresh(round_()), comment="Sửa lại"),
            "round_return",
        ),
        (
            "assessments.services.rounds.round_decide",
            lambda: (
                rs.round_submit(
                    actor=secretary, round=fresh(round_()), round_version=fresh(round_()).version
                ),
                rs.round_decide(actor=reviewer, round=fresh(round_())),
            ),
            "round_decide",
        ),
        (
            "assessments.services.rounds.round_publish",
            lambda: rs.round_publish(actor=reviewer, round=fresh(round_())),
            "round_publish",
        ),
        (
            "assessments.services.rounds.round_reopen",
            lambda: rs.round_reopen(actor=reviewer, round=fresh(round_()), reason="Có sai sót"),
            "round_reopen",
        ),
        (
            "assessments.services.rounds.rounds_decide",
            lambda: (
                rs.round_submit(
                    actor=secretary, round=fresh(round_()), round_version=fresh(round_()).version
                ),
                rs.rounds_decide(actor=reviewer, rounds=[fresh(round_())]),
            ),
            "round_decide",
        ),
        (
            "assessments.services.rounds.round_decide_recorded",
            lambda: (
                rs.round_reopen(actor=reviewer, round=fresh(round_()), reason="Nhập lịch sử"),
                rs.round_decide_recorded(
                    actor=reviewer,
                    round=fresh(round_()),
                    decision=rs.DecisionReference("07-QĐ/HU", datetime.date(2021, 1, 20)),
                ),
            ),
            "round_decide_recorded",
        ),
        (
            "assessments.year_services.rating_year_update",
            lambda: year_services.rating_year_update(
                actor=superuser, year=2024, entry_deadline=datetime.date(2024, 12, 15)
            ),
            "rating_year_update",
        ),
        (
            "assessments.indicators.targets.indicator_target_save",
            lambda: targets.indicator_target_save(
                actor=admin,
                organization=p.province,
                data={"indicator": indicator, "target_year": 2030, "target_value": Decimal("90")},
            ),
            "indicator_target_save",
        ),
        (
            "assessments.indicators.targets.indicator_target_cascade",
            lambda: targets.indicator_target_cascade(
                actor=admin,
                target=targets.indicator_target_save(
                    actor=admin,
                    organization=p.province,
                    data={
                        "indicator": indicator,
                        "target_year": 2031,
                        "target_value": Decimal("90"),
                    },
                ),
                children=[p.district],
                weights=[1],
            ),
            "indicator_target_cascade",
        ),
        (
            "assessments.indicators.targets.target_explanation_save",
            lambda: targets.target_explanation_save(
                actor=admin, organization=p.province, indicator=indicator, year=2024, text="Lý do"
            ),
            "target_explanation_save",
        ),
        ("cells.jobs.services.importjob_create", upload, "import.upload"),
        ("cells.jobs.services.importjob_confirm", confirm, "import.confirm"),
        ("cells.jobs.services.importjob_retry", retry, "import.retry"),
        ("cells.jobs.services.importjob_confirm_rows", confirm_rows, "import.confirm_rows"),
        (
            "cells.accounts.user_password_set",
            lambda: accounts.user_password_set(
                actor=admin, user=cell_secretary, password="Mat-khau-moi-2025"
            ),
            "password_reset",
        ),
        ("cells.accounts.totp_device_confirm", enrol, "totp_enable"),
        (
            "cells.accounts.on_behalf_start",
            lambda: accounts.on_behalf_start(actor=secretary, session={}, other=cell_secretary),
            "on_behalf_start",
        ),
    ]


def test_every_writing_service_writes_an_audit_row(province):
    """Each public @transaction.atomic service (found by introspection, so a new one must be
    added here) writes at least one audit row of its action, naming the acting user."""
    calls = _service_calls(province)
    assert {name for name, _call, _action in calls} == writing_services()
    for name, call, action in calls:
        before = AuditEntry.objects.count()
        call()
        new = AuditEntry.objects.order_by("-id")[: AuditEntry.objects.count() - before]
        assert any(e.action == action and e.actor_id for e in new), f"{name}: no {action} row"


def test_audit_rows_record_address_and_on_behalf_of(client, province):
    """During "on behalf of" entry a change records both people and the client address."""
    staff = factories.user_with_role(province.old_commune, Role.SECRETARY, username="xa")
    secretary = factories.user_with_role(province.other_cell, Role.SECRETARY, username="cb")
    member = factories.member(province.other_cell, "Ngô Văn Khoa")
    client.force_login(staff)
    response = client.post(reverse("accounts:on_behalf"), {"user": secretary.pk})
    assert response.status_code == 302
    page = client.get(reverse("cells:organization_tree")).content.decode()
    assert "Bạn đang nhập dữ liệu thay cho cb" in page
    client.post(
        reverse("cells:memberevent_create", args=[member.pk]),
        {"kind": "sick_leave", "start": "01/02/2024"},
        REMOTE_ADDR="10.1.2.3",
    )
    entry = AuditEntry.objects.get(action="member_event_create")
    assert entry.actor == staff and entry.on_behalf_of == secretary
    assert entry.remote_addr == "10.1.2.3"
    client.post(reverse("accounts:on_behalf"), {"stop": "1"})
    assert client.get(reverse("cells:organization_tree")).content.decode().count("thay cho cb") == 0


def test_history_tab_masks_citizen_id_for_readers(client, province):
    """The member page's history lists the changes; a reviewer (who may not edit) sees the
    citizen ID masked there too, the unit's secretary sees it whole."""
    from cells import services

    secretary = factories.user_with_role(province.old_commune, Role.SECRETARY)
    reviewer = factories.user_with_role(province.district, Role.REVIEWER)
    member = factories.member(province.other_cell, "Lý Thị Hoa")
    services.member_update(actor=secretary, member=member, citizen_id="001234567890")
    client.force_login(reviewer)
    page = client.get(reverse("cells:member_detail", args=[member.pk])).content.decode()
    assert "Lịch sử thay đổi" in page
    assert "********7890" in page and "001234567890" not in page
    client.force_login(secretary)
    page = client.get(reverse("cells:member_detail", args=[member.pk])).content.decode()
    assert "001234567890" in page


def test_audit_search_is_scoped_to_the_admin_subtree(client, province):
    """An administrator of the province finds its rows, never another province's."""
    from cells import services

    admin = factories.user_with_role(province.province, Role.ADMIN)
    services.organization_update(actor=None, organization=province.other_cell, name="Chi bộ ấp Hai")
    services.organization_update(actor=None, organization=province.foreign_cell, name="Chi bộ Mới")
    client.force_login(admin)
    page = client.get(reverse("cells:auditentry_list"), {"hanh_dong": "organization_update"})
    body = page.content.decode()
    assert "Chi bộ ấp Hai" in body and "Chi bộ Mới" not in body
    narrowed = client.get(reverse("cells:auditentry_list"), {"don_vi": "HG"})
    assert "Không có đơn vị" in narrowed.content.decode()


# --- formula injection -----------------------------------------------------------------------

DANGEROUS = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "＝1+1"]


def test_safe_cell_neutralises_formulas_in_csv():
    """A CSV export never starts a cell with a formula character; numbers stay numbers."""
    data = csv_bytes([[text, 12, Decimal("1.5")] for text in DANGEROUS], header=["ten", "a", "b"])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    for row, text in zip(rows[1:], DANGEROUS, strict=True):
        assert row[0] == "'" + text
        assert row[1:] == ["12", "1.5"]
    assert safe_cell("Nguyễn Văn An") == "Nguyễn Văn An"
    assert safe_cell(-3) == -3


def test_safe_cell_neutralises_formulas_in_xlsx():
    """An XLSX export stores such text as a plain string, never as a formula."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for text in DANGEROUS:
        xlsx_append(sheet, [text, 7])
    buffer = io.BytesIO()
    workbook.save(buffer)
    reread = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    for row in reread.active.iter_rows():
        assert row[0].data_type == "s" and not str(row[0].value).startswith(("=", "+", "-", "@"))
        assert row[1].value == 7 and row[1].data_type == "n"


# --- uploads ---------------------------------------------------------------------------------


def _xlsx_with_doctype(doctype: bytes, reference: bytes) -> bytes:
    import re
    import zipfile

    workbook = openpyxl.Workbook()
    workbook.active.append(["ho_ten"])
    plain = io.BytesIO()
    workbook.save(plain)
    source, out = zipfile.ZipFile(plain), io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = doctype + re.sub(rb"^<\?xml[^>]*\?>", b"", data).replace(
                    b"</sheetData>",
                    b'<row r="2"><c r="A2" t="inlineStr"><is><t>'
                    + reference
                    + b"</t></is></c></row></sheetData>",
                )
            target.writestr(info, data)
    return out.getvalue()


LAUGHS = b"".join(
    b'<!ENTITY %s "%s">' % (bytes([97 + i]), (b"&%s;" % bytes([96 + i])) * 10 if i else b"a" * 10)
    for i in range(9)
)


@pytest.mark.parametrize(
    "doctype, reference",
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
            b"&x;",
        ),
        (b'<?xml version="1.0"?><!DOCTYPE worksheet [' + LAUGHS + b"]>", b"&i;"),
    ],
    ids=["external-entity", "billion-laughs"],
)
def test_xlsx_entity_attacks_are_refused(doctype, reference):
    """An XLSX whose sheet declares an external entity (XXE) or an entity bomb is refused as
    unreadable: expat neither fetches the file nor expands the bomb (no defusedxml needed)."""
    from cells.imports import ImportFileError, read_rows

    with pytest.raises(ImportFileError) as caught:
        read_rows(file=io.BytesIO(_xlsx_with_doctype(doctype, reference)), filename="tep.xlsx")
    assert "XLSX" in caught.value.message


def test_upload_limits_are_set():
    """Request bodies and uploads are capped; imports accept .csv and .xlsx only (no .xlsm)."""
    from cells import jobs

    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 10 * 1024 * 1024
    assert settings.IMPORT_MAX_BYTES <= 50 * 1024 * 1024
    assert jobs.ALLOWED_EXTENSIONS == (".csv", ".xlsx")
