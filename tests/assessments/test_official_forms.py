"""The forms of Hướng dẫn 43 (DOMAIN §4.3, §7): the self-reviews 2A/2B/2C with the task
annex, Mẫu 05 quarters feeding the year, Mẫu 01, the Mẫu 03 re-rating decision with the
reopen-with-reason flow, and the Mẫu 04 dossier index — rendered by WeasyPrint and read
back with pdftotext."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from assessments import dossier, quarterly, regime_services, schemes
from assessments import services as rating_services
from assessments.models import (
    AssignedTask,
    DossierDocument,
    MemberRating,
    RatingReopening,
    ScoreSheet,
)
from assessments.reports.forms import render as form_render
from assessments.reports.forms.member import member_form_sheets
from assessments.round_checks import ConcurrentEditError
from assessments.rules import quarters as quarter_rules
from assessments.schemes import Rank
from assessments.services import RowInput
from cells.choices import PostKind, Role
from cells.models import AuditEntry, Post, ResidentialUnit
from cells.selectors import members_of
from tests import factories

from .conftest import make_members, open_round, save_levels, submit
from .test_reports import pdf_text, squash

YEAR = 2025
DAY = datetime.date(2025, 12, 20)
END = datetime.date(2025, 12, 31)


def annotated(cell, year=YEAR):
    """Members of `cell` as the selectors give them (with cell_id), in name order."""
    return list(members_of(organization=cell, on=datetime.date(year, 12, 31), subtree=True))


def pdf(document, tmp_path) -> str:
    return squash(pdf_text(form_render.document_pdf(document), tmp_path, layout=False))


@pytest.fixture
def new_reviewer(province):
    return factories.user_with_role(province.new_commune, Role.REVIEWER)


@pytest.fixture
def cell_secretary(province):
    return factories.user_with_role(province.new_cell, Role.SECRETARY)


@pytest.fixture
def hamlet(province):
    """Three members of the 2025 hamlet cell; the first is its secretary."""
    members = make_members(province.new_cell, 3)
    Post.objects.create(
        member=members[0], kind=PostKind.PARTY, title="Bí thư Chi bộ",
        organization=province.new_cell, start=datetime.date(2025, 7, 1),
    )  # fmt: skip
    return members


def save_points(round_, levels):
    """Save {member: (level, points)} on a fresh round (2025: every level needs its points)."""
    round_.refresh_from_db()
    rows = [
        RowInput(member_id=m.pk, level=level, points=Decimal(points))
        for m, (level, points) in levels.items()
    ]
    return rating_services.member_ratings_save(
        actor=None, round=round_, rows=rows, round_version=round_.version
    )


def quarters(member, cell, points):
    for q, p in enumerate(points, start=1):
        if p is not None:
            quarterly.quarterlyassessment_save(
                actor=None, member=member, cell=cell, year=YEAR, quarter=q, points=p, today=END
            )


# --- Mẫu 05: the quarters feed the year (pure) -----------------------------------------------
@pytest.mark.parametrize(
    ("points", "average", "rank"),
    [
        ((90, 90, 90, 90), Decimal("90.00"), Rank.EXCELLENT),
        ((90, 90, 90, "89.96"), Decimal("89.99"), Rank.GOOD),  # 359.96 / 4 = 89.99
        ((70, 70, 70, "69.98"), Decimal("70.00"), Rank.GOOD),  # 69.995 rounds half up to 70.00
        ((50, 50, 50, "49.96"), Decimal("49.99"), Rank.NOT_COMPLETE),
        ((60, 55, 50, 45), Decimal("52.50"), Rank.COMPLETE),
    ],
)
def test_year_from_quarters_average_and_band(points, average, rank):
    """The four quarters' mean (2 decimals, half up) falls in the M5 bands: 90 / 70 / 50."""
    summary = quarter_rules.year_from_quarters(
        {q: Decimal(str(p)) for q, p in zip((1, 2, 3, 4), points, strict=True)}
    )
    assert summary.complete
    assert (summary.average, summary.rank) == (average, rank)


def test_year_from_quarters_missing_quarter_gives_no_suggestion():
    """Three quarters are not a year: no average, the missing quarter is named."""
    summary = quarter_rules.year_from_quarters({1: Decimal(95), 2: Decimal(95), 4: None})
    assert summary.missing == (3, 4)
    assert summary.average is None and summary.rank is None
    with pytest.raises(ValueError):
        quarter_rules.year_from_quarters({5: Decimal(1)})


