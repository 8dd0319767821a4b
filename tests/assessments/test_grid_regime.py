"""The entry grid under Quy định 366 / Hướng dẫn 43 (2025–, DOMAIN §4.3): the quota counted
per peer group of the deciding level (across its grassroots organizations) with a recorded
25% ceiling; each row's peer group (by rule or by hand) and form category (recorded, or the
suggestion marked so), both editable by the committee; the 30 + 70 parts of the stage the user
owns with the task ledger's suggestion and a reason required when different; the submission
refused with one line per peer group. PostgreSQL, through the views and the services.

The tree: the commune An Hòa (the deciding level, which forms the peer groups) over two
grassroots cells, ấp 1 and ấp 2.
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from assessments import facts, grid, regime_selectors, services
from assessments.models import (
    AssignedTask,
    MemberCategory,
    MemberRating,
    PeerGroup,
    PeerGroupAssignment,
    QuotaCeilingDecision,
    ScoreSheet,
)
from cells.choices import OrganizationType, PostKind, Role
from cells.models import Post
from tests import factories
from tests.assessments.conftest import open_round, save_levels

pytestmark = pytest.mark.django_db

YEAR = 2025
RETIRED = "huu-tri"


@pytest.fixture
def regime(province):
    """Cell ấp 1 (new_cell): 4 retired members (2C) rated HTTNV. Cell ấp 2: 5 members (2B)
    rated HTTNV and one retired member proposed HTXSNV. The commune forms the group
    «Đảng viên hưu trí» for members of form 2C."""
    p = province
    p.cell_b = factories.org(
        p.new_commune,
        "BG-AH-AH02",
        "Chi bộ ấp 2 (An Hòa)",
        OrganizationType.GRASSROOTS_CELL,
        is_grassroots=True,
        established_on=datetime.date(2025, 7, 1),
    )
    p.a = [factories.member(p.new_cell, f"Nguyễn Văn Hưu {i}") for i in range(4)]
    p.b = [factories.member(p.cell_b, f"Trần Văn Bình {i}") for i in range(5)]
    p.star = factories.member(p.cell_b, "Lê Thị Sao")
    for m in [*p.a, p.star]:
        MemberCategory.objects.create(member=m, year=YEAR, category="outside_political_system")
    for m in p.b:
        MemberCategory.objects.create(member=m, year=YEAR, category="non_leader")
    p.round_a = open_round(p.new_cell, YEAR)
    save_levels(p.round_a, dict.fromkeys(p.a, "good"))
    p.round_b = open_round(p.cell_b, YEAR)
    save_levels(p.round_b, {**dict.fromkeys(p.b, "good"), p.star: "excellent"})
    p.committee_b = factories.user_with_role(p.cell_b, Role.SECRETARY)
    return p


def _form_groups(p):
    return PeerGroup.objects.create(
        owner=p.new_commune,
        year=YEAR,
        code=RETIRED,
        name="Đảng viên hưu trí",
        rule_category="outside_political_system",
    )


def _url(name, organization):
    return reverse(f"assessments:{name}", kwargs={"org_pk": organization.pk, "year": YEAR})


def _quota_lines(html):
    counters = re.search(r'id="grid-counters".*?</section>', html, re.S).group(0)
    return [
        re.sub(r"<[^>]+>", "", m).strip()
        for m in re.findall(r"<li class=\"grid-counter grid-counter--quota.*?</li>", counters, re.S)
    ]


def _source(p, round_):
    round_.refresh_from_db()
    return grid.grid_evaluate(grid.grid_source(round=round_))


def test_without_peer_groups_the_quota_is_the_grassroots_organization(regime):
    """No group formed: ấp 2 counts alone, 1 HTXSNV for 5 HTTNV is within 20%."""
    state = _source(regime, regime.round_b)
    assert [(q.key, q.excellent, q.max_excellent) for q in state.quota] == [(None, 1, 1)]
    assert all(row.group is None for row in state.rows)


def test_peer_group_counts_across_the_deciding_levels_grassroots_organizations(regime):
    """With «hưu trí» formed by the commune, ấp 2's retired HTXSNV is counted with ấp 1's 4
    retired HTTNV: 4 × 20% allows none, so the group is over by 1; ấp 2's other members are
    counted apart (5 HTTNV, no HTXSNV)."""
    _form_groups(regime)
    state = _source(regime, regime.round_b)
    quota = {q.key: (q.good, q.excellent, q.max_excellent) for q in state.quota}
    assert quota == {None: (5, 0, 1), RETIRED: (4, 1, 0)}
    over = next(q for q in state.quota if q.key == RETIRED)
    assert dict(over.cells_over()) == {regime.cell_b.pk: 1}
    star = next(r for r in state.rows if r.member.pk == regime.star.pk)
    assert (star.group, star.group_by_hand) == (RETIRED, False)


def test_a_25_percent_decision_raises_the_groups_ceiling(regime):
    """The province's reasoned decision (25% for the commune's subjects) allows 1 of 4."""
    group = _form_groups(regime)
    QuotaCeilingDecision.objects.create(
        organization=regime.new_commune,
        year=YEAR,
        group=group,
        percent=25,
        reason="Đảng bộ xã có thành tích nổi bật",
        deciding_organization=regime.province,
        decided_at=timezone.now(),
    )
    state = _source(regime, regime.round_b)
    retired = next(q for q in state.quota if q.key == RETIRED)
    assert (retired.excellent, retired.max_excellent, retired.exceeded) == (1, 1, False)
    assert retired.ceiling is not None


def test_unsaved_group_change_moves_the_count(regime):
    """The committee puts the HTXSNV member back in the organization's count by hand (a
    group change typed, not saved): the live figures move with it."""
    _form_groups(regime)
    regime.round_b.refresh_from_db()
    source = grid.grid_source(round=regime.round_b)
    saved = source.saved[regime.star.pk]
    row = services.RowInput(
        member_id=regime.star.pk, level="excellent", version=saved.version, group="", appraise=True
    )
    state = grid.grid_evaluate(source, {regime.star.pk: row})
    # "" = automatic: the rule puts a 2C member back in the group.
    assert {q.key: q.excellent for q in state.quota} == {None: 0, RETIRED: 1}


def test_grid_page_shows_group_and_category_and_the_group_line(client, regime):
    """The committee of ấp 2 sees each row's category (recorded) and peer group (by rule),
    and the quota line names the group: «Nhóm “Đảng viên hưu trí” 1/0 HTXSNV — cần hạ 1»."""
    _form_groups(regime)
    client.force_login(regime.committee_b)
    with translation.override("vi"):
        html = client.get(_url("rating_grid", regime.cell_b)).content.decode()
    lines = _quota_lines(html)
    assert any(
        "Đảng viên hưu trí" in line and "1/0" in line and "cần hạ 1" in line for line in lines
    )
    row = re.search(rf'id="member-{regime.star.pk}".*?</tbody>', html, re.S).group(0)
    assert f'name="category_{regime.star.pk}"' in row
    assert 'value="outside_political_system" selected' in row
    assert f'name="group_{regime.star.pk}"' in row
    assert "Tự động: Đảng viên hưu trí" in row


def test_category_suggestion_is_marked_and_never_recorded_silently(client, regime):
    """A member with no recorded category shows the suggestion as such; opening the grid
    records nothing."""
    newcomer = factories.member(regime.cell_b, "Phạm Văn Mới", occupation="Nghỉ hưu")
    client.force_login(regime.committee_b)
    with translation.override("vi"):
        html = client.get(_url("rating_grid", regime.cell_b)).content.decode()
    row = re.search(rf'id="member-{newcomer.pk}".*?</tbody>', html, re.S).group(0)
    assert "2C (gợi ý)" in row
    assert not MemberCategory.objects.filter(member=newcomer).exists()


def _post(client, p, member, **values):
    rating = MemberRating.objects.filter(member=member, year=YEAR).first()
    p.round_b.refresh_from_db()
    mid = member.pk
    data = {
        "round_version": p.round_b.version,
        "action": "save",
        f"level_{mid}": rating.proposed_level if rating else "",
        f"reason_{mid}": "",
        f"reason_note_{mid}": "",
        f"note_{mid}": "",
        f"points_{mid}": "" if not rating or rating.points is None else str(rating.points),
        f"version_{mid}": rating.version if rating else 0,
    }
    data.update({f"{k}_{mid}": v for k, v in values.items()})
    return client.post(_url("rating_grid", p.cell_b), data)


def test_committee_records_category_and_group_by_hand(client, regime):
    """Choosing 2A and the group by hand saves both: the category through
    membercategory_set (with the suggestion beside it), the group on the rating; the row then
    says «chọn tay» and the count follows."""
    _form_groups(regime)
    member = regime.b[0]
    client.force_login(regime.committee_b)
    response = _post(client, regime, member, category="leader", group=RETIRED)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert MemberCategory.objects.get(member=member, year=YEAR).category == "leader"
    assert MemberRating.objects.get(member=member, year=YEAR).group == RETIRED
    state = _source(regime, regime.round_b)
    row = next(r for r in state.rows if r.member.pk == member.pk)
    assert (row.group, row.group_by_hand) == (RETIRED, True)
    assert {q.key: q.good for q in state.quota} == {None: 4, RETIRED: 5}
    with translation.override("vi"):
        html = client.get(_url("rating_grid", regime.cell_b)).content.decode()
    assert "Đảng viên hưu trí (chọn tay)" in html


def test_hand_assignment_shows_by_hand(regime):
    """A PeerGroupAssignment (by hand, outside the rating) puts a 2B member in the group."""
    group = _form_groups(regime)
    PeerGroupAssignment.objects.create(group=group, member=regime.b[1])
    state = _source(regime, regime.round_b)
    row = next(r for r in state.rows if r.member.pk == regime.b[1].pk)
    assert (row.group, row.group_by_hand) == (RETIRED, True)


def _tasks(member, results):
    for i, result in enumerate(results):
        AssignedTask.objects.create(year=YEAR, member=member, title=f"Nhiệm vụ {i}", result=result)


def test_parts_need_a_reason_when_the_task_part_differs_from_the_ledger(client, regime):
    """2 tasks on time suggest 70; typing 60 without a reason saves nothing and says why;
    with a reason the committee's sheet is saved and the total becomes 28 + 60 = 88."""
    member = regime.b[2]
    _tasks(member, ["on_time", "on_time"])
    client.force_login(regime.committee_b)
    with translation.override("vi"):
        response = _post(client, regime, member, general="28", tasks="60", points="")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Có ô nhập chưa đúng. Chưa lưu gì." in html
    assert "khác mức gợi ý từ sổ nhiệm vụ (70): phải ghi lý do" in html  # P3
    assert "gợi ý 70" in html
    assert not ScoreSheet.objects.filter(member_rating__member=member).exists()
    response = _post(
        client, regime, member, general="28", tasks="60", points="", tasks_reason="Chậm báo cáo"
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    sheet = ScoreSheet.objects.get(member_rating__member=member, stage="committee")
    assert (sheet.general, sheet.tasks, sheet.tasks_suggested) == (28, 60, 70)
    assert sheet.tasks_reason == "Chậm báo cáo"
    assert MemberRating.objects.get(member=member, year=YEAR).points == Decimal(88)


def test_parts_that_do_not_add_up_to_the_total_are_refused(client, regime):
    member = regime.b[3]
    client.force_login(regime.committee_b)
    with translation.override("vi"):
        response = _post(client, regime, member, general="25", tasks="55", points="90")
    assert response.status_code == 200
    assert "không bằng tổng điểm 90" in response.content.decode()
    assert not ScoreSheet.objects.filter(member_rating__member=member).exists()


def test_save_with_a_refused_sheet_saves_nothing(regime):
    """All or nothing: a sheet the service refuses undoes the level saved with it."""
    member = regime.b[4]
    _tasks(member, ["on_time"])
    regime.round_b.refresh_from_db()
    rating = MemberRating.objects.get(member=member, year=YEAR)
    row = services.RowInput(
        member_id=member.pk,
        level="excellent",
        points=Decimal(80),
        version=rating.version,
        sheet=services.SheetInput("committee", Decimal(20), Decimal(60), ""),
    )
    with pytest.raises(services.RatingError):
        services.member_ratings_save(actor=None, round=regime.round_b, rows=[row])
    assert MemberRating.objects.get(member=member, year=YEAR).proposed_level == "good"


def test_submission_refused_with_one_line_per_peer_group(client, regime):
    """Sending ấp 2 is refused by the group quota; the refusal page says, for the group,
    how many HTXSNV against how many allowed and how many to lower."""
    _form_groups(regime)
    client.force_login(regime.committee_b)
    regime.round_b.refresh_from_db()
    with translation.override("vi"):
        response = client.post(
            _url("rating_grid", regime.cell_b),
            {"action": "submit_confirmed", "round_version": regime.round_b.version},
        )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Chưa gửi" in html
    lines = _quota_lines(html)
    assert any(
        line.startswith("Nhóm “Đảng viên hưu trí” 1/0 HTXSNV") and "cần hạ 1" in line
        for line in lines
    ), lines
    regime.round_b.refresh_from_db()
    assert regime.round_b.state == "draft"


def test_live_check_refreshes_the_cap_hint(client, regime):
    """The "≤" hint follows what is typed: 80 points cap HTXSNV at HTTNV (the M5 band), so the
    check answers the row's hint «≤HTTNV»; with HTTNV chosen the hint is sent empty."""
    client.force_login(regime.committee_b)
    mid = regime.star.pk
    rating = MemberRating.objects.get(member=regime.star, year=YEAR)
    data = {
        f"level_{mid}": "excellent",
        f"reason_{mid}": "",
        f"reason_note_{mid}": "",
        f"note_{mid}": "",
        f"points_{mid}": "80",
        f"version_{mid}": rating.version,
    }
    html = client.post(_url("rating_grid_check", regime.cell_b), data).content.decode()
    hint = re.search(rf'<span id="cap-{mid}"[^>]*>(.*?)</span></span>', html, re.S)
    assert hint and "≤HTTNV" in hint.group(1)
    data[f"level_{mid}"] = "good"
    html = client.post(_url("rating_grid_check", regime.cell_b), data).content.decode()
    assert re.search(rf'<span id="cap-{mid}" class="grid-cap" hx-swap-oob="true"></span>', html)


def test_a_page_too_large_to_post_without_javascript_says_so(client, regime, settings):
    """Past Django's field limit the page's boxes come disabled (grid.js enables them) with a
    notice for browsers without JavaScript; the whole organization's page links each cell."""
    client.force_login(regime.committee_b)
    html = client.get(_url("rating_grid", regime.cell_b)).content.decode()
    assert "data-nojs-disabled" not in html
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 40
    with translation.override("vi"):
        html = client.get(_url("rating_grid", regime.cell_b)).content.decode()
    assert '<fieldset class="grid-fieldset" disabled data-nojs-disabled>' in html
    assert "<noscript>" in html and "Bật JavaScript" in html
    assert "Trang này có 6 đảng viên: quá nhiều ô để lưu một lần" in html


@pytest.mark.parametrize("groups", [False, True])
def test_the_tallys_member_count_is_the_organizations(regime, groups):
    """The member count read with the tally (one statement) is `members_count`'s, with or
    without peer groups, and a round with no rating yet still counts its members."""
    if groups:
        _form_groups(regime)
    for round_ in (regime.round_b, open_round(regime.new_cell, YEAR)):
        source = grid.grid_source(round=round_)
        cells = [c.pk for c in source.cells]
        assert source.tally.members == grid.members_count(cell_ids=cells, day=source.period_end)
    MemberRating.objects.filter(round=regime.round_a).delete()
    source = grid.grid_source(round=regime.round_a)
    assert source.tally.counts == {}
    assert source.tally.members == 4


def test_the_grids_shared_posts_give_the_same_led_units_and_categories(regime):
    """One read of the year's posts (the grid's) gives the led units and the categories'
    suggestions that each read on its own gives."""
    leader = regime.b[0]
    for title, unit in (("Phó Bí thư", regime.new_cell), ("Bí thư", regime.cell_b)):
        Post.objects.create(
            member=leader, kind=PostKind.PARTY, title=title, organization=unit, start=None
        )
    Post.objects.create(member=leader, kind=PostKind.GOVERNMENT, title="Trưởng ấp")
    ids = [m.pk for m in [*regime.a, *regime.b, regime.star]]
    posts = regime_selectors.posts_held_in_year(member_ids=ids, year=YEAR, with_organization=True)
    alone = facts.led_units_by_member(member_ids=ids, year=YEAR, with_tasks=True)
    shared = facts.led_units_by_member(member_ids=ids, year=YEAR, with_tasks=True, posts=posts)
    assert shared == alone
    assert len(alone[0][leader.pk]) == 2
    members = [*regime.a, *regime.b, regime.star]
    assert regime_selectors.member_categories_for(
        members=members, year=YEAR, posts=posts
    ) == regime_selectors.member_categories_for(members=members, year=YEAR)


def test_a_save_does_not_read_the_quotas_inputs(client, regime):
    """A save builds its form from the posted rows and their groups: it reads neither the
    ceiling decisions nor the other units' proposals in the peer groups, which the page and
    the live check still count (ấp 1's retired members in the group's line)."""
    _form_groups(regime)
    client.force_login(regime.committee_b)
    with CaptureQueriesContext(connection) as queries:
        response = _post(client, regime, regime.b[0], note="đã họp")
    assert response.status_code == 302
    assert MemberRating.objects.get(member=regime.b[0], year=YEAR).note == "đã họp"
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [q for q in sql if "assessments_quotaceilingdecision" in q]
    # The other units' proposals: the year's ratings under the deciding level's path.
    assert not [q for q in sql if 'FROM "assessments_memberrating"' in q and "LIKE" in q]
    state = _source(regime, regime.round_b)
    assert {q.key: (q.good, q.excellent) for q in state.quota}[RETIRED] == (4, 1)
