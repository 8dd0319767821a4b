"""The 2025– columns and files of DOMAIN §8 on the suite's sample province: peer groups and the
25% decision in `xep_loai`, one pass for value and rule errors, unknown columns told, the
commune-level committee rated by the province, `su_kien_to_chuc` (O3/O4) and `chuc_vu` (O2).
The files are in tests/data/regime/."""

import datetime
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone, translation

from assessments import facts, rules
from assessments.models import (
    MemberCategory,
    MemberRating,
    OrganizationRating,
    PeerGroup,
    QuotaCeilingDecision,
    RatingRound,
    ScoreSheet,
)
from assessments.schemes import scheme_for_year
from cells.models import Member, Organization, OrganizationDiscipline, Post
from tests.factories import SAMPLE_DATA, member_event

DATA = SAMPLE_DATA
REGIME = SAMPLE_DATA / "regime"


def run(*args) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def sample_province(django_db_setup, django_db_blocker):
    """The sample province imported once for the module, rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic(), translation.override("vi"):
        assert run("import_orgs", str(DATA / "to_chuc.csv"))[0] == 0
        assert run("import_members", str(DATA / "dang_vien.csv"), "--org", "BG")[0] == 0
        assert run("import_events", str(DATA / "su_kien.csv"), "--org", "BG")[0] == 0
        yield
        transaction.set_rollback(True)


@pytest.fixture
def bg(sample_province, db):
    with translation.override("vi"):
        yield


def org(code):
    return Organization.objects.get(code=code)


@pytest.fixture
def peer_groups(bg):
    """The commune's two peer groups of 2026 (formed by its standing committee)."""
    commune = org("BG-AH")
    PeerGroup.objects.create(owner=commune, year=2026, code="huu-tri", name="Đảng viên hưu trí")
    PeerGroup.objects.create(owner=commune, year=2026, code="can-bo", name="Cán bộ, công chức")


def errors_by_row(err: str) -> dict[int, str]:
    """stderr lines "Dòng N, cột C: …" gathered per row number."""
    found: dict[int, str] = {}
    for line in err.splitlines():
        head = line.split(",", 1)[0]
        digits = "".join(ch for ch in head if ch.isdigit())
        if digits:
            found[int(digits)] = found.get(int(digits), "") + line
    return found


def test_peer_group_quota_counts_across_cells_and_names_the_row(peer_groups):
    """4 HTTNV of «huu-tri» in ấp 1 allow no HTXSNV in ấp 2 (4 × 20% = 0): only that row is
    refused; «can-bo»'s 5 HTTNV in ấp 3 make room for the one HTXSNV in ấp 4."""
    code, _out, err = run(
        "import_ratings", str(REGIME / "xep_loai_2026_nhom.csv"), "--org", "BG-AH", "--year", "2026"
    )
    assert code == 1
    rows = errors_by_row(err)
    assert "trong nhóm «huu-tri»" in rows[6]
    assert [r for r in rows if "Vượt tỷ lệ" in rows[r]] == [6]
    assert not MemberRating.objects.filter(year=2026).exists()


def test_the_25_percent_decision_lets_the_file_in_and_records_parts_category_group(peer_groups):
    """With the province's recorded decision (25% for An Hòa) the same file imports: the
    groups, categories and the committee's appraisal sheets are recorded; stt, ho_ten and
    the notes column are ignored with a notice."""
    QuotaCeilingDecision.objects.create(
        organization=org("BG-AH"),
        year=2026,
        percent=25,
        reason="Đảng bộ có thành tích nổi bật, được Tỉnh ủy tặng cờ thi đua",
        deciding_organization=org("BG"),
        decided_at=timezone.now(),
    )
    code, out, err = run(
        "import_ratings", str(REGIME / "xep_loai_2026_nhom.csv"), "--org", "BG-AH", "--year", "2026"
    )
    assert code == 0, err
    assert "Dòng 1, cột stt: Cột “stt” không được dùng và đã bỏ qua" in err
    rating = MemberRating.objects.get(member__record_number="000290BG", year=2026)
    assert (rating.proposed_level, rating.group, rating.points) == ("excellent", "huu-tri", 95)
    sheet = ScoreSheet.objects.get(member_rating=rating)
    assert (sheet.stage, sheet.general, sheet.tasks) == ("committee", 28, 67)
    categories = dict(
        MemberCategory.objects.filter(year=2026).values_list("member__record_number", "category")
    )
    assert categories["000250BG"] == "non_leader" and categories["000355BG"] == "leader"
    assert categories["000290BG"] == "outside_political_system"


def test_unknown_peer_group_is_refused(bg):
    """Without the groups formed by the deciding level, `nhom` names nothing: refused."""
    code, _out, err = run(
        "import_ratings", str(REGIME / "xep_loai_2026_nhom.csv"), "--org", "BG-AH", "--year", "2026"
    )
    assert code == 1
    assert "không phải nhóm" in err or "is not a peer group" in err


def test_value_and_rule_errors_are_listed_in_one_pass(bg):
    """A bad label (row 2) does not hide the rule errors of the other rows: 89 points for
    HTXSNV (row 3), parts not adding up (row 4); 95 points rated KHTNV is told (row 5)."""
    code, _out, err = run(
        "import_ratings", str(REGIME / "xep_loai_2026_loi.csv"), "--org", "BG-AH", "--year", "2026"
    )
    assert code == 1
    rows = errors_by_row(err)
    assert "Tốt lắm" in rows[2]
    assert "89 điểm" in rows[3]
    assert "không bằng tổng điểm 90" in rows[4]
    assert "95 điểm thuộc khung HTXSNV nhưng đề nghị KHTNV" in rows[5]


