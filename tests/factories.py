"""Test data builders (factory_boy) and a small hand-built province."""

import datetime
from pathlib import Path
from types import SimpleNamespace

import factory
from django.contrib.auth import get_user_model

from cells import services
from cells.choices import OrganizationType, Role
from cells.models import Organization, RoleAssignment

# The suite's own sample province (tests/data/README.md): nothing is read from outside the
# checkout, so a fresh clone tests itself.
SAMPLE_DATA = Path(__file__).resolve().parent / "data"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("mat-khau-thu-nghiem")


def user_with_role(organization: Organization, role: str = Role.SECRETARY, **kwargs):
    user = UserFactory(**kwargs)
    RoleAssignment.objects.create(user=user, organization=organization, role=role)
    return user


def organization_edit_data(organization: Organization, **changes) -> dict:
    """The unit edit form (cells:organization_edit) as posted for `organization`, changed."""
    return {
        "code": organization.code,
        "name": organization.name,
        "type": organization.type,
        "established_on": organization.established_on.strftime("%d/%m/%Y"),
        "dissolved_on": "",
        "successor": "",
        "document_abbreviation": organization.document_abbreviation,
        **changes,
    }


def org(parent, code, name, type_, **fields) -> Organization:
    return services.organization_create(
        actor=None, parent=parent, code=code, name=name, type=type_, audit=False, **fields
    )


_member_seq = iter(range(1, 10**6))


def member(cell, full_name="Nguyễn Văn An", **fields):
    n = next(_member_seq)
    fields.setdefault("record_number", f"{n:06d}BG")
    fields.setdefault("gender", "male")
    fields.setdefault("admitted_on", datetime.date(2000, 1, 1))
    return services.member_create(actor=None, cell=cell, full_name=full_name, audit=False, **fields)


def build_small_province() -> SimpleNamespace:
    d = datetime.date
    t = OrganizationType
    province = org(None, "BG", "Đảng bộ tỉnh Bình Giang", t.PROVINCE, established_on=d(1992, 1, 1))
    new_commune = org(
        province,
        "BG-AH",
        "Đảng bộ xã An Hòa",
        t.COMMUNE,
        established_on=d(2025, 7, 1),
        document_abbreviation="ĐU",
    )
    new_cell = org(
        new_commune,
        "BG-AH-AH01",
        "Chi bộ ấp 1 (An Hòa)",
        t.GRASSROOTS_CELL,
        is_grassroots=True,
        established_on=d(2025, 7, 1),
        document_abbreviation="CB",
    )
    district = org(
        province,
        "BG-PA",
        "Đảng bộ huyện Phú An",
        t.DISTRICT,
        established_on=d(1992, 1, 1),
        dissolved_on=d(2025, 6, 30),
    )
    old_commune = org(
        district,
        "BG-PA-AH",
        "Đảng bộ xã An Hòa",
        t.COMMUNE,
        is_grassroots=True,
        established_on=d(1992, 1, 1),
        dissolved_on=d(2025, 6, 30),
        successor=new_commune,
    )
    old_cell = org(
        old_commune,
        "BG-PA-AH-C01",
        "Chi bộ ấp 1",
        t.CELL,
        established_on=d(1995, 1, 1),
        dissolved_on=d(2025, 6, 30),
        successor=new_cell,
    )
    other_cell = org(
        old_commune, "BG-PA-AH-C02", "Chi bộ ấp 2", t.CELL, established_on=d(1995, 1, 1)
    )
    other_province = org(None, "HG", "Đảng bộ tỉnh Hà Giang", t.PROVINCE)
    foreign_cell = org(
        other_province, "HG-C01", "Chi bộ thôn Một", t.GRASSROOTS_CELL, is_grassroots=True
    )
    return SimpleNamespace(**locals())


def member_event(member_, kind, start, **fields):
    """A dated event recorded as a system action (no permission check, no audit row)."""
    return services.member_event_create(
        actor=None, member=member_, kind=kind, start=start, audit=False, **fields
    )
