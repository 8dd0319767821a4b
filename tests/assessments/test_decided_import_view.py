"""The decided-history import from the UI: an administrator of the deciding level checks a past
year's file, then imports it as decided; another role is refused."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assessments.choices import RoundState
from assessments.models import MemberRating, RatingRound
from cells.choices import Role
from cells.models import AuditEntry, Organization
from tests import factories
from tests.assessments.test_import_ratings import (  # noqa: F401  (fixtures)
    DATA,
    bg,
    sample_province,
    vietnamese,
)

pytestmark = pytest.mark.usefixtures("bg")
URL = reverse("assessments:ratinground_import")


def _post(client, *, write: bool, **extra):
    data = {
        "file": SimpleUploadedFile("xep_loai_2020.csv", (DATA / "xep_loai_2020.csv").read_bytes()),
        "organization": "BG",
        "year": "2020",
        "decision_number": "125-QĐ/ĐU",
        "decision_date": "15/01/2021",
        **extra,
    }
    if write:
        data["write"] = "on"
    return client.post(URL, data)


def test_decided_import_page_checks_then_imports_as_decided(client):
    """Check only: the counts, nothing written. Import: every round decided by the decision,
    the deciding user recorded on the audit rows."""
    admin = factories.user_with_role(Organization.objects.get(code="BG"), Role.ADMIN)
    client.force_login(admin)

    page = _post(client, write=False).content.decode()

    assert "nothing written" in page or "không ghi" in page
    assert not RatingRound.objects.exists()

    page = _post(client, write=True).content.decode()

    assert "Imported as decided" in page or "Đã nhập là đã quyết định" in page
    assert set(RatingRound.objects.values_list("state", "decision_date")) == {
        (RoundState.DECIDED, datetime.date(2021, 1, 15))
    }
    assert MemberRating.objects.filter(year=2020).exclude(decided_level="").count() == 55
    decisions = AuditEntry.objects.filter(action="round_decide_recorded")
    assert decisions.count() == 3 and {e.actor_id for e in decisions} == {admin.pk}


def test_decided_import_page_lists_errors_and_writes_nothing(client):
    """A year already decided without a reason: each row's error listed, nothing changed."""
    admin = factories.user_with_role(Organization.objects.get(code="BG"), Role.ADMIN)
    client.force_login(admin)
    assert _post(client, write=True).status_code == 200

    page = _post(client, write=True, decision_number="131-QĐ/ĐU").content.decode()

    assert 'id="import-errors"' in page
    assert "đã được quyết định" in page or "already decided" in page
    assert set(RatingRound.objects.values_list("decision_number", flat=True)) == {"125-QĐ/ĐU"}


def test_decided_import_page_refuses_a_secretary(client):
    """A cell or commune secretary does not decide: the page is refused."""
    secretary = factories.user_with_role(Organization.objects.get(code="BG-AH"), Role.SECRETARY)
    client.force_login(secretary)

    assert client.get(URL).status_code == 403
    assert _post(client, write=True).status_code == 403
    assert not RatingRound.objects.exists()
