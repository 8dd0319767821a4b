import pytest

from cells.choices import Role
from documents.choices import SIGNATURE_FIELDS, SignatureRole
from documents.services import trustroot_load
from tests import factories
from tests.assessments.conftest import district_reviewer  # noqa: F401  (fixture)
from tests.assessments.test_reports import rated  # noqa: F401  (fixture)

from . import ca as test_ca


@pytest.fixture(scope="session")
def authority():
    """A test root CA with a signer (a person) and an organization certificate."""
    root = test_ca.make_ca()
    return {
        "root": root,
        "signer": test_ca.make_signer(root, "Nguyễn Văn Bí Thư"),
        "organization": test_ca.make_signer(
            root, "Đảng ủy xã An Hòa", organization="Đảng ủy xã An Hòa"
        ),
    }


@pytest.fixture
def trusted(db, authority):
    """The test root loaded as an administrator would."""
    return trustroot_load(actor=None, name="Test CA", content=authority["root"].pem)


@pytest.fixture
def staff(province):
    return factories.user_with_role(province.old_commune, Role.REPORTS, username="vanthu")


def sign_both(pdf: bytes, authority, *, signer=None, organization=None) -> bytes:
    """Sign the signer's field then the organization's, as the two tokens would."""
    root = authority["root"]
    pdf = test_ca.sign(
        pdf,
        field=SIGNATURE_FIELDS[SignatureRole.SIGNER],
        who=signer or authority["signer"],
        ca=root,
    )
    return test_ca.sign(
        pdf,
        field=SIGNATURE_FIELDS[SignatureRole.ORGANIZATION],
        who=organization or authority["organization"],
        ca=root,
    )
