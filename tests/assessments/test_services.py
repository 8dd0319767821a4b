"""The rating workflow services: entry, transitions, audit rows, versions, deadline, rules."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from assessments import selectors, services
from assessments.models import MemberRating, OrganizationRating, RatingRound, RatingYear
from assessments.services import (
    ConcurrentEditError,
    RatingError,
    RoundLockedError,
    RowInput,
    RuleViolationError,
)
from cells.choices import Role
from cells.models import AuditEntry
from cells.services import member_event_create
from tests import factories

from .conftest import make_members, open_round, save_levels, submit

pytestmark = pytest.mark.django_db
d = datetime.date


def last_audit(action):
    return AuditEntry.objects.filter(action=action).latest("id")


def decided_round(round_, members, reviewer, levels=None):
    save_levels(round_, levels or dict.fromkeys(members, "good"))
    submit(round_)
    return services.round_decide(actor=reviewer, round=round_)


# === Entry ======================================================================================
def test_round_get_or_create_opens_draft_with_scheme_and_audits(province, secretary):
    """A new round starts in draft under the scheme in force; asking again returns it."""
    round_ = services.round_get_or_create(
        actor=secretary, organization=province.old_cell, year=2021
    )
    assert (round_.organization, round_.state, round_.scheme_code) == (
        province.old_commune,
        "draft",
        "hd21-2019",
    )
    again = services.round_get_or_create(
        actor=secretary, organization=province.old_commune, year=2021
    )
    assert again.pk == round_.pk
    entry = last_audit("round_create")
    assert entry.changes == {"state": [None, "draft"], "scheme_code": [None, "hd21-2019"]}
    assert entry.organization == province.old_commune
    assert AuditEntry.objects.filter(action="round_create").count() == 1


def test_member_ratings_save_writes_rows_bumps_version_and_audits(province, secretary, round_2021):
    """Saved levels become ratings in the member's cell; the round version rises; the audit row
    lists each member's field with [before, after]."""
    a, b = make_members(province.old_cell, 2)
    result = save_levels(round_2021, {a: "good", b: "complete"}, actor=secretary)
    assert result.version == 2
    rating = MemberRating.objects.get(member=a)
    assert (rating.proposed_level, rating.cell, rating.year, rating.updated_by) == (
        "good",
        province.old_cell,
        2021,
        secretary,
    )
    entry = last_audit("rating_save")
    assert entry.actor == secretary
    assert entry.organization == province.old_commune
    assert entry.object_id == str(round_2021.pk)
    assert entry.changes == {
        f"member {a.pk} proposed_level": [None, "good"],
        f"member {b.pk} proposed_level": [None, "complete"],
    }


def test_member_ratings_save_change_records_before_and_after(province, secretary, round_2021):
    """Changing a saved level bumps the row version and audits only what changed."""
    a, b = make_members(province.old_cell, 2)
    save_levels(round_2021, {a: "good", b: "complete"}, actor=secretary)
    save_levels(round_2021, {a: "good", b: "good"}, actor=secretary)
    assert MemberRating.objects.get(member=b).version == 2
    assert MemberRating.objects.get(member=a).version == 1
    assert last_audit("rating_save").changes == {
        f"member {b.pk} proposed_level": ["complete", "good"]
    }


def test_member_ratings_save_without_change_keeps_version(province, round_2021):
    """Saving identical values writes nothing: no version bump, no audit row."""
    (a,) = make_members(province.old_cell, 1)
    save_levels(round_2021, {a: "good"})
    result = save_levels(round_2021, {a: "good"})
    assert result.version == 2
    assert AuditEntry.objects.filter(action="rating_save").count() == 1


