"""The deciding committee's screens of the 2025– regime (issue #14): peer groups (rule, hand
members, who falls in each and the counts), the 25% ceiling decision, the province's criteria
items and a member's score sheet entered item by item. Through the test client on PostgreSQL:
scoped (another unit's object is a 404), writes audited, irreversible steps confirmed."""

from decimal import Decimal

import pytest
from django.urls import reverse

from assessments import regime_services, regime_settings
from assessments.choices import ScoreStage
from assessments.models import (
    PeerGroup,
    PeerGroupAssignment,
    PointsItem,
    QuotaCeilingDecision,
    ScoreSheet,
)
from assessments.services import RowInput, member_ratings_save
from cells.choices import PostKind, Role
from cells.models import AuditEntry, Post
from tests import factories

from .conftest import open_round

pytestmark = pytest.mark.django_db

YEAR = 2025


@pytest.fixture
def level(province):
    """The 2025 commune (deciding level of its grassroots cell) with three members: the cell's
    secretary (post Bí thư), a 2B member and one with nothing recorded; its reviewer, its
    secretary and another province's reviewer."""
    p = province
    p.bi_thu = factories.member(p.new_cell, "Trần Văn Một", record_number="700001BG")
    p.hai = factories.member(p.new_cell, "Lê Thị Hai", record_number="700002BG")
    p.ba = factories.member(p.new_cell, "Phạm Văn Ba", record_number="700003BG")
    p.foreign_member = factories.member(p.foreign_cell, "Lò Văn Páo", record_number="700009HG")
    Post.objects.create(
        member=p.bi_thu, organization=p.new_cell, kind=PostKind.PARTY, title="Bí thư"
    )
    regime_services.membercategory_set(actor=None, member=p.hai, year=YEAR, category="non_leader")
    p.reviewer = factories.user_with_role(p.new_commune, Role.REVIEWER)
    p.secretary = factories.user_with_role(p.new_commune, Role.SECRETARY)
    p.province_reviewer = factories.user_with_role(p.province, Role.REVIEWER)
    p.foreign_reviewer = factories.user_with_role(p.other_province, Role.REVIEWER)
    return p


def _list_url(org, year=YEAR):
    return reverse("assessments:peergroup_list", kwargs={"org_pk": org.pk, "year": year})


def _group(level, **fields):
    values = {"code": "BT", "name": "Bí thư chi bộ", "rule_posts": "Bí thư", "order": 1}
    values.update(fields)
    return regime_settings.peergroup_save(actor=None, owner=level.new_commune, year=YEAR, **values)


# --- peer groups ------------------------------------------------------------------------------
def test_peer_group_created_on_screen_with_rule_counts_and_audit(client, level):
    """The reviewer creates a group by post; the secretary (Bí thư) falls in it by rule, the
    others stay per grassroots organization; the counts show the proposals."""
    round_ = open_round(level.new_cell, YEAR)
    member_ratings_save(
        actor=None,
        round=round_,
        rows=[
            RowInput(member_id=level.bi_thu.pk, level="good", points=Decimal(80)),
            RowInput(member_id=level.hai.pk, level="good", points=Decimal(75)),
        ],
        round_version=round_.version,
    )
    client.force_login(level.reviewer)
    response = client.post(
        _list_url(level.new_commune),
        {"code": "BT", "name": "Bí thư chi bộ", "rule_posts": "Bí thư", "order": "1"},
    )
    assert response.status_code == 302
    group = PeerGroup.objects.get(owner=level.new_commune, year=YEAR)
    entry = AuditEntry.objects.get(action="peergroup_create")
    assert entry.actor == level.reviewer and entry.changes["code"] == [None, "BT"]
    page = client.get(_list_url(level.new_commune)).content.decode()
    assert "Bí thư chi bộ" in page and "Không thuộc nhóm nào" in page
    detail = client.get(
        reverse(
            "assessments:peergroup_detail",
            kwargs={"org_pk": level.new_commune.pk, "year": YEAR, "pk": group.pk},
        )
    ).content.decode()
    assert "Trần Văn Một" in detail and "Theo quy tắc: chức vụ Bí thư" in detail
    assert "Lê Thị Hai" not in detail


