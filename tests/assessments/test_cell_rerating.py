"""Mẫu 03 when a đảng ủy cơ sở reopens and redoes its decision on a chi bộ trực thuộc
(Hướng dẫn 43-HD/BTCTW §3 with Điều 13, 15 of Quy định 366), on PostgreSQL.

The reopening is scoped to the cell: it keeps the cell's and its members' decided levels and
the reason, it is closed when the đảng ủy decides the cell again (not by another cell's
decision, nor by the tier above's), and its Mẫu 03 is the đảng ủy's, issued once by it.
"""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from assessments import services
from assessments.deciders import decider_of
from assessments.models import RatingReopening
from assessments.reports.forms import render as form_render
from cells.choices import OrganizationType as T
from cells.choices import Role
from tests import factories

from .conftest import proposed_round, save_levels, submit
from .test_reports import pdf_text, squash

pytestmark = pytest.mark.django_db


@pytest.fixture
def redone(school, people):
    """Cells A and B decided HTTNV; A reopened ("Chi bộ họp lại"), one member lowered to HTNV
    and cell A decided again."""
    org, cell_a, cell_b, _block, _cell_c, members = school
    round_ = proposed_round(school)
    reviewer = people["school_reviewer"]
    services.subunits_decide(actor=reviewer, round=round_, organizations=[cell_a, cell_b])
    services.subunit_reopen(
        actor=reviewer, round=round_, organization=cell_a, reason="Chi bộ họp lại"
    )
    round_.refresh_from_db()
    lowered = members[cell_a][0]
    save_levels(round_, {lowered: "complete"}, points=Decimal("60"))
    round_.refresh_from_db()
    return round_, lowered


def test_reopening_a_cell_keeps_what_it_withdrew_and_closes_on_its_new_decision(
    school, people, redone
):
    org, cell_a, cell_b, _block, _cell_c, members = school
    round_, lowered = redone
    reopening = RatingReopening.objects.get(round=round_)
    assert reopening.organization == cell_a
    assert reopening.reason == "Chi bộ họp lại"
    assert reopening.withdrawn == {
        "members": {str(m.pk): "good" for m in members[cell_a]},
        "organizations": {str(cell_a.pk): "good"},
    }
    # Cell B's members are not part of it; deciding another cell does not close it.
    assert str(members[cell_b][0].pk) not in reopening.withdrawn["members"]
    services.subunits_decide(
        actor=people["school_reviewer"], round=round_, organizations=[school[4]]
    )
    reopening.refresh_from_db()
    assert reopening.redecided_at is None
    services.subunits_decide(actor=people["school_reviewer"], round=round_, organizations=[cell_a])
    reopening.refresh_from_db()
    assert reopening.redecided_by == people["school_reviewer"]
    assert reopening.changes == [
        {"subject": "member", "id": lowered.pk, "old": "good", "new": "complete"}
    ]


def test_the_tier_above_closes_only_its_own_reopening(school, people, redone):
    """The round's decision by the new commune, reopened and decided again, leaves the cell's
    record alone, and its own record lists no cell member."""
    org, cell_a, *_rest = school
    round_, _lowered = redone
    services.subunits_decide(
        actor=people["school_reviewer"], round=round_, organizations=[cell_a, *school[3:5]]
    )
    services.organization_rating_save(
        actor=None, round=round_, organization=org, level="good", points=Decimal("80")
    )
    round_.refresh_from_db()
    submit(round_)
    above = people["commune_reviewer"]
    services.round_decide(actor=above, round=round_)
    services.round_reopen(actor=above, round=round_, reason="Xem lại đảng bộ")
    round_.refresh_from_db()
    own = RatingReopening.objects.get(round=round_, organization__isnull=True)
    assert own.withdrawn["members"] == {}  # the cells' members stay the đảng ủy's
    assert list(own.withdrawn["organizations"]) == [str(org.pk)]
    submit(round_)
    services.round_decide(actor=above, round=round_)
    own.refresh_from_db()
    assert own.redecided_at is not None and own.changes == []
    cell = RatingReopening.objects.get(round=round_, organization=cell_a)
    assert cell.redecided_by == people["school_reviewer"]


def test_cell_form_03_is_the_dang_uy_decision_issued_once_by_it(school, people, redone, tmp_path):
    org, cell_a, *_rest = school
    round_, lowered = redone
    reopening = RatingReopening.objects.get(round=round_, organization=cell_a)
    draft = squash(
        pdf_text(
            form_render.document_pdf(
                form_render.rerating_document(reopening=reopening, exported_by="X")
            ),
            tmp_path,
            layout=False,
        )
    )
    assert "Chi bộ Giáo viên" in draft and lowered.full_name in draft
    services.subunits_decide(actor=people["school_reviewer"], round=round_, organizations=[cell_a])
    reopening.refresh_from_db()
    # The tier above did not decide this cell: it cannot issue the đảng ủy's decision.
    with pytest.raises(PermissionDenied):
        form_render.rerating_issue(actor=people["commune_reviewer"], reopening=reopening)
    issued = form_render.rerating_issue(actor=people["school_reviewer"], reopening=reopening)
    assert issued.document.organization == org
    assert issued.document.number.endswith("-QĐ/ĐU")
    with issued.document.pdf.open("rb") as fh:
        text = squash(pdf_text(fh.read(), tmp_path, layout=False))
    assert "Mẫu 03" in text and "QUYẾT ĐỊNH" in text and issued.document.number in text
    assert "ĐẢNG ỦY TRƯỜNG THPT AN HÒA" in text and "T/M ĐẢNG ỦY" in text
    assert "T/M BAN THƯỜNG VỤ" not in text
    assert "xếp loại lại chất lượng năm 2026 của Chi bộ Giáo viên" in text
    assert lowered.full_name in text and "Lý do: Chi bộ họp lại" in text