def test_member_ratings_save_stale_round_version_is_refused(province, round_2021):
    """A grid loaded before someone else's save cannot overwrite it (Vietnamese message)."""
    a, b = make_members(province.old_cell, 2)
    loaded_version = round_2021.version
    save_levels(round_2021, {a: "good"})
    with pytest.raises(ConcurrentEditError) as excinfo:
        services.member_ratings_save(
            actor=None,
            round=round_2021,
            rows=[RowInput(member_id=b.pk, level="complete")],
            round_version=loaded_version,
        )
    assert excinfo.value.message.startswith("Dữ liệu đã được người khác thay đổi lúc ")
    assert excinfo.value.message.endswith("; vui lòng tải lại trang.")
    assert not MemberRating.objects.filter(member=b).exists()


def test_member_ratings_save_stale_row_version_is_refused(province, round_2021):
    """A row whose version moved since it was loaded is refused even with a fresh round."""
    (a,) = make_members(province.old_cell, 1)
    save_levels(round_2021, {a: "good"})
    save_levels(round_2021, {a: "complete"})
    round_2021.refresh_from_db()
    with pytest.raises(ConcurrentEditError):
        services.member_ratings_save(
            actor=None,
            round=round_2021,
            rows=[RowInput(member_id=a.pk, level="good", version=1)],
            round_version=round_2021.version,
        )
    assert MemberRating.objects.get(member=a).proposed_level == "complete"


def test_member_ratings_save_quota_boundary(province, round_2021):
    """14 HTTNV allow 2 HTXSNV (20%, rounded down); checked as a finished proposal (an
    import), a 3rd is refused with the Q1 message and nothing of that save is written."""
    goods = make_members(province.old_cell, 14)
    excellents = make_members(province.other_cell, 3, family="Trần Thị")
    save_levels(round_2021, dict.fromkeys(goods, "good"))
    save_levels(round_2021, dict.fromkeys(excellents[:2], "excellent"))
    with pytest.raises(RuleViolationError) as excinfo:
        save_levels(round_2021, {excellents[2]: "excellent"}, check_rules=True)
    assert [v.code for v in excinfo.value.violations] == ["Q1"]
    assert excinfo.value.message == (
        "Vượt tỷ lệ: tối đa 2 đảng viên Hoàn thành xuất sắc nhiệm vụ (20% của 14 Hoàn thành "
        "tốt nhiệm vụ), đề nghị 3 — Hướng dẫn 21-HD/BTCTW"
    )
    assert not MemberRating.objects.filter(member=excellents[2]).exists()
    assert MemberRating.objects.filter(proposed_level="excellent").count() == 2


def test_member_ratings_save_sick_leave_caps_at_complete(province, round_2021):
    """01/03–31/05 is three calendar months of sick leave: HTTNV is refused (M2), HTNV accepted."""
    (a,) = make_members(province.old_cell, 1)
    member_event_create(
        actor=None,
        member=a,
        kind="sick_leave",
        start=d(2021, 3, 1),
        end=d(2021, 5, 31),
        audit=False,
    )
    with pytest.raises(RuleViolationError) as excinfo:
        save_levels(round_2021, {a: "good"}, check_rules=True)
    assert [v.code for v in excinfo.value.violations] == ["M2"]
    assert "nghỉ ốm 3 tháng" in excinfo.value.message and "01/03/2021–31/05/2021" in (
        excinfo.value.message
    )
    save_levels(round_2021, {a: "complete"})
    assert MemberRating.objects.get(member=a).proposed_level == "complete"


def test_member_ratings_save_sick_leave_under_three_months_not_capped(province, round_2021):
    """01/03–30/05 (91 days, two calendar months and 30 days) does not cap the level."""
    (a,) = make_members(province.old_cell, 1)
    member_event_create(
        actor=None,
        member=a,
        kind="sick_leave",
        start=d(2021, 3, 1),
        end=d(2021, 5, 30),
        audit=False,
    )
    save_levels(round_2021, {a: "good"})
    assert MemberRating.objects.get(member=a).proposed_level == "good"