# --- Mẫu 05: the service ----------------------------------------------------------------------
def test_quarterly_save_by_cell_secretary_records_who_and_audits(province, hamlet, cell_secretary):
    """The cell secretary enters a member's quarter; the row keeps who entered it, the audit
    has it, and a second save from a stale page is refused, not overwritten."""
    member = hamlet[1]
    row = quarterly.quarterlyassessment_save(
        actor=cell_secretary, member=member, cell=province.new_cell, year=YEAR, quarter=2,
        points="85,5", results="Tham gia đủ sinh hoạt", today=END,
    )  # fmt: skip
    assert row.points == Decimal("85.50") and row.entered_by == cell_secretary
    assert AuditEntry.objects.filter(action="quarterly_assessment_save").count() == 1
    quarterly.quarterlyassessment_save(
        actor=cell_secretary, member=member, cell=province.new_cell, year=YEAR, quarter=2,
        points=80, version=row.version, today=END,
    )  # fmt: skip
    with pytest.raises(ConcurrentEditError):
        quarterly.quarterlyassessment_save(
            actor=cell_secretary, member=member, cell=province.new_cell, year=YEAR, quarter=2,
            points=70, version=row.version, today=END,
        )  # fmt: skip


def test_quarterly_save_refusals(province, hamlet, cell_secretary):
    """A quarter not begun, points out of range, a user of another unit, a decided year."""
    member = hamlet[1]
    kwargs = {"member": member, "cell": province.new_cell, "year": 2026}
    with pytest.raises(ValidationError) as exc:
        quarterly.quarterlyassessment_save(
            actor=None, quarter=4, points=80, today=datetime.date(2026, 9, 30), **kwargs
        )
    assert "quarter" in exc.value.error_dict
    with pytest.raises(ValidationError) as exc:
        quarterly.quarterlyassessment_save(
            actor=None, quarter=1, points=101, today=datetime.date(2026, 9, 30), **kwargs
        )
    assert "points" in exc.value.error_dict
    stranger = factories.user_with_role(province.foreign_cell, Role.SECRETARY)
    with pytest.raises(PermissionDenied):
        quarterly.quarterlyassessment_save(
            actor=stranger, member=member, cell=province.new_cell, year=YEAR, quarter=1,
            points=80, today=END,
        )  # fmt: skip


# --- 2A / 2B / 2C ----------------------------------------------------------------------------
def test_member_forms_category_sections_and_task_annex(province, hamlet, tmp_path):
    """Each member gets the year's form for their category — the secretary (a Party post) the
    leaders' form with its section on collective responsibility, a farmer 2C — marked as a
    suggestion while the category is not recorded; the annex lists the task ledger and the
    quarters, whose average suggests the year."""
    secretary, farmer, _third = hamlet
    AssignedTask.objects.create(
        year=YEAR, member=farmer, title="Vận động hộ nghèo", result="exceeded"
    )
    AssignedTask.objects.create(year=YEAR, member=farmer, title="Tuần tra an ninh", result="late")
    quarters(farmer, province.new_cell, [80, 85, 90, 95])
    quarters(secretary, province.new_cell, [90, None, 90, None])
    document = form_render.member_forms_document(
        members=annotated(province.new_cell), organization=province.new_cell, year=YEAR,
        exported_by="Nguyễn Văn Xuất", day=DAY,
    )  # fmt: skip
    text = pdf(document, tmp_path)
    assert "Mẫu 2A" in text  # a leadership post (Hướng dẫn 43)
    assert "Mẫu 2C" in text
    assert "LÀM RÕ TRÁCH NHIỆM CỦA CÁ NHÂN" in text  # leaders' section, once
    assert text.count("LÀM RÕ TRÁCH NHIỆM CỦA CÁ NHÂN") == 1
    assert "nhiệm vụ đảng viên, nhiệm vụ chi bộ phân công" in text  # 2C's section 2
    assert "Mẫu do hệ thống gợi ý (Giữ chức vụ đảng «Bí thư Chi bộ»)" in text
    assert "PHỤ LỤC" in text and "Vận động hộ nghèo" in text and "Vượt yêu cầu" in text
    assert "Hoàn thành chậm" in text
    assert "Được giao 2 nhiệm vụ: hoàn thành 2, đúng hạn 1 (50%), vượt yêu cầu 1 (50%)" in text
    assert "Bình quân 4 quý: 87,50 điểm → gợi ý HTTNV" in text
    assert "Tự đánh giá theo quý (Mẫu 05) còn thiếu: Quý 2, Quý 4" in text
    assert "…/30" in text and "…/70" in text
    assert "ĐÁNH GIÁ, XẾP LOẠI CỦA CẤP ỦY CÓ THẨM QUYỀN" in text


