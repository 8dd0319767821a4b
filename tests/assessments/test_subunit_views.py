"""The screens of HD 43 §3 through the test client: the đảng ủy cơ sở sees its chi bộ trực thuộc
and decides them (after a confirmation of scope); the tier above sees who acts next and
waits; another unit's round is a 404."""

import pytest
from django.urls import reverse

from assessments import deciders, services
from assessments.models import MemberRating, OrganizationRating
from cells.choices import OrganizationType as T
from cells.choices import Role
from tests import factories

from .conftest import YEAR, make_members, proposed_round, submit

pytestmark = pytest.mark.django_db


def _url(round_):
    return reverse("assessments:review_subunits", args=[round_.pk])


def test_dang_uy_sees_its_cells_confirms_and_decides(client, school, people):
    org, cell_a, cell_b, _block, _cell_c, _members = school
    round_ = proposed_round(school)
    client.force_login(people["school_reviewer"])
    page = client.get(_url(round_)).content.decode()
    for name in ("Chi bộ Giáo viên", "Chi bộ Hành chính", "Đảng bộ bộ phận Khối A"):
        assert name in page
    assert "Đảng ủy Trường THPT An Hòa hoàn thành đề xuất và quyết định 4 chi bộ" in page
    assert 'name="cells"' in page
    # First the scope, and nothing decided.
    response = client.post(_url(round_), {"action": "decide", "cells": [cell_a.pk, cell_b.pk]})
    text = response.content.decode()
    assert "Quyết định 2 đơn vị, 4 đảng viên?" in text
    assert "Chi bộ Giáo viên" in text and "Chi bộ Hành chính" in text
    assert not OrganizationRating.objects.filter(decided_at__isnull=False).exists()
    response = client.post(
        _url(round_), {"action": "decide", "cells": [cell_a.pk, cell_b.pk], "confirmed": "1"}
    )
    assert response.status_code == 302
    decided = OrganizationRating.objects.filter(decided_at__isnull=False)
    assert set(decided.values_list("organization_id", flat=True)) == {cell_a.pk, cell_b.pk}
    page = client.get(_url(round_)).content.decode()
    assert "Đã quyết định 2 / 4." in page
    assert "Mở lại quyết định xếp loại Chi bộ Giáo viên" in page


def test_reopening_a_cell_confirms_with_the_reason(client, school, people):
    org, cell_a, *_rest = school
    round_ = proposed_round(school)
    services.subunits_decide(actor=people["school_reviewer"], round=round_, organizations=[cell_a])
    client.force_login(people["school_reviewer"])
    form = {"action": "reopen", "cell": cell_a.pk, "reason": "Chi bộ họp lại"}
    text = client.post(_url(round_), form).content.decode()
    assert "Mở lại kết quả đã quyết định của 1 đơn vị, 2 đảng viên?" in text
    assert "Chi bộ họp lại" in text
    assert OrganizationRating.objects.get(organization=cell_a).decided_at is not None
    client.post(_url(round_), {**form, "confirmed": "1"})
    assert OrganizationRating.objects.get(organization=cell_a).decided_at is None


def test_tier_above_waits_and_cannot_decide_the_cells(client, province, school, people):
    org, cell_a, *_rest = school
    round_ = proposed_round(school)
    submit(round_)
    client.force_login(people["commune_reviewer"])
    detail = client.get(reverse("assessments:review_detail", args=[round_.pk])).content.decode()
    assert "Chờ Đảng ủy Trường THPT An Hòa quyết định 4 chi bộ trực thuộc" in detail
    assert "review-waiting-steps" in detail
    assert reverse("assessments:review_decide", args=[round_.pk]) not in detail
    page = client.get(_url(round_)).content.decode()
    assert 'name="cells"' not in page  # read-only for the tier above
    response = client.post(
        _url(round_), {"action": "decide", "cells": [cell_a.pk], "confirmed": "1"}
    )
    assert response.status_code == 403
    # The list says why the unit cannot be selected yet.
    listing = client.get(
        reverse("assessments:review_list", args=[province.new_commune.pk, YEAR])
    ).content.decode()
    assert "Chờ Đảng ủy Trường THPT An Hòa quyết định 4 chi bộ trực thuộc" in listing
    assert f'value="{round_.pk}"' not in listing


