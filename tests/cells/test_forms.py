"""Forms of the cells app: they check shape (formats, dates) and speak Vietnamese."""

import datetime

import pytest

from cells.choices import Role
from cells.forms import MemberEditForm, MemberEventForm, MemberForm, OrganizationForm
from tests import factories

pytestmark = pytest.mark.django_db


def _member_data(**overrides):
    data = {
        "full_name": "Hoàng Thị Lan",
        "gender": "female",
        "record_number": " 012345hg ",
        "card_number": "1234 5678",
        "citizen_id": "",
        "admitted_on": "03/02/2000",
    }
    return {**data, **overrides}


def test_member_form_normalises_numbers():
    """Record number is upper-cased, spaces dropped; an empty CCCD is stored as absent."""
    form = MemberForm(data=_member_data(), user=factories.UserFactory())
    assert form.is_valid(), form.errors
    assert form.cleaned_data["record_number"] == "012345HG"
    assert form.cleaned_data["card_number"] == "12345678"
    assert form.cleaned_data["citizen_id"] is None
    assert form.cleaned_data["admitted_on"] == datetime.date(2000, 2, 3)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("record_number", "01234HG", "Số lý lịch gồm 6 chữ số"),
        ("record_number", "012345HGXX", "Số lý lịch gồm 6 chữ số"),
        ("card_number", "1234567", "Số thẻ đảng viên phải gồm đúng 8 chữ số."),
        ("citizen_id", "01234567890A", "Số CCCD phải gồm đúng 12 chữ số."),
        ("admitted_on", "2000-02-03", "Nhập ngày theo dạng ngày/tháng/năm"),
        ("full_name", "", "Vui lòng nhập họ và tên đảng viên."),
    ],
)
def test_member_form_rejects_bad_shapes_in_vietnamese(field, value, message):
    """Each malformed value is refused on its own field with a Vietnamese explanation."""
    form = MemberForm(data=_member_data(**{field: value}), user=factories.UserFactory())
    assert not form.is_valid()
    assert any(message in error for error in form.errors[field])


def test_member_form_full_membership_not_before_admission():
    """The full membership date cannot come before the admission date."""
    form = MemberForm(data=_member_data(full_member_on="01/01/1999"), user=factories.UserFactory())
    assert not form.is_valid()
    assert "Ngày chính thức không được trước ngày vào Đảng." in form.errors["full_member_on"]


def test_member_edit_form_offers_only_visible_active_cells(province):
    """The transfer list holds the user's active cells only, never another province's."""
    user = factories.user_with_role(province.province, Role.SECRETARY)
    form = MemberEditForm(user=user)
    codes = {o.code for o in form.fields["cell"].queryset}
    assert codes == {"BG-AH-AH01", "BG-PA-AH-C02"}
    assert list(form.fields)[0] == "cell"


def test_organization_form_successor_by_code_in_scope(province):
    """The successor is typed as a code and must be a unit the user can see."""
    user = factories.user_with_role(province.province, Role.SECRETARY)
    data = {"name": "Chi bộ mới", "code": " BG-X ", "type": "cell", "successor": "BG-AH"}
    form = OrganizationForm(data=data, user=user)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["successor"] == province.new_commune
    assert form.cleaned_data["code"] == "BG-X"
    form = OrganizationForm(data={**data, "successor": "HG"}, user=user)
    assert not form.is_valid()
    assert "Không tìm thấy đơn vị có mã này" in form.errors["successor"][0]


def test_organization_form_dissolution_not_before_founding(province):
    """A unit cannot be dissolved before it was founded."""
    form = OrganizationForm(
        data={
            "name": "Chi bộ mới",
            "code": "BG-X",
            "type": "cell",
            "established_on": "01/07/2025",
            "dissolved_on": "30/06/2025",
        },
        user=factories.UserFactory(),
    )
    assert not form.is_valid()
    assert form.errors["dissolved_on"] == ["Ngày giải thể không được trước ngày thành lập."]


def test_member_event_form_discipline_form_only_with_discipline():
    """A discipline needs its form; any other event must not carry one."""
    form = MemberEventForm(data={"kind": "discipline", "start": "01/02/2025"})
    assert not form.is_valid()
    assert form.errors["discipline_form"] == ["Vui lòng chọn hình thức kỷ luật."]
    form = MemberEventForm(
        data={"kind": "sick_leave", "start": "01/02/2025", "discipline_form": "warning"}
    )
    assert not form.is_valid()
    assert "kỷ luật" in form.errors["discipline_form"][0]
    form = MemberEventForm(
        data={"kind": "discipline", "start": "01/02/2025", "discipline_form": "warning"}
    )
    assert form.is_valid(), form.errors