def test_member_ratings_save_discipline_forces_not_complete(province, round_2021):
    """A member disciplined in the year can only be KHTNV (M1)."""
    (a,) = make_members(province.old_cell, 1)
    member_event_create(
        actor=None,
        member=a,
        kind="discipline",
        start=d(2021, 5, 10),
        discipline_form="reprimand",
        audit=False,
    )
    with pytest.raises(RuleViolationError) as excinfo:
        save_levels(round_2021, {a: "complete"}, check_rules=True)
    assert [v.code for v in excinfo.value.violations] == ["M1"]
    assert "Khiển trách ngày 10/05/2021" in excinfo.value.message
    save_levels(round_2021, {a: "not_complete"})
    assert MemberRating.objects.get(member=a).proposed_level == "not_complete"


def test_member_ratings_save_exempt_member_not_rated_with_reason(province, round_2021):
    """An exempt member may not get a level; "" with the reason "exempt" is accepted."""
    (a,) = make_members(province.old_cell, 1)
    member_event_create(actor=None, member=a, kind="exemption", start=d(2020, 1, 1), audit=False)
    with pytest.raises(RuleViolationError) as excinfo:
        save_levels(round_2021, {a: "good"}, check_rules=True)
    assert [v.code for v in excinfo.value.violations] == ["M3"]
    with pytest.raises(RuleViolationError):
        save_levels(round_2021, {a: ""}, check_rules=True)
    save_levels(round_2021, {a: ("", "exempt")})
    rating = MemberRating.objects.get(member=a)
    assert (rating.proposed_level, rating.not_rated_reason) == ("", "exempt")


def test_member_ratings_save_draft_saves_over_quota_and_caps_submit_refuses(province, round_2021):
    """A draft always saves, whatever the rules say (DOMAIN §4.2: the committee enters cell by
    cell); the submission then refuses it with the same violations."""
    goods = make_members(province.old_cell, 3)  # with b: 4 HTTNV allow no HTXSNV
    (a, b) = make_members(province.other_cell, 2, family="Trần Thị")
    member_event_create(
        actor=None,
        member=b,
        kind="discipline",
        start=d(2021, 5, 10),
        discipline_form="reprimand",
        audit=False,
    )
    save_levels(round_2021, {**dict.fromkeys(goods, "good"), a: "excellent", b: "good"})
    assert MemberRating.objects.get(member=a).proposed_level == "excellent"
    assert MemberRating.objects.get(member=b).proposed_level == "good"
    with pytest.raises(RuleViolationError) as excinfo:
        submit(round_2021)
    assert {v.code for v in excinfo.value.violations} == {"Q1", "M1"}
    round_2021.refresh_from_db()
    assert round_2021.state == "draft"


def test_member_ratings_save_cell_column_by_cell_secretary_only(province, round_2021):
    """A cell's secretary writes the cell meeting's proposal and votes for the cell's own
    members, never the committee's appraisal, and never another cell's members."""
    (a,) = make_members(province.old_cell, 1)
    (other,) = make_members(province.other_cell, 1, family="Trần Thị")
    cell_secretary = factories.user_with_role(province.old_cell, "secretary")
    proposal = services.CellProposal(level="good", votes_for=7, votes_total=9)
    services.member_ratings_save(
        actor=cell_secretary,
        round=round_2021,
        rows=[RowInput(member_id=a.pk, appraise=False, cell=proposal, version=0)],
    )
    rating = MemberRating.objects.get(member=a)
    assert (rating.cell_level, rating.votes_for, rating.votes_total) == ("good", 7, 9)
    assert rating.proposed_level == ""
    with pytest.raises(PermissionDenied):
        services.member_ratings_save(
            actor=cell_secretary,
            round=round_2021,
            rows=[RowInput(member_id=a.pk, level="good", version=rating.version)],
        )
    with pytest.raises(PermissionDenied):
        services.member_ratings_save(
            actor=cell_secretary,
            round=round_2021,
            rows=[RowInput(member_id=other.pk, appraise=False, cell=proposal, version=0)],
        )
    with pytest.raises(RatingError):
        services.member_ratings_save(
            actor=None,
            round=round_2021,
            rows=[
                RowInput(
                    member_id=a.pk,
                    appraise=False,
                    cell=services.CellProposal(votes_for=10, votes_total=9),
                )
            ],
        )