def test_the_list_counts_the_steps_still_waiting(client, province, school, people):
    """Two of the four cells decided by the đảng ủy: the list waits for the other two, and
    the tuples it reads agree with the steps the screens build."""
    org, cell_a, cell_b, *_rest = school
    round_ = proposed_round(school)
    submit(round_)
    services.subunits_decide(
        actor=people["school_reviewer"], round=round_, organizations=[cell_a, cell_b]
    )
    round_.refresh_from_db()
    waiting = deciders.pending_steps_for([round_])[round_.pk]
    built = [s.decider for s in deciders.subunit_steps(round_) if not s.decided]
    assert [d.label for d in waiting] == [d.label for d in built]
    assert len(waiting) == 2
    client.force_login(people["commune_reviewer"])
    listing = client.get(
        reverse("assessments:review_list", args=[province.new_commune.pk, YEAR])
    ).content.decode()
    assert "Chờ Đảng ủy Trường THPT An Hòa quyết định 2 chi bộ trực thuộc" in listing


def test_tier_above_decides_once_the_cells_are(client, school, people):
    org, *_rest = school
    round_ = proposed_round(school)
    submit(round_)
    services.subunits_decide(
        actor=people["school_reviewer"], round=round_, organizations=list(school[1:5])
    )
    client.force_login(people["commune_reviewer"])
    url = reverse("assessments:review_decide", args=[round_.pk])
    detail = client.get(reverse("assessments:review_detail", args=[round_.pk])).content.decode()
    assert "Chờ Ban Thường vụ Đảng ủy xã An Hòa quyết định." in detail
    assert url in detail
    # The decision acts on the organization itself: no member is left for it to decide.
    text = client.post(url, {"quota_exception": ""}).content.decode()
    assert "Quyết định 1 đơn vị, 0 đảng viên?" in text
    client.post(url, {"quota_exception": "", "confirmed": "1"})
    round_.refresh_from_db()
    assert round_.state == "decided"


def test_dang_uy_review_home_leads_to_its_cells(client, school, people):
    org, *_rest = school
    round_ = proposed_round(school)
    client.force_login(people["school_reviewer"])
    page = client.get(
        reverse("assessments:review_list", args=[org.pk, YEAR]), follow=True
    ).content.decode()
    assert "Các chi bộ trực thuộc Đảng bộ Trường THPT An Hòa" in page
    assert _url(round_) in page


def test_another_units_cells_are_a_404(client, province, school):
    round_ = proposed_round(school)
    other = factories.org(
        province.new_commune,
        "BG-AH-YT",
        "Đảng bộ Trạm Y tế",
        T.GRASSROOTS_COMMITTEE,
        is_grassroots=True,
    )
    client.force_login(factories.user_with_role(other, Role.REVIEWER))
    assert client.get(_url(round_)).status_code == 404
    response = client.post(
        _url(round_), {"action": "decide", "cells": [school[1].pk], "confirmed": "1"}
    )
    assert response.status_code == 404
    client.force_login(factories.user_with_role(province.foreign_cell, Role.ADMIN))
    assert client.get(_url(round_)).status_code == 404


def test_grid_shows_a_decided_cells_rows_read_only(client, school, people):
    """Once the đảng ủy decided a chi bộ trực thuộc, the grassroots grid shows that cell's rows
    without boxes (a save of them would be refused), with the decided level; the other cells'
    rows stay editable and a save of them goes through."""
    org, cell_a, cell_b, _block, _cell_c, members = school
    round_ = proposed_round(school)
    services.subunits_decide(actor=people["school_reviewer"], round=round_, organizations=[cell_a])
    client.force_login(people["school_secretary"])
    url = reverse("assessments:rating_grid", kwargs={"org_pk": org.pk, "year": YEAR})
    page = client.get(url).content.decode()
    locked, open_ = members[cell_a][0], members[cell_b][0]
    assert f'name="level_{open_.pk}"' in page
    assert f'name="level_{locked.pk}"' not in page
    assert f'name="version_{locked.pk}"' not in page
    row = page[page.index(f'id="member-{locked.pk}"') :]
    row = row[: row.index("</tbody>")]
    assert "HTTNV" in row and "grid-value" in row
    # Someone joining the decided cell afterwards: read-only too, saying how to rate them.
    (late,) = make_members(cell_a, 1, family="Lê Văn")
    page = client.get(url).content.decode()
    row = page[page.index(f'id="member-{late.pk}"') :]
    row = row[: row.index("</tbody>")]
    assert f'name="level_{late.pk}"' not in row
    assert "đảng ủy mở lại quyết định của chi bộ để xếp loại đồng chí" in row
    rating = MemberRating.objects.get(round=round_, member=open_)
    response = client.post(
        url,
        {
            "action": "save",
            f"level_{open_.pk}": "complete",
            f"points_{open_.pk}": "60",
            f"version_{open_.pk}": rating.version,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rating.refresh_from_db()
    assert rating.proposed_level == "complete"