def test_member_forms_recorded_category_wins_over_the_suggestion(province, hamlet, tmp_path):
    """The committee's recorded category decides the form (here 2B for the secretary the
    posts would put on 2A), and that form carries no "suggested" note."""
    regime_services.membercategory_set(
        actor=None, member=hamlet[0], year=YEAR, category=schemes.AUDIENCE_NON_LEADER
    )
    sheets = {
        s.member_id: s for s in member_form_sheets(members=annotated(province.new_cell), year=YEAR)
    }
    assert (sheets[hamlet[0].pk].form_code, sheets[hamlet[0].pk].category_recorded) == ("2B", True)
    assert (sheets[hamlet[1].pk].form_code, sheets[hamlet[1].pk].category_recorded) == ("2C", False)
    content = form_render.member_forms_pdf(
        members=annotated(province.new_cell)[:1], organization=province.new_cell, year=YEAR,
        exported_by="X", day=DAY,
    )  # fmt: skip
    text = squash(pdf_text(content, tmp_path))
    assert "Mẫu 2B" in text and "Mẫu do hệ thống gợi ý" not in text
    assert "LÀM RÕ TRÁCH NHIỆM CỦA CÁ NHÂN" not in text


def test_member_form_sheets_query_count_does_not_grow(province, django_assert_max_num_queries):
    """The per-piece builder reads any number of members in a fixed number of queries."""
    make_members(province.new_cell, 12)
    members = annotated(province.new_cell)
    with django_assert_max_num_queries(9):
        sheets = member_form_sheets(members=members, year=YEAR)
    assert len(sheets) == 12


def test_member_forms_pdf_shows_levels_of_each_step(province, hamlet, new_reviewer, tmp_path):
    """The form is pre-filled with the self points, the cell's proposal and vote, and the
    decided level once the deciding level decided."""
    round_ = open_round(province.new_cell, YEAR)
    save_levels(round_, {m: "good" for m in hamlet}, points=80)
    submit(round_)
    round_.refresh_from_db()
    rating_services.round_decide(actor=new_reviewer, round=round_)
    content = form_render.member_forms_pdf(
        members=annotated(province.new_cell)[:1], organization=province.new_cell, year=YEAR,
        exported_by="X", day=DAY,
    )  # fmt: skip
    text = squash(pdf_text(content, tmp_path))
    assert "80,00/100" in text
    assert "Cấp có thẩm quyền quyết định: HTTNV" in text


def test_member_form_prints_the_30_and_70_parts_of_the_score_sheets(province, hamlet, tmp_path):
    """The self-score sheet's parts fill the …/30 and …/70 boxes; the committee's appraisal
    prints its parts and total."""
    round_ = open_round(province.new_cell, YEAR)
    save_points(round_, {hamlet[0]: ("good", 87)})
    rating = MemberRating.objects.get(member=hamlet[0], year=YEAR)
    ScoreSheet.objects.create(member_rating=rating, stage="self", general=27, tasks=60)
    ScoreSheet.objects.create(member_rating=rating, stage="committee", general=26, tasks=58)
    content = form_render.member_forms_pdf(
        members=annotated(province.new_cell)[:1], organization=province.new_cell, year=YEAR,
        exported_by="X", day=DAY,
    )  # fmt: skip
    text = squash(pdf_text(content, tmp_path, layout=False))
    assert "27,00/30" in text and "60,00/70" in text and "87,00/100" in text
    assert "26,00/30 + 58,00/70 = 84,00/100" in text