def test_member_ratings_save_row_versions_name_every_stale_row(province, round_2021):
    """Rows are checked by their own versions: a row saved by someone else since (or
    created meanwhile, version 0) is refused, naming the rows; other rows' saves in the same
    organization do not conflict."""
    (a, b, c) = make_members(province.old_cell, 3)
    save_levels(round_2021, {a: "good"})
    first = MemberRating.objects.get(member=a).version
    save_levels(round_2021, {b: "good"})  # another row: no conflict for a's next save
    services.member_ratings_save(
        actor=None,
        round=round_2021,
        rows=[RowInput(member_id=a.pk, level="complete", version=first)],
    )
    with pytest.raises(services.ConcurrentEditError) as excinfo:
        services.member_ratings_save(
            actor=None,
            round=round_2021,
            rows=[
                RowInput(member_id=a.pk, level="good", version=first),
                RowInput(member_id=b.pk, level="complete", version=0),
                RowInput(member_id=c.pk, level="good", version=0),
            ],
        )
    assert sorted(excinfo.value.member_ids) == sorted([a.pk, b.pk])
    assert not MemberRating.objects.filter(member=c).exists()


def test_member_ratings_save_refuses_member_outside_round(province, round_2021):
    """A member of another organization cannot be rated in this round."""
    (stranger,) = make_members(province.foreign_cell, 1)
    with pytest.raises(RatingError) as excinfo:
        save_levels(round_2021, {stranger: "good"})
    assert "không thuộc Đảng bộ xã An Hòa vào cuối năm 2021" in excinfo.value.message


def test_member_ratings_save_points_out_of_range(province):
    """Points outside 0–100 are refused before anything is written."""
    (a,) = make_members(province.new_cell, 1)
    round_ = open_round(province.new_cell, 2025)
    with pytest.raises(RatingError) as excinfo:
        save_levels(round_, {a: "good"}, points="101")
    assert excinfo.value.message == "Điểm phải từ 0 đến 100."


def test_member_ratings_save_2025_requires_points_band(province):
    """From 2025 the level follows the points band (M5): 75 points allow HTTNV, not HTXSNV."""
    (a,) = make_members(province.new_cell, 1)
    round_ = open_round(province.new_cell, 2025)
    with pytest.raises(RuleViolationError) as excinfo:
        save_levels(round_, {a: "excellent"}, points="75", check_rules=True)
    assert {v.code for v in excinfo.value.violations} == {"M5", "Q1"}  # alone: also over quota
    save_levels(round_, {a: "good"}, points="75")
    assert MemberRating.objects.get(member=a).points == Decimal("75")


def test_member_ratings_save_requires_entry_permission(province, round_2021):
    """A secretary of another commune may not enter ratings here."""
    (a,) = make_members(province.old_cell, 1)
    other = factories.user_with_role(province.new_commune, Role.SECRETARY)
    with pytest.raises(PermissionDenied):
        save_levels(round_2021, {a: "good"}, actor=other)
    reviewer = factories.user_with_role(province.district, Role.REVIEWER)
    with pytest.raises(PermissionDenied):
        save_levels(round_2021, {a: "good"}, actor=reviewer)


# === Deadline ===================================================================================
def test_member_ratings_save_after_deadline_is_locked(province, round_2021):
    """Past the year's entry deadline the unit can no longer change its proposals."""
    (a,) = make_members(province.old_cell, 1)
    RatingYear.objects.create(year=2021, entry_deadline=d(2022, 1, 15))
    with pytest.raises(RoundLockedError) as excinfo:
        save_levels(round_2021, {a: "good"})
    assert excinfo.value.message == (
        "Đã hết hạn nhập kết quả xếp loại (15/01/2022); chỉ cấp ủy có thẩm quyền quyết định "
        "mới có thể mở lại."
    )
    assert selectors.rating_grid(round=round_2021).editable is False