def test_commune_level_committee_is_rated_by_the_province(bg):
    """HD 43 §3: the đảng ủy xã is rated by the provincial standing committee: its rating is
    accepted in a round of its own (no member in it), decided by the province."""
    code, _out, err = run(
        "import_ratings", str(REGIME / "xep_loai_2026_xa.csv"), "--org", "BG", "--year", "2026"
    )
    assert code == 0, err
    rating = OrganizationRating.objects.get(organization__code="BG-AH", year=2026)
    assert (rating.proposed_level, rating.points) == ("good", 80)
    round_ = RatingRound.objects.get(organization__code="BG-AH", year=2026)
    assert rating.round == round_
    assert not MemberRating.objects.filter(round=round_).exists()


def test_organization_disciplines_import_and_make_o3_o4_fire(bg):
    """`su_kien_to_chuc`: 1 of 6 cells of An Hòa disciplined in 2023 (≤ 20%: no O3), 1 of 4
    of An Thạnh (25%: O3); in 2026 the ấp 2 committee's discipline bars the commune's HTXSNV
    (O4) and makes ấp 2 itself KHTNV (O3, the collective)."""
    code, out, err = run("import_org_events", str(REGIME / "su_kien_to_chuc.csv"), "--org", "BG")
    assert code == 0, err
    assert OrganizationDiscipline.objects.count() == 3
    scheme_2023 = scheme_for_year(2023)
    an_hoa = facts.organization_facts_for(organization=org("BG-PA-AH"), year=2023)
    an_thanh = facts.organization_facts_for(organization=org("BG-PA-AT"), year=2023)
    assert (an_hoa.disciplined_sub_unit_count, an_hoa.sub_unit_count) == (1, 6)
    assert (an_thanh.disciplined_sub_unit_count, an_thanh.sub_unit_count) == (1, 4)
    assert rules.max_organization_level_for(an_hoa, scheme_2023).rank > 0
    capped = rules.max_organization_level_for(an_thanh, scheme_2023)
    assert capped.level == "not_complete" and any(r.code == "O3" for r in capped.reasons)
    scheme = scheme_for_year(2026)
    commune = facts.organization_facts_for(organization=org("BG-AH"), year=2026, points=95)
    found = rules.check_organization_rating(scheme, commune, level="excellent")
    assert "O4" in {v.code for v in found}
    cell = facts.organization_facts_for(organization=org("BG-AH-AH02"), year=2026, points=80)
    assert rules.max_organization_level_for(cell, scheme).level == "not_complete"


def test_organization_events_file_errors_are_all_listed(bg):
    code, _out, err = run(
        "import_org_events", str(REGIME / "su_kien_to_chuc_loi.csv"), "--org", "BG"
    )
    assert code == 1
    rows = errors_by_row(err)
    assert {2, 3, 4} <= set(rows)
    assert "Khen thưởng" in rows[2] and "Phê bình" in rows[3] and "31/02/2023" in rows[4]
    assert not OrganizationDiscipline.objects.exists()


def test_dated_posts_belong_to_the_committees_organization_and_o2_fires(bg):
    """`chuc_vu`: a post of the đảng ủy is on the đảng bộ, dated; for 2021 (before the merge)
    the leadership member's Cảnh cáo caps the old commune at KHTNV (O2), not their cell."""
    code, _out, err = run("import_posts", str(REGIME / "chuc_vu.csv"), "--org", "BG")
    assert code == 0, err
    khanh = Member.objects.get(record_number="000110BG")
    post = Post.objects.get(member=khanh, organization__code="BG-PA-AH")
    assert (post.title, post.kind, post.start, post.end) == (
        "Ủy viên Ban Thường vụ",
        "party",
        datetime.date(2015, 1, 1),
        datetime.date(2025, 6, 30),
    )
    assert Post.objects.get(member=khanh, organization__code="BG-AH").title == "Cấp ủy viên"
    assert Post.objects.get(member=khanh, title="Trưởng ấp", start__isnull=False).is_hamlet_head
    member_event(khanh, "discipline", datetime.date(2021, 5, 1), discipline_form="warning")
    scheme = scheme_for_year(2021)
    commune = facts.organization_facts_for(organization=org("BG-PA-AH"), year=2021)
    assert len(commune.leadership_disciplines) == 1
    found = rules.check_organization_rating(scheme, commune, level="good")
    assert [v.code for v in found if v.is_blocking] == ["O2"]
    cell = facts.organization_facts_for(organization=org("BG-PA-AH-C01"), year=2021)
    assert cell.leadership_disciplines == ()
    # Importing the file again changes nothing (keyed by member, organization, title, start).
    code, out, _err = run("import_posts", str(REGIME / "chuc_vu.csv"), "--org", "BG")
    assert code == 0 and Post.objects.filter(member=khanh, start__isnull=False).count() == 3


def test_organization_points_parts_are_checked(bg):
    """The organization's parts must add up too (P2), listed with the row."""
    path = REGIME / "xep_loai_2026_xa.csv"
    text = path.read_text(encoding="utf-8").replace(",80,24,56", ",80,24,50")
    bad = io.BytesIO(text.encode())
    from assessments.imports import ratings_import

    result = ratings_import(
        file=bad, filename="x.csv", organization=org("BG"), year=2026, actor=None
    )
    assert [e.column for e in result.errors] == ["diem_nhiem_vu"]
    assert Decimal(80) == Decimal(80)