# --- Mẫu 01 ----------------------------------------------------------------------------------
def test_collective_form_01_prefilled(province, hamlet, tmp_path):
    """Mẫu 01 of a cell: its own tasks, its members by level, the points table out of
    30 / 70 / 100, the signature and the superior committee's appraisal."""
    AssignedTask.objects.create(
        year=YEAR, organization=province.new_cell, title="Xây dựng đường giao thông nông thôn",
        result="on_time",
    )  # fmt: skip
    round_ = open_round(province.new_cell, YEAR)
    save_points(
        round_, {hamlet[0]: ("complete", 60), hamlet[1]: ("good", 80), hamlet[2]: ("good", 75)}
    )
    document = form_render.collective_document(
        organization=province.new_cell, year=YEAR, exported_by="X", day=DAY
    )
    text = pdf(document, tmp_path)
    assert "Mẫu 01" in text and "BÁO CÁO" in text
    assert "Kiểm điểm tập thể Chi bộ ấp 1 (An Hòa) năm 2025" in text
    assert "Xây dựng đường giao thông nông thôn" in text and "Hoàn thành đúng hạn" in text
    assert "Tổng số đảng viên: 3; HTXSNV: 0; HTTNV: 2; HTNV: 1; KHTNV: 0" in text
    assert "(đề xuất)" in text
    assert "…/30" in text and "…/100" in text
    assert "ĐÁNH GIÁ, XẾP LOẠI CỦA CẤP ỦY CẤP TRÊN" in text


def test_collective_form_01_fills_the_30_and_70_boxes(province, hamlet, tmp_path):
    """The collective's own score sheet fills …/30 and …/70 (and the total), the superior
    committee's appraisal its own line; without them the boxes stay blank."""
    from assessments.choices import ScoreStage
    from assessments.models import OrganizationRating, ScoreSheet

    round_ = open_round(province.new_cell, YEAR)
    rating = OrganizationRating.objects.create(
        round=round_, organization=province.new_cell, year=YEAR, proposed_level="good",
        points=Decimal("82.5"),
    )  # fmt: skip
    ScoreSheet.objects.create(
        organization_rating=rating, stage=ScoreStage.SELF, general=Decimal(26),
        tasks=Decimal("56.5"),
    )  # fmt: skip
    ScoreSheet.objects.create(
        organization_rating=rating, stage=ScoreStage.COMMITTEE, general=Decimal(25),
        tasks=Decimal(55),
    )  # fmt: skip
    document = form_render.collective_document(
        organization=province.new_cell, year=YEAR, exported_by="X", day=DAY
    )
    text = pdf(document, tmp_path)
    assert "26,00/30" in text and "56,50/70" in text and "82,50/100" in text
    assert "Điểm: 25,00/30 + 55,00/70 = 80,00/100" in text
    assert "…/30" not in text

    ScoreSheet.objects.filter(organization_rating=rating).delete()
    text = pdf(
        form_render.collective_document(
            organization=province.new_cell, year=YEAR, exported_by="X", day=DAY
        ),
        tmp_path,
    )
    assert "…/30" in text and "…/70" in text and "82,50/100" in text
    assert "Điểm: …/30 + …/70 = …/100" in text


# --- Mẫu 03: reopen with reason, re-rate, issue once ------------------------------------------
@pytest.fixture
def decided(province, hamlet, new_reviewer):
    round_ = open_round(province.new_cell, YEAR)
    save_points(round_, {hamlet[0]: ("good", 85), hamlet[1]: ("good", 80), hamlet[2]: ("good", 75)})
    submit(round_)
    round_.refresh_from_db()
    return rating_services.round_decide(actor=new_reviewer, round=round_)


def test_reopen_records_reason_and_withdrawn_levels_then_changes(
    province, hamlet, decided, new_reviewer
):
    """Reopening keeps the reason and the decided levels withdrawn; the next decision closes
    the record with exactly the levels that changed (old → new)."""
    rating_services.round_reopen(
        actor=new_reviewer, round=decided, reason="Phát hiện vi phạm sau khi công bố"
    )
    reopening = RatingReopening.objects.get(round=decided)
    assert reopening.reason == "Phát hiện vi phạm sau khi công bố"
    assert reopening.withdrawn["members"][str(hamlet[0].pk)] == "good"
    assert reopening.redecided_at is None
    save_points(
        decided, {hamlet[0]: ("complete", 60), hamlet[1]: ("good", 80), hamlet[2]: ("good", 75)}
    )
    submit(decided)
    decided.refresh_from_db()
    rating_services.round_decide(actor=new_reviewer, round=decided)
    reopening.refresh_from_db()
    assert reopening.redecided_at is not None
    assert reopening.changes == [
        {"subject": "member", "id": hamlet[0].pk, "old": "good", "new": "complete"}
    ]