def test_member_ratings_save_after_deadline_allowed_once_reopened(
    province, round_2021, district_reviewer
):
    """A round reopened by the deciding level after the deadline can be edited again."""
    (a,) = make_members(province.old_cell, 1)
    decided_round(round_2021, [a], district_reviewer)
    RatingYear.objects.create(year=2021, entry_deadline=d(2022, 1, 15))
    services.round_reopen(actor=district_reviewer, round=round_2021, reason="Sai sót")
    save_levels(round_2021, {a: "complete"})
    assert MemberRating.objects.get(member=a).proposed_level == "complete"


# === Submit, return =============================================================================
def test_round_submit_moves_to_submitted_and_audits(province, secretary, round_2021):
    """A complete, valid grid is submitted; the audit row records the state change."""
    a, b = make_members(province.old_cell, 2)
    save_levels(round_2021, {a: "good", b: "good"})
    result = submit(round_2021, actor=secretary)
    assert (result.state, result.submitted_by) == ("submitted", secretary)
    assert result.submitted_at is not None
    entry = last_audit("round_submit")
    assert entry.changes == {"state": ["draft", "submitted"]}
    assert entry.organization == province.old_commune


def test_round_submit_refuses_member_without_level_or_reason(province, round_2021):
    """Every member needs a level or a reason before submission (M3)."""
    a, b = make_members(province.old_cell, 2)
    save_levels(round_2021, {a: "good"})
    with pytest.raises(RuleViolationError) as excinfo:
        submit(round_2021)
    assert [(v.code, v.subject_id) for v in excinfo.value.violations] == [("M3", b.pk)]
    round_2021.refresh_from_db()
    assert round_2021.state == "draft"


def test_round_submit_twice_is_refused(province, round_2021):
    """A submitted round cannot be submitted again, nor edited."""
    (a,) = make_members(province.old_cell, 1)
    save_levels(round_2021, {a: "good"})
    submit(round_2021)
    with pytest.raises(RoundLockedError) as excinfo:
        submit(round_2021)
    assert excinfo.value.violations[0].code == "W2"
    assert excinfo.value.message == "Không thể chuyển từ «Đã gửi» sang «Đã gửi»"
    with pytest.raises(RoundLockedError) as excinfo:
        save_levels(round_2021, {a: "complete"})
    assert "đang ở trạng thái “Đã gửi”" in excinfo.value.message


def test_round_submit_stale_version_is_refused(province, round_2021):
    """Submitting a grid loaded before another save is a concurrent edit."""
    (a,) = make_members(province.old_cell, 1)
    stale = round_2021.version
    save_levels(round_2021, {a: "good"})
    with pytest.raises(ConcurrentEditError):
        services.round_submit(actor=None, round=round_2021, round_version=stale)


def test_round_return_needs_comment_and_decider(province, secretary, district_reviewer, round_2021):
    """Only the deciding level returns a round, and must say why; the comment is audited and
    the unit may edit and submit again."""
    (a,) = make_members(province.old_cell, 1)
    save_levels(round_2021, {a: "good"})
    submit(round_2021)
    with pytest.raises(PermissionDenied):
        services.round_return(actor=secretary, round=round_2021, comment="Sai")
    with pytest.raises(RatingError) as excinfo:
        services.round_return(actor=district_reviewer, round=round_2021, comment="  ")
    assert excinfo.value.message == "Trả lại kết quả xếp loại phải ghi rõ lý do."
    result = services.round_return(
        actor=district_reviewer, round=round_2021, comment="Thiếu biên bản"
    )
    assert (result.state, result.return_comment) == ("returned", "Thiếu biên bản")
    entry = last_audit("round_return")
    assert entry.changes == {"state": ["submitted", "returned"]}
    assert entry.comment == "Thiếu biên bản"
    assert entry.actor == district_reviewer
    save_levels(round_2021, {a: "complete"})
    assert submit(round_2021).state == "submitted"