def test_form_03_stays_with_the_dang_uy_that_decided_again_after_the_cell_moves(
    province, school, people, redone
):
    """The cell decided again by its đảng ủy, then moved under another grassroots committee
    before the decision is issued: the Mẫu 03 is still the first đảng ủy's, issued by it,
    not by the committee the cell belongs to now."""
    org, cell_a, *_rest = school
    round_, _lowered = redone
    services.subunits_decide(actor=people["school_reviewer"], round=round_, organizations=[cell_a])
    reopening = RatingReopening.objects.get(round=round_, organization=cell_a)
    assert reopening.issuer == org
    other = factories.org(
        province.new_commune,
        "BG-AH-YT",
        "Đảng bộ Trạm Y tế An Hòa",
        T.GRASSROOTS_COMMITTEE,
        is_grassroots=True,
        established_on=datetime.date(2020, 1, 1),
    )
    cell_a.refresh_from_db()
    cell_a.move(other, "sorted-child")
    reopening.refresh_from_db()
    assert decider_of(reopening.organization).organization == other  # today's tree
    assert form_render.rerating_issuer(reopening) == org
    with pytest.raises(PermissionDenied):
        form_render.rerating_issue(
            actor=factories.user_with_role(other, Role.REVIEWER), reopening=reopening
        )
    issued = form_render.rerating_issue(actor=people["school_reviewer"], reopening=reopening)
    assert issued.document.organization == org


def test_subunits_screen_lists_the_cell_reopening_and_issues_it(school, people, redone, client):
    org, cell_a, *_rest = school
    round_, _lowered = redone
    reopening = RatingReopening.objects.get(round=round_, organization=cell_a)
    screen = reverse("assessments:review_subunits", args=[round_.pk])
    pdf_url = reverse("assessments:rerating_pdf", args=[round_.pk, reopening.pk])
    issue = reverse("assessments:rerating_issue", args=[round_.pk, reopening.pk])
    client.force_login(people["school_reviewer"])
    page = client.get(screen).content.decode()
    assert "Quyết định xếp loại lại (Mẫu 03)" in page and pdf_url in page
    assert issue not in page  # not decided again yet: a draft, nothing to issue
    services.subunits_decide(actor=people["school_reviewer"], round=round_, organizations=[cell_a])
    page = client.get(screen).content.decode()
    assert issue in page
    client.force_login(people["commune_reviewer"])
    assert client.post(issue).status_code == 403
    client.force_login(people["school_reviewer"])
    assert client.post(issue).status_code == 302
    reopening.refresh_from_db()
    assert reopening.document is not None
    assert reopening.document.number in client.get(screen).content.decode()


def test_two_cells_reopened_at_once_and_a_cell_beside_the_rounds_reopening(school, people):
    """One open reopening per cell and one for the round's own decision: the đảng ủy may
    reopen two of its cells before deciding either again, and reopen a kept cell while the
    tier above has the round's decision reopened; a cell reopened twice is refused."""
    org, cell_a, cell_b, block, cell_c, _members = school
    round_ = proposed_round(school)
    reviewer = people["school_reviewer"]
    services.subunits_decide(
        actor=reviewer, round=round_, organizations=[cell_a, cell_b, block, cell_c]
    )
    for cell in (cell_a, cell_b):
        services.subunit_reopen(actor=reviewer, round=round_, organization=cell, reason="Họp lại")
    assert RatingReopening.objects.filter(round=round_, redecided_at__isnull=True).count() == 2
    with pytest.raises(services.RatingError):  # not decided: nothing to reopen
        services.subunit_reopen(actor=reviewer, round=round_, organization=cell_a, reason="Lại")
    services.subunits_decide(actor=reviewer, round=round_, organizations=[cell_a, cell_b])
    services.organization_rating_save(
        actor=None, round=round_, organization=org, level="good", points=Decimal("80")
    )
    submit(round_)
    above = people["commune_reviewer"]
    services.round_decide(actor=above, round=round_)
    services.round_reopen(actor=above, round=round_, reason="Xem lại đảng bộ")
    services.subunit_reopen(actor=reviewer, round=round_, organization=cell_c, reason="Sai sót")
    open_ = RatingReopening.objects.filter(round=round_, redecided_at__isnull=True)
    assert set(open_.values_list("organization", flat=True)) == {None, cell_c.pk}