def test_rerating_form_03_draft_then_issued_once(province, hamlet, decided, new_reviewer, tmp_path):
    """Mẫu 03 is a numberless "DỰ THẢO" while the rating is being redone; issued after the new
    decision it takes one number, kept on every later print, and lists the re-rated member
    with the level annulled and the new one, and the reason."""
    rating_services.round_reopen(actor=new_reviewer, round=decided, reason="Kết luận kiểm tra")
    reopening = RatingReopening.objects.get(round=decided)
    save_points(
        decided, {hamlet[0]: ("complete", 60), hamlet[1]: ("good", 80), hamlet[2]: ("good", 75)}
    )
    draft = pdf(form_render.rerating_document(reopening=reopening, exported_by="X"), tmp_path)
    assert "DỰ THẢO" in draft and "Số " not in draft.split("ĐẢNG CỘNG SẢN")[0]
    with pytest.raises(ValidationError):
        form_render.rerating_issue(actor=new_reviewer, reopening=reopening)
    submit(decided)
    decided.refresh_from_db()
    rating_services.round_decide(actor=new_reviewer, round=decided)
    issued = form_render.rerating_issue(actor=new_reviewer, reopening=reopening)
    again = form_render.rerating_issue(actor=new_reviewer, reopening=reopening)
    assert issued.document == again.document
    assert issued.document.number == "Số 01-QĐ/ĐU" and issued.document.kind == "rerating"
    assert issued.document.organization == province.new_commune
    with issued.document.pdf.open("rb") as fh:
        text = squash(pdf_text(fh.read(), tmp_path, layout=False))
    assert "DỰ THẢO" not in text
    assert "Mẫu 03" in text and "QUYẾT ĐỊNH" in text and "Số 01-QĐ/ĐU" in text
    assert "ĐẢNG ỦY XÃ AN HÒA" in text and "T/M BAN THƯỜNG VỤ" in text
    assert hamlet[0].full_name in text
    # pdftotext reads the one-row table column by column: old level, then the new one.
    assert "Mức đã hủy bỏ Mức xếp loại lại HTTNV HTNV" in text
    assert "Lý do: Kết luận kiểm tra" in text
    assert "Hướng dẫn 43-HD/BTCTW (31/10/2025)" in text
    assert hamlet[1].full_name not in text  # unchanged levels are not re-rated


def test_rerating_views_scoped_and_issue_needs_decider(
    province, decided, new_reviewer, cell_secretary, client
):
    """The PDF of another unit's reopening is a 404; the unit's secretary cannot issue."""
    rating_services.round_reopen(actor=new_reviewer, round=decided, reason="Sai sót")
    reopening = RatingReopening.objects.get(round=decided)
    url = reverse("assessments:rerating_pdf", args=[decided.pk, reopening.pk])
    stranger = factories.user_with_role(province.foreign_cell, Role.REVIEWER)
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    client.force_login(cell_secretary)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    issue = reverse("assessments:rerating_issue", args=[decided.pk, reopening.pk])
    assert client.post(issue).status_code == 403
    client.force_login(new_reviewer)
    assert client.post(issue).status_code == 302  # not redecided: refused with a message
    assert not RatingReopening.objects.get(pk=reopening.pk).document
    detail = client.get(reverse("assessments:review_detail", args=[decided.pk]))
    assert "Sai sót" in detail.content.decode() and url in detail.content.decode()


# --- Mẫu 04: the dossier ---------------------------------------------------------------------
def test_dossier_checklist_reports_what_is_missing(province, hamlet, cell_secretary, tmp_path):
    """From the data: reviews without a self-assessed level, the residence comment of members
    of a cell covering no hamlet, minutes without votes, not submitted, not decided. Recording
    the comment fills its line; the Mẫu 04 PDF shows the same."""
    round_ = open_round(province.new_cell, YEAR)
    save_levels(round_, {m: "good" for m in hamlet}, points=80)
    result = dossier.dossier_for(organization=province.new_cell, year=YEAR)
    items = {i.number: i for i in result.items}
    assert (items[1].have, items[1].need, items[1].status) == (0, 3, dossier.MISSING)
    assert items[3].need == 3 and items[3].status == dossier.MISSING  # an agency-like cell
    assert items[5].status == dossier.MISSING and items[6].missing == ["Cấp trên chưa quyết định"]
    assert items[7].status == dossier.OPTIONAL
    dossier.dossierdocument_record(
        actor=cell_secretary, organization=province.new_cell, year=YEAR,
        kind=DossierDocument.Kind.RESIDENCE_COMMENT, received_on=datetime.date(2025, 12, 10),
        member=hamlet[0], sender="Chi ủy chi bộ khu phố 2",
    )  # fmt: skip
    items = {
        i.number: i for i in dossier.dossier_for(organization=province.new_cell, year=YEAR).items
    }
    assert (items[3].have, items[3].status) == (1, dossier.PARTIAL)
    assert hamlet[0].full_name not in items[3].missing
    ResidentialUnit.objects.create(name="Ấp 1", cell=province.new_cell)
    items = {
        i.number: i for i in dossier.dossier_for(organization=province.new_cell, year=YEAR).items
    }
    assert not items[3].required  # a hamlet cell's members live where they meet
    document = form_render.dossier_document(
        organization=province.new_cell, year=YEAR, exported_by="X", day=DAY
    )
    text = pdf(document, tmp_path)
    assert "Mẫu 04" in text and "MỤC LỤC HỒ SƠ" in text
    assert "Bản kiểm điểm của cá nhân 0/3 Chưa có" in text
    assert "Nhận xét của cấp ủy nơi cư trú" in text
    assert "Hồ sơ còn thiếu" in text