def test_peer_group_list_lines_count_each_group(level):
    from assessments import regime_overview, schemes

    _group(level)
    _group(
        level, code="2B", name="Đảng viên 2B", rule_posts="", rule_category="non_leader", order=2
    )
    lines, total = regime_overview.peer_group_lines(
        owner=level.new_commune, year=YEAR, scheme=schemes.scheme_for_year(YEAR)
    )
    assert total == 3
    by = {ln.group.code if ln.group else None: [m.member for m in ln.members] for ln in lines}
    assert by == {"BT": [level.bi_thu], "2B": [level.hai], None: [level.ba]}


def test_peer_group_hand_member_add_remove_and_no_leak(client, level):
    group = _group(level)
    url = reverse(
        "assessments:peergroup_detail",
        kwargs={"org_pk": level.new_commune.pk, "year": YEAR, "pk": group.pk},
    )
    client.force_login(level.reviewer)
    client.post(url, {"action": "add", "record_number": "700003bg"})
    assert PeerGroupAssignment.objects.filter(group=group, member=level.ba).exists()
    assert AuditEntry.objects.filter(action="peergroup_member_add").count() == 1
    page = client.get(url).content.decode()
    assert "Phạm Văn Ba" in page and "Đưa vào nhóm trực tiếp" in page
    # Another province's record number: the same message as an unknown one.
    response = client.post(url, {"action": "add", "record_number": "700009HG"}, follow=True)
    assert "Không có đảng viên số lý lịch “700009HG”" in response.content.decode()
    assert "Lò Văn Páo" not in response.content.decode()
    client.post(url, {"action": "remove", "member": str(level.ba.pk)})
    assert not PeerGroupAssignment.objects.filter(group=group).exists()
    assert AuditEntry.objects.filter(action="peergroup_member_remove").count() == 1


def test_peer_group_delete_confirms_what_it_takes(client, level):
    group = _group(level)
    regime_settings.peergroup_member_add(actor=None, group=group, member=level.ba)
    url = reverse(
        "assessments:peergroup_delete",
        kwargs={"org_pk": level.new_commune.pk, "year": YEAR, "pk": group.pk},
    )
    client.force_login(level.reviewer)
    confirm = client.get(url).content.decode()
    assert "Xóa nhóm “Bí thư chi bộ” năm 2025?" in confirm and "2 đảng viên" in confirm
    client.post(url)  # not confirmed: the question again, nothing removed
    assert PeerGroup.objects.filter(pk=group.pk).exists()
    client.post(url, {"confirmed": "1"})
    assert not PeerGroup.objects.filter(pk=group.pk).exists()
    assert AuditEntry.objects.get(action="peergroup_delete").changes["by_hand"] == 1


def test_peer_group_screens_scoped_and_only_deciders_write(client, level):
    group = _group(level)
    detail = reverse(
        "assessments:peergroup_detail",
        kwargs={"org_pk": level.new_commune.pk, "year": YEAR, "pk": group.pk},
    )
    client.force_login(level.foreign_reviewer)
    assert client.get(_list_url(level.new_commune)).status_code == 404
    assert client.get(detail).status_code == 404
    # A group of another level through one's own level is a 404 too.
    client.force_login(level.reviewer)
    other = reverse(
        "assessments:peergroup_detail",
        kwargs={"org_pk": level.new_cell.pk, "year": YEAR, "pk": group.pk},
    )
    assert client.get(other).status_code == 404
    client.force_login(level.secretary)
    assert client.get(detail).status_code == 200
    response = client.post(_list_url(level.new_commune), {"code": "X", "name": "X", "order": 0})
    assert response.status_code == 403
    assert PeerGroup.objects.count() == 1