def test_round_return_from_draft_is_refused(district_reviewer, round_2021):
    """A draft cannot be returned."""
    with pytest.raises(RoundLockedError) as excinfo:
        services.round_return(actor=district_reviewer, round=round_2021, comment="x")
    assert excinfo.value.violations[0].code == "W2"


# === Decide, publish, reopen ====================================================================
def test_round_decide_copies_levels_and_audits(province, district_reviewer, round_2021):
    """Deciding copies every proposed level (members and cells) to the decided level, records
    who and when, and audits each copied value."""
    a, b = make_members(province.old_cell, 2)
    save_levels(round_2021, {a: "good", b: "complete"})
    services.organization_rating_save(
        actor=None, round=round_2021, organization=province.old_cell, level="good"
    )
    submit(round_2021)
    result = services.round_decide(actor=district_reviewer, round=round_2021)
    assert (result.state, result.decided_by) == ("decided", district_reviewer)
    assert result.decided_at is not None
    assert dict(MemberRating.objects.values_list("member_id", "decided_level")) == {
        a.pk: "good",
        b.pk: "complete",
    }
    assert OrganizationRating.objects.get(organization=province.old_cell).decided_level == "good"
    entry = last_audit("round_decide")
    assert entry.changes == {
        "state": ["submitted", "decided"],
        f"member {a.pk} decided_level": ["", "good"],
        f"member {b.pk} decided_level": ["", "complete"],
        f"organization {province.old_cell.pk} decided_level": ["", "good"],
    }


def test_round_decide_refused_for_draft_and_for_unit(province, secretary, district_reviewer):
    """A draft cannot be decided; the unit's own secretary cannot decide."""
    round_ = open_round(province.old_commune, 2021)
    (a,) = make_members(province.old_cell, 1)
    with pytest.raises(RoundLockedError):
        services.round_decide(actor=district_reviewer, round=round_)
    save_levels(round_, {a: "good"})
    submit(round_)
    with pytest.raises(PermissionDenied) as excinfo:
        services.round_decide(actor=secretary, round=round_)
    assert "Đảng bộ huyện Phú An" in str(excinfo.value)


def test_round_decide_rechecks_rules(province, district_reviewer, round_2021):
    """A discipline recorded after submission blocks the decision (rules re-run under lock)."""
    (a,) = make_members(province.old_cell, 1)
    save_levels(round_2021, {a: "good"})
    submit(round_2021)
    member_event_create(
        actor=None,
        member=a,
        kind="discipline",
        start=d(2021, 11, 1),
        discipline_form="warning",
        audit=False,
    )
    with pytest.raises(RuleViolationError) as excinfo:
        services.round_decide(actor=district_reviewer, round=round_2021)
    assert [v.code for v in excinfo.value.violations] == ["M1"]
    round_2021.refresh_from_db()
    assert round_2021.state == "submitted"
    assert MemberRating.objects.get(member=a).decided_level == ""


def test_round_decide_with_quota_exception(province, district_reviewer):
    """When the configured quota (2023+) drops after submission, the decision needs a justified
    exception, which is stored and audited."""
    goods = make_members(province.old_cell, 5)
    (star,) = make_members(province.other_cell, 1, family="Lê Thị")
    round_ = open_round(province.old_commune, 2023)
    save_levels(round_, {**dict.fromkeys(goods, "good"), star: "excellent"})
    submit(round_)
    RatingYear.objects.create(year=2023, quota_numerator=1, quota_denominator=10)
    with pytest.raises(RuleViolationError) as excinfo:
        services.round_decide(actor=district_reviewer, round=round_)
    assert [v.code for v in excinfo.value.violations] == ["Q1"]
    result = services.round_decide(
        actor=district_reviewer, round=round_, quota_exception="Đơn vị điển hình của tỉnh"
    )
    assert result.quota_exception == "Đơn vị điển hình của tỉnh"
    entry = last_audit("round_decide")
    assert entry.changes["quota_exception"] == ["", "Đơn vị điển hình của tỉnh"]
    assert entry.comment == "Đơn vị điển hình của tỉnh"