def test_dossier_record_refusals(province, hamlet, cell_secretary):
    """A residence comment needs its member and a date; another unit's user is refused."""
    with pytest.raises(ValidationError) as exc:
        dossier.dossierdocument_record(
            actor=None, organization=province.new_cell, year=YEAR,
            kind=DossierDocument.Kind.RESIDENCE_COMMENT, received_on=None,
        )  # fmt: skip
    assert set(exc.value.error_dict) == {"received_on", "member"}
    stranger = factories.user_with_role(province.foreign_cell, Role.SECRETARY)
    with pytest.raises(PermissionDenied):
        dossier.dossierdocument_record(
            actor=stranger, organization=province.new_cell, year=YEAR,
            kind=DossierDocument.Kind.COMPLAINT, received_on=datetime.date(2025, 12, 1),
        )  # fmt: skip


# --- pages -----------------------------------------------------------------------------------
def test_quarterly_pages_enter_and_print(province, hamlet, cell_secretary, client, tmp_path):
    """The cell secretary lists the quarters, enters one through the form, and prints the
    member's Mẫu 05 and self-review; another unit's user gets a 404."""
    client.force_login(cell_secretary)
    member = hamlet[1]
    org, year = province.new_cell.pk, YEAR
    listing = client.get(reverse("assessments:quarterlyassessment_list", args=[org, year]))
    assert listing.status_code == 200 and member.full_name in listing.content.decode()
    edit = reverse("assessments:quarterlyassessment_edit", args=[org, year, member.pk, 1])
    response = client.post(edit, {"points": "88,5", "level": "good", "results": "Tốt"})
    assert response.status_code == 302
    assert member.quarterly_assessments.get(year=year, quarter=1).points == Decimal("88.50")
    response = client.post(edit, {"points": "150"})
    assert response.status_code == 200
    assert "Điểm là một số từ 0 đến 100" in response.content.decode()
    form05 = client.get(reverse("assessments:quarterlyassessment_pdf", args=[org, year, member.pk]))
    text = squash(pdf_text(form05.content, tmp_path))
    assert "Mẫu 05" in text and "88,50" in text and "Nhập thay đảng viên" in text
    own = client.get(reverse("assessments:memberform_pdf", args=[org, year, member.pk]))
    assert "BẢN KIỂM ĐIỂM CÁ NHÂN" in squash(pdf_text(own.content, tmp_path))
    exports = AuditEntry.objects.filter(action="export").values_list("changes__export", flat=True)
    assert set(exports) == {"form_05_pdf", "form_self_review_pdf"}
    stranger = factories.user_with_role(province.foreign_cell, Role.SECRETARY)
    client.force_login(stranger)
    assert client.get(edit).status_code == 404


def test_dossier_page_lists_and_records(province, hamlet, client):
    """The dossier page shows the checklist; the unit's committee records a document."""
    secretary = factories.user_with_role(province.new_cell, Role.SECRETARY)
    client.force_login(secretary)
    url = reverse("assessments:dossier_detail", args=[province.new_cell.pk, YEAR])
    page = client.get(url).content.decode()
    assert "Bản kiểm điểm của cá nhân" in page
    response = client.post(
        url, {"kind": "complaint", "received_on": "01/12/2025", "sender": "Công dân"}
    )
    assert response.status_code == 302
    assert DossierDocument.objects.filter(kind="complaint", organization=province.new_cell).exists()
    pdf_response = client.get(reverse("assessments:dossier_pdf", args=[province.new_cell.pk, YEAR]))
    assert pdf_response["Content-Type"] == "application/pdf"