def test_peer_group_form_errors_in_vietnamese(client, level):
    _group(level)
    client.force_login(level.reviewer)
    response = client.post(
        _list_url(level.new_commune), {"code": "bt", "name": "Khác", "order": "0"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "Năm 2025 đã có mã “bt” cho một nhóm khác." in html
    response = client.post(_list_url(level.new_commune), {"code": "b t", "name": "", "order": "0"})
    html = response.content.decode()
    assert "Ghi tên nhóm" in html or "Trường này là bắt buộc" in html


# --- the 25% ceiling --------------------------------------------------------------------------
def test_ceiling_decision_confirmed_then_recorded_and_shown(client, level):
    url = reverse("assessments:quotaceiling", kwargs={"org_pk": level.new_cell.pk, "year": YEAR})
    client.force_login(level.reviewer)
    data = {"percent": "25", "group": "", "reason": "Chi bộ dẫn đầu phong trào thi đua"}
    confirm = client.post(url, data).content.decode()
    assert "Cho phép tối đa 25% HTXSNV" in confirm and "Chi bộ dẫn đầu" in confirm
    assert not QuotaCeilingDecision.objects.exists()
    client.post(url, {**data, "confirmed": "1"})
    decision = QuotaCeilingDecision.objects.get()
    assert (decision.percent, decision.decided_by, decision.deciding_organization) == (
        25,
        level.reviewer,
        level.new_commune,
    )
    assert AuditEntry.objects.filter(action="quotaceiling_decide").count() == 1
    page = client.get(url).content.decode()
    assert "Chi bộ dẫn đầu phong trào thi đua" in page and level.new_commune.name in page


def test_ceiling_decision_in_the_results_report_with_who_and_when(level, tmp_path):
    """The results report of the commune names the decision: ceiling, deciding level, the
    person who recorded it, the date and the reason (read back with pdftotext)."""
    from .test_reports import pdf_text, render, squash

    level.reviewer.first_name, level.reviewer.last_name = "Hòa", "Nguyễn Thị"
    level.reviewer.save()
    regime_services.quotaceiling_decide(
        actor=level.reviewer,
        organization=level.new_cell,
        year=YEAR,
        percent=25,
        reason="Chi bộ dẫn đầu phong trào thi đua",
    )
    text = squash(pdf_text(render("results", level.new_commune, year=YEAR).content, tmp_path))
    assert "Mức trần 25% theo quyết định của Đảng bộ xã An Hòa" in text
    assert "người ghi" in text and "Chi bộ dẫn đầu phong trào thi đua" in text


@pytest.mark.parametrize(
    ("percent", "reason", "message"),
    [("26", "Lý do", "25"), ("25", "  ", "")],
    ids=["26-percent", "no-reason"],
)
def test_ceiling_decision_refusals(client, level, percent, reason, message):
    url = reverse("assessments:quotaceiling", kwargs={"org_pk": level.new_cell.pk, "year": YEAR})
    client.force_login(level.reviewer)
    response = client.post(url, {"percent": percent, "reason": reason, "confirmed": "1"})
    assert response.status_code == 400 and message in response.content.decode()
    assert not QuotaCeilingDecision.objects.exists()


def test_ceiling_only_the_level_above_records(client, level):
    """The commune's own reviewer cannot raise the commune's ceiling (the province does)."""
    url = reverse("assessments:quotaceiling", kwargs={"org_pk": level.new_commune.pk, "year": YEAR})
    client.force_login(level.reviewer)
    assert client.get(url).status_code == 200
    response = client.post(url, {"percent": "25", "reason": "x", "confirmed": "1"})
    assert response.status_code == 403


# --- criteria items ---------------------------------------------------------------------------
def _items_url(province, year=YEAR):
    return reverse("assessments:pointsitem_list", kwargs={"org_pk": province.pk, "year": year})


def test_points_items_added_with_the_sum_check(client, level):
    client.force_login(level.province_reviewer)
    page = client.get(_items_url(level.province)).content.decode()
    assert "một tiêu chí cho mỗi phần" in page
    for part, name, points, scoring in (
        ("general", "Chính trị tư tưởng", "10", "pass_fail"),
        ("general", "Đạo đức, lối sống", "20", "points"),
        ("tasks", "Kết quả nhiệm vụ", "60", "points"),
    ):
        response = client.post(
            _items_url(level.province),
            {"part": part, "name": name, "max_points": points, "scoring": scoring, "order": 0},
        )
        assert response.status_code == 302
    assert AuditEntry.objects.filter(action="pointsitem_create").count() == 3
    client.post(
        _items_url(level.province),
        {"part": "tasks", "name": "Vai trò lãnh đạo", "max_points": "10", "scoring": "points",
         "audience": "leader", "order": 0},
    )  # fmt: skip
    page = client.get(_items_url(level.province)).content.decode()
    # Every subject: 30 + 60 (short of 70); 2A: 30 + 70 with its own item.
    assert "cộng 60 điểm, phải bằng 70" in page
    assert "2A · giữ chức vụ lãnh đạo, quản lý: các tiêu chí cộng đủ 30 + 70 điểm." in page
    # The commune is not a province: its items page is a 404; another province too.
    assert client.get(_items_url(level.new_commune)).status_code == 404
    assert client.get(_items_url(level.other_province)).status_code == 404


def test_points_item_delete_confirms_and_keeps_used_items(client, level):
    item = regime_settings.pointsitem_save(
        actor=None, province=level.province, year=YEAR, part="general", name="Chính trị",
        max_points=30,
    )  # fmt: skip
    url = reverse(
        "assessments:pointsitem_delete",
        kwargs={"org_pk": level.province.pk, "year": YEAR, "pk": item.pk},
    )
    client.force_login(level.province_reviewer)
    assert "Xóa tiêu chí “Chính trị”" in client.get(url).content.decode()
    round_ = open_round(level.new_cell, YEAR)
    member_ratings_save(
        actor=None,
        round=round_,
        rows=[RowInput(member_id=level.ba.pk, level="good", points=Decimal(80))],
        round_version=round_.version,
    )
    rating = round_.member_ratings.get(member=level.ba)
    ScoreSheet.objects.create(
        member_rating=rating,
        stage=ScoreStage.SELF,
        general=30,
        tasks=50,
        items={str(item.pk): True},
    )
    response = client.post(url, {"confirmed": "1"})
    assert "1 phiếu chấm điểm" in response.content.decode()
    assert PointsItem.objects.filter(pk=item.pk).exists()
    # The province's secretary sees the items but does not set them; the commune's reviewer
    # does not even see the province (a 404).
    client.force_login(factories.user_with_role(level.province, Role.SECRETARY))
    assert client.post(url, {"confirmed": "1"}).status_code == 403
    client.force_login(level.reviewer)
    assert client.post(url, {"confirmed": "1"}).status_code == 404


# --- a score sheet item by item ---------------------------------------------------------------
def test_score_sheet_entered_item_by_item(client, level):
    """The province's items: a pass/fail item (10), a points item (20) and the tasks item (70).
    The sheet's parts are their sums, the values are stored and the save is audited; an item
    left unscored is refused with its name."""
    passed = regime_settings.pointsitem_save(
        actor=None, province=level.province, year=YEAR, part="general", name="Chính trị",
        max_points=10, scoring="pass_fail",
    )  # fmt: skip
    ethics = regime_settings.pointsitem_save(
        actor=None, province=level.province, year=YEAR, part="general", name="Đạo đức",
        max_points=20,
    )  # fmt: skip
    tasks = regime_settings.pointsitem_save(
        actor=None, province=level.province, year=YEAR, part="tasks", name="Nhiệm vụ",
        max_points=70,
    )  # fmt: skip
    round_ = open_round(level.new_cell, YEAR)
    member_ratings_save(
        actor=None,
        round=round_,
        rows=[RowInput(member_id=level.ba.pk, level="good", points=Decimal(80))],
        round_version=round_.version,
    )
    url = reverse(
        "assessments:scoresheet_edit",
        kwargs={
            "org_pk": level.new_cell.pk,
            "year": YEAR,
            "member_pk": level.ba.pk,
            "stage": "tu-cham",
        },
    )
    client.force_login(level.secretary)
    page = client.get(url).content.decode()
    assert "Chính trị" in page and "Đạo đức (0–20" in page
    response = client.post(url, {f"item_{passed.pk}": "1", f"item_{tasks.pk}": "55"})
    assert response.status_code == 400
    assert "Chưa chấm tiêu chí «Đạo đức»" in response.content.decode()
    response = client.post(
        url, {f"item_{passed.pk}": "1", f"item_{ethics.pk}": "17,5", f"item_{tasks.pk}": "55"}
    )
    assert response.status_code == 302
    sheet = ScoreSheet.objects.get(member_rating__member=level.ba, stage=ScoreStage.SELF)
    assert (sheet.general, sheet.tasks) == (Decimal("27.5"), Decimal(55))
    assert sheet.items == {str(passed.pk): True, str(ethics.pk): "17.5", str(tasks.pk): "55"}
    entry = AuditEntry.objects.get(action="scoresheet_save")
    assert entry.changes["items"][str(ethics.pk)] == "17.5"
    assert "Đã lưu: 27,50/30 + 55,00/70 = 82,50/100" in client.get(url).content.decode()


def test_score_sheet_scoped(client, level):
    url = reverse(
        "assessments:scoresheet_edit",
        kwargs={
            "org_pk": level.new_cell.pk,
            "year": YEAR,
            "member_pk": level.foreign_member.pk,
            "stage": "tu-cham",
        },
    )
    client.force_login(level.secretary)
    assert client.get(url).status_code == 404
    bad_stage = url.replace("tu-cham", "khac").replace(
        str(level.foreign_member.pk), str(level.ba.pk)
    )
    assert client.get(bad_stage).status_code == 404
    client.force_login(level.foreign_reviewer)
    assert (
        client.get(url.replace(str(level.foreign_member.pk), str(level.ba.pk))).status_code == 404
    )


def test_collective_score_sheet_fills_mau_01(client, level, tmp_path):
    """A grassroots cell's own score, on the province's collectives' items, entered by its
    deciding level (the commune's reviewer; the commune's secretary may not), then printed
    in Mẫu 01's …/30 and …/70 boxes."""
    from assessments.models import OrganizationRating
    from assessments.reports.forms import render as form_render

    from .test_reports import pdf_text, squash

    general = regime_settings.pointsitem_save(
        actor=None, province=level.province, year=YEAR, part="general", name="Xây dựng Đảng",
        max_points=30, scoring="pass_fail", audience="collective",
    )  # fmt: skip
    tasks = regime_settings.pointsitem_save(
        actor=None, province=level.province, year=YEAR, part="tasks", name="Nhiệm vụ chính trị",
        max_points=70, audience="collective",
    )  # fmt: skip
    regime_settings.pointsitem_save(
        actor=None, province=level.province, year=YEAR, part="general", name="Chỉ cho 2A",
        max_points=30, audience="leader",
    )  # fmt: skip
    round_ = open_round(level.new_cell, YEAR)
    OrganizationRating.objects.create(
        round=round_, organization=level.new_cell, year=YEAR, proposed_level="good",
        points=Decimal(88),
    )  # fmt: skip
    url = reverse(
        "assessments:collectivescoresheet_edit",
        kwargs={"org_pk": level.new_cell.pk, "year": YEAR, "stage": "tu-cham"},
    )
    client.force_login(level.reviewer)
    page = client.get(url).content.decode()
    assert "Xây dựng Đảng" in page and "Chỉ cho 2A" not in page
    data = {f"item_{general.pk}": "1", f"item_{tasks.pk}": "58"}
    assert client.post(url, data).status_code == 302
    client.force_login(level.secretary)
    assert client.post(url, data).status_code == 403
    sheet = ScoreSheet.objects.get(organization_rating__organization=level.new_cell)
    assert (sheet.stage, sheet.general, sheet.tasks) == (ScoreStage.SELF, 30, 58)
    document = form_render.collective_document(
        organization=level.new_cell, year=YEAR, exported_by="X", day=None
    )
    text = squash(pdf_text(form_render.document_pdf(document), tmp_path, layout=False))
    assert "30,00/30" in text and "58,00/70" in text