def test_rounds_decide_is_all_or_nothing(province, district_reviewer):
    """If one round of a bulk decision fails, none is decided."""
    (a,) = make_members(province.old_cell, 1)
    ready = open_round(province.old_commune, 2021)
    save_levels(ready, {a: "good"})
    submit(ready)
    draft = open_round(province.old_commune, 2022)
    with pytest.raises(RoundLockedError):
        services.rounds_decide(actor=district_reviewer, rounds=[ready, draft])
    ready.refresh_from_db()
    assert ready.state == "submitted"
    save_levels(draft, {a: "good"})
    submit(draft)
    result = services.rounds_decide(actor=district_reviewer, rounds=[draft, ready])
    assert [r.pk for r in result] == [draft.pk, ready.pk]
    assert set(RatingRound.objects.values_list("state", flat=True)) == {"decided"}


def test_round_publish_after_decision_only(province, district_reviewer, round_2021):
    """Only a decided round is published; the audit records it."""
    (a,) = make_members(province.old_cell, 1)
    save_levels(round_2021, {a: "good"})
    submit(round_2021)
    with pytest.raises(RoundLockedError):
        services.round_publish(actor=district_reviewer, round=round_2021)
    services.round_decide(actor=district_reviewer, round=round_2021)
    result = services.round_publish(actor=district_reviewer, round=round_2021)
    assert result.state == "published" and result.published_at is not None
    assert last_audit("round_publish").changes == {"state": ["decided", "published"]}


@pytest.mark.parametrize("publish", [False, True])
def test_round_reopen_by_deciding_level(province, district_reviewer, round_2021, publish):
    """The deciding level reopens a decided or published round, withdrawing the decided
    levels; the reason is audited."""
    (a,) = make_members(province.old_cell, 1)
    decided_round(round_2021, [a], district_reviewer)
    if publish:
        services.round_publish(actor=district_reviewer, round=round_2021)
    result = services.round_reopen(
        actor=district_reviewer, round=round_2021, reason="Phát hiện sai sót"
    )
    assert (result.state, result.reopen_reason, result.reopened_by) == (
        "draft",
        "Phát hiện sai sót",
        district_reviewer,
    )
    assert result.reopened_at is not None and result.decided_at is None
    assert MemberRating.objects.get(member=a).decided_level == ""
    entry = last_audit("round_reopen")
    assert entry.comment == "Phát hiện sai sót"
    assert entry.changes == {
        "state": ["published" if publish else "decided", "draft"],
        f"member {a.pk} decided_level": ["good", ""],
    }


def test_round_reopen_refused_for_others_and_without_reason(
    province, secretary, district_reviewer, round_2021
):
    """The unit cannot reopen its own decided rating; a reason is required; a draft cannot be
    reopened."""
    (a,) = make_members(province.old_cell, 1)
    with pytest.raises(RoundLockedError):
        services.round_reopen(actor=district_reviewer, round=round_2021, reason="x")
    decided_round(round_2021, [a], district_reviewer)
    with pytest.raises(PermissionDenied):
        services.round_reopen(actor=secretary, round=round_2021, reason="Sai")
    admin_of_unit = factories.user_with_role(province.old_commune, Role.ADMIN)
    with pytest.raises(PermissionDenied):
        services.round_reopen(actor=admin_of_unit, round=round_2021, reason="Sai")
    with pytest.raises(RatingError) as excinfo:
        services.round_reopen(actor=district_reviewer, round=round_2021, reason="")
    assert excinfo.value.message == "Mở lại kết quả xếp loại phải ghi rõ lý do."


# === Organization ratings =======================================================================
def test_organization_rating_save_cell_applies_o1(province, secretary, round_2021):
    """A cell with a member rated HTNV cannot be HTXSNV (O1); HTTNV is saved and audited."""
    a, b = make_members(province.old_cell, 2)
    save_levels(round_2021, {a: "good", b: "complete"})
    with pytest.raises(RuleViolationError) as excinfo:
        services.organization_rating_save(
            actor=secretary, round=round_2021, organization=province.old_cell, level="excellent"
        )
    assert [v.code for v in excinfo.value.violations] == ["O1"]
    rating = services.organization_rating_save(
        actor=secretary, round=round_2021, organization=province.old_cell, level="good"
    )
    assert (rating.proposed_level, rating.round.version) == ("good", 3)
    entry = last_audit("organization_rating_save")
    assert entry.changes == {f"organization {province.old_cell.pk} proposed_level": [None, "good"]}
    assert entry.object_id == str(round_2021.pk)


def test_organization_rating_save_leadership_discipline(province, round_2021):
    """A cell committee member disciplined at Cảnh cáo in the year makes the cell KHTNV (O2)."""
    from cells.models import Post

    (a,) = make_members(province.old_cell, 1)
    Post.objects.create(
        member=a, kind="party", title="Bí thư chi bộ", organization=province.old_cell
    )
    member_event_create(
        actor=None,
        member=a,
        kind="discipline",
        start=d(2021, 6, 1),
        discipline_form="warning",
        audit=False,
    )
    with pytest.raises(RuleViolationError) as excinfo:
        services.organization_rating_save(
            actor=None, round=round_2021, organization=province.old_cell, level="complete"
        )
    assert "O2" in [v.code for v in excinfo.value.violations]


def test_organization_rating_save_version_conflict(province, round_2021):
    """A stale organization rating version is refused."""
    services.organization_rating_save(
        actor=None, round=round_2021, organization=province.other_cell, level="good"
    )
    services.organization_rating_save(
        actor=None, round=round_2021, organization=province.other_cell, level="complete"
    )
    with pytest.raises(ConcurrentEditError):
        services.organization_rating_save(
            actor=None,
            round=round_2021,
            organization=province.other_cell,
            level="good",
            version=1,
        )


def test_organization_rating_save_grassroots_by_deciding_level(
    province, secretary, district_reviewer, round_2021
):
    """The grassroots organization itself is rated by the deciding level, not by its unit;
    a node outside the round is refused."""
    with pytest.raises(PermissionDenied):
        services.organization_rating_save(
            actor=secretary, round=round_2021, organization=province.old_commune, level="good"
        )
    rating = services.organization_rating_save(
        actor=district_reviewer, round=round_2021, organization=province.old_commune, level="good"
    )
    assert rating.organization == province.old_commune
    with pytest.raises(RatingError) as excinfo:
        services.organization_rating_save(
            actor=None, round=round_2021, organization=province.new_cell, level="good"
        )
    assert excinfo.value.message == "Chi bộ ấp 1 (An Hòa) không được xếp loại trong đợt này."


def test_round_history_lists_every_step(province, district_reviewer, round_2021):
    """The history panel shows the round's latest audit rows newest first, and how many
    there are in all (a commune's round gathers hundreds of saves by December)."""
    (a,) = make_members(province.old_cell, 1)
    decided_round(round_2021, [a], district_reviewer)
    latest, total = selectors.round_history_recent(round=round_2021)
    actions = [e.action for e in latest]
    assert actions == ["round_decide", "round_submit", "rating_save", "round_create"]
    assert total == 4
    latest, total = selectors.round_history_recent(round=round_2021, limit=2)
    assert [e.action for e in latest] == ["round_decide", "round_submit"] and total == 4
