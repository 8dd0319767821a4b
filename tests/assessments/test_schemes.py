"""The rating schemes of DOMAIN.md §4 as data. Pure: no database."""

import dataclasses
import unicodedata
from fractions import Fraction

import pytest

from assessments.schemes import (
    ASSESSMENT_CRITERIA_GRADES,
    ASSESSMENT_POINTS,
    ASSESSMENT_QUALITATIVE,
    CRITERIA_GRADES,
    QUOTA_SCOPE_GRASSROOTS,
    QUOTA_SCOPE_MEMBER_GROUP,
    QUOTA_SCOPE_PEER_GROUP,
    SCHEMES,
    Rank,
    scheme_by_code,
    scheme_for_year,
)

LABELS_2018 = (
    "Hoàn thành xuất sắc nhiệm vụ",
    "Hoàn thành tốt nhiệm vụ",
    "Hoàn thành nhiệm vụ",
    "Không hoàn thành nhiệm vụ",
)
MEMBER_LABELS_2008 = (
    "Đủ tư cách, hoàn thành xuất sắc nhiệm vụ",
    "Đủ tư cách, hoàn thành tốt nhiệm vụ",
    "Đủ tư cách, hoàn thành nhiệm vụ",
    "Vi phạm tư cách hoặc không hoàn thành nhiệm vụ",
)
ORGANIZATION_LABELS_2008 = (
    "Trong sạch, vững mạnh",
    "Hoàn thành tốt nhiệm vụ",
    "Hoàn thành nhiệm vụ",
    "Yếu kém",
)
SLUGS_2018 = ("excellent", "good", "complete", "not_complete")
MEMBER_SLUGS_2008 = (
    "qualified_excellent",
    "qualified_good",
    "qualified_complete",
    "violation_or_not_complete",
)
ORGANIZATION_SLUGS_2008 = ("pure_strong", "good", "complete", "weak")


@pytest.mark.parametrize(
    ("year", "code"),
    [
        (2008, "hd20-2008"),
        (2013, "hd20-2008"),
        (2014, "hd27-2014"),
        (2017, "hd27-2014"),
        (2018, "hd16-2018"),
        (2019, "hd21-2019"),
        (2022, "hd21-2019"),
        (2023, "hd25-2023"),
        (2024, "hd25-2023"),
        (2025, "hd43-2025"),
        (2031, "hd43-2025"),
    ],
)
def test_scheme_for_year_picks_the_period(year, code):
    """Each year maps to the scheme of its period, first and last years included."""
    assert scheme_for_year(year).code == code


@pytest.mark.parametrize("year", [2007, 1990, 0])
def test_scheme_for_year_rejects_years_before_2008(year):
    """There is no scheme before Hướng dẫn 20 (2008): a clear ValueError, not a wrong scheme."""
    with pytest.raises(ValueError, match="before 2008"):
        scheme_for_year(year)


def test_schemes_cover_2008_onward_without_gap():
    """The periods follow each other year after year, and only the last is open-ended."""
    for previous, following in zip(SCHEMES, SCHEMES[1:], strict=False):
        assert previous.last_year is not None
        assert following.first_year == previous.last_year + 1
    assert SCHEMES[0].first_year == 2008
    assert SCHEMES[-1].last_year is None


def test_scheme_codes_are_unique_and_found_by_code():
    """A stored rating finds its scheme again by its code."""
    assert len({s.code for s in SCHEMES}) == len(SCHEMES)
    for scheme in SCHEMES:
        assert scheme_by_code(scheme.code) is scheme
    with pytest.raises(ValueError):
        scheme_by_code("nope")


@pytest.mark.parametrize(
    ("year", "citations"),
    [
        (2010, ["Hướng dẫn 20-HD/BTCTW (10/10/2008)"]),
        (2015, ["Hướng dẫn 27-HD/BTCTW (25/09/2014)"]),
        (2018, ["Quy định 132-QĐ/TW (08/03/2018)", "Hướng dẫn 16-HD/BTCTW (24/09/2018)"]),
        (2020, ["Quy định 132-QĐ/TW (08/03/2018)", "Hướng dẫn 21-HD/BTCTW (18/10/2019)"]),
        (2023, ["Quy định 124-QĐ/TW (04/10/2023)", "Hướng dẫn 25-HD/BTCTW (10/11/2023)"]),
        (2025, ["Quy định 366-QĐ/TW (30/08/2025)", "Hướng dẫn 43-HD/BTCTW (31/10/2025)"]),
    ],
)
def test_basis_documents_are_cited_by_number_and_date(year, citations):
    """The basis of each period is cited with number and date as in DOMAIN §4."""
    scheme = scheme_for_year(year)
    assert [doc.citation for doc in scheme.basis] == citations
    assert scheme.citation == citations[-1].split(" (")[0]


@pytest.mark.parametrize(
    ("year", "issuers"),
    [
        (2010, ["Ban Tổ chức Trung ương"]),
        (2020, ["Bộ Chính trị", "Ban Tổ chức Trung ương"]),
    ],
)
def test_basis_documents_name_their_issuer(year, issuers):
    """Regulations (QĐ/TW) come from the Politburo, guidance (HD/BTCTW) from the Organization
    Commission."""
    assert [doc.issuer for doc in scheme_for_year(year).basis] == issuers


@pytest.mark.parametrize(
    ("year", "member_labels", "member_slugs", "org_labels", "org_slugs"),
    [
        (
            2008,
            MEMBER_LABELS_2008,
            MEMBER_SLUGS_2008,
            ORGANIZATION_LABELS_2008,
            ORGANIZATION_SLUGS_2008,
        ),
        (
            2016,
            MEMBER_LABELS_2008,
            MEMBER_SLUGS_2008,
            ORGANIZATION_LABELS_2008,
            ORGANIZATION_SLUGS_2008,
        ),
        (2018, LABELS_2018, SLUGS_2018, LABELS_2018, SLUGS_2018),
        (2021, LABELS_2018, SLUGS_2018, LABELS_2018, SLUGS_2018),
        (2024, LABELS_2018, SLUGS_2018, LABELS_2018, SLUGS_2018),
        (2025, LABELS_2018, SLUGS_2018, LABELS_2018, SLUGS_2018),
    ],
)
def test_labels_and_slugs_are_the_exact_wording(
    year, member_labels, member_slugs, org_labels, org_slugs
):
    """Labels are the exact Vietnamese wording of DOMAIN §4, best first, each with a stable slug."""
    scheme = scheme_for_year(year)
    assert tuple(lv.label for lv in scheme.member_levels) == member_labels
    assert tuple(lv.slug for lv in scheme.member_levels) == member_slugs
    assert tuple(lv.label for lv in scheme.organization_levels) == org_labels
    assert tuple(lv.slug for lv in scheme.organization_levels) == org_slugs


@pytest.mark.parametrize(
    ("year", "member_shorts", "org_shorts"),
    [
        (2012, ("HTXSNV", "HTTNV", "HTNV", "KHTNV"), ("TSVM", "HTTNV", "HTNV", "Yếu kém")),
        (2020, ("HTXSNV", "HTTNV", "HTNV", "KHTNV"), ("HTXSNV", "HTTNV", "HTNV", "KHTNV")),
    ],
)
def test_short_forms(year, member_shorts, org_shorts):
    """Screens and tables use HTXSNV, HTTNV, HTNV, KHTNV and TSVM."""
    scheme = scheme_for_year(year)
    assert tuple(lv.short for lv in scheme.member_levels) == member_shorts
    assert tuple(lv.short for lv in scheme.organization_levels) == org_shorts


@pytest.mark.parametrize("year", [2008, 2014, 2018, 2019, 2023, 2025])
def test_levels_are_ordered_by_rank(year):
    """excellent > good > complete > not_complete, so caps like "at most HTNV" compare."""
    scheme = scheme_for_year(year)
    best, good, complete, worst = scheme.member_levels
    assert best > good > complete > worst
    assert worst < complete <= complete < best
    assert sorted([worst, best, complete, good], reverse=True) == list(scheme.member_levels)
    assert [lv.rank for lv in scheme.member_levels] == [
        Rank.EXCELLENT,
        Rank.GOOD,
        Rank.COMPLETE,
        Rank.NOT_COMPLETE,
    ]
    assert scheme.member_level_at(Rank.COMPLETE) is complete
    assert scheme.organization_level_at(Rank.EXCELLENT) is scheme.organization_levels[0]


def test_level_lookup_by_slug_rejects_other_schemes_slugs():
    """A slug of another period is not silently accepted."""
    assert scheme_for_year(2021).level("good").label == "Hoàn thành tốt nhiệm vụ"
    with pytest.raises(ValueError, match="pure_strong"):
        scheme_for_year(2021).level("pure_strong")


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize(
    ("year", "text", "slug"),
    [
        (2021, "Hoàn thành xuất sắc nhiệm vụ", "excellent"),
        (2021, _nfd("Hoàn thành xuất sắc nhiệm vụ"), "excellent"),
        (2021, "  HOÀN   THÀNH tốt NHIỆM VỤ ", "good"),
        (2021, _nfd("KHÔNG HOÀN THÀNH NHIỆM VỤ"), "not_complete"),
        (2021, "HTXSNV", "excellent"),
        (2021, "httnv", "good"),
        (2021, " HTNV ", "complete"),
        (2021, "KHTNV", "not_complete"),
        (2021, "complete", "complete"),
        (2025, "Hoàn thành nhiệm vụ", "complete"),
        (2012, "Đủ tư cách, hoàn thành xuất sắc nhiệm vụ", "qualified_excellent"),
        (2012, _nfd("đủ tư cách,hoàn thành tốt nhiệm vụ"), "qualified_good"),
        (2012, "ĐTC-HTNV", "qualified_complete"),
        (2012, "HTXSNV", "qualified_excellent"),
        (2015, "Vi phạm tư cách hoặc không hoàn thành nhiệm vụ", "violation_or_not_complete"),
        (2015, "KHTNV", "violation_or_not_complete"),
        (2021, "Đủ tư cách, hoàn thành nhiệm vụ", None),
        (2015, "Trong sạch, vững mạnh", None),
        (2021, "Xuất sắc", None),
        (2021, "", None),
        (2021, "   ", None),
    ],
)
def test_member_level_from_label_forgives_case_spaces_and_normalisation(year, text, slug):
    """Long or short forms match whatever the case, spacing or NFC/NFD; other periods' labels
    and criteria grades do not."""
    assert scheme_for_year(year).member_level_from_label(text) == slug


@pytest.mark.parametrize(
    ("year", "text", "slug"),
    [
        (2012, "Trong sạch, vững mạnh", "pure_strong"),
        (2012, _nfd("trong sạch,  vững mạnh"), "pure_strong"),
        (2012, "TSVM", "pure_strong"),
        (2016, "yếu kém", "weak"),
        (2016, "HTTNV", "good"),
        (2021, "TSVM", None),
        (2021, "HTXSNV", "excellent"),
    ],
)
def test_organization_level_from_label(year, text, slug):
    """Organization labels of the TSVM era and of 2018+ parse from long or short form."""
    assert scheme_for_year(year).organization_level_from_label(text) == slug


@pytest.mark.parametrize(
    ("year", "member", "organization", "grades", "exemplary"),
    [
        (2010, ASSESSMENT_QUALITATIVE, ASSESSMENT_QUALITATIVE, (), True),
        (2015, ASSESSMENT_QUALITATIVE, ASSESSMENT_POINTS, (), True),
        (2018, ASSESSMENT_CRITERIA_GRADES, ASSESSMENT_CRITERIA_GRADES, CRITERIA_GRADES, False),
        (2022, ASSESSMENT_CRITERIA_GRADES, ASSESSMENT_CRITERIA_GRADES, CRITERIA_GRADES, False),
        (2024, ASSESSMENT_CRITERIA_GRADES, ASSESSMENT_CRITERIA_GRADES, CRITERIA_GRADES, False),
        (2025, ASSESSMENT_POINTS, ASSESSMENT_POINTS, (), False),
    ],
)
def test_assessment_method_per_period(year, member, organization, grades, exemplary):
    """Criteria grades 2018–2024, 100 points from 2025 (and for organizations 2014–2017); the
    "tiêu biểu" sub-flag only in the TSVM era."""
    scheme = scheme_for_year(year)
    assert scheme.member_assessment == member
    assert scheme.organization_assessment == organization
    assert scheme.criteria_grades == grades
    assert scheme.has_exemplary_flag is exemplary


def test_criteria_grades_wording():
    """The four criteria grades, best first."""
    assert CRITERIA_GRADES == ("Xuất sắc", "Tốt", "Trung bình", "Kém")


@pytest.mark.parametrize(
    ("year", "codes"),
    [
        (2010, {"M0", "M3", "O6"}),
        (2016, {"M0", "M3", "O5", "O6"}),
        (2018, {"M1", "M3", "O6"}),
        (2020, {"Q1", "M1", "M2", "M3", "M4", "O1", "O2", "O6"}),
        (2023, {"Q1", "M1", "M2", "M3", "M4", "O1", "O3", "O6"}),
        (2025, {"Q1", "M1", "M2", "M3", "M4", "M5", "O1", "O3", "O4", "O6"}),
    ],
)
def test_rule_codes_in_force(year, codes):
    """Each period lists exactly the §4.1 rules that apply to it."""
    scheme = scheme_for_year(year)
    assert scheme.rule_codes == codes
    assert all(scheme.applies(code) for code in codes)


@pytest.mark.parametrize(
    ("year", "forms"),
    [
        (2019, ["02-HD KĐ.ĐG"]),
        (2022, ["02-HD KĐ.ĐG"]),
        (2023, ["02A", "02B"]),
        (2025, ["2A", "2B", "2C"]),
    ],
)
def test_self_review_form_codes(year, forms):
    """Form codes per DOMAIN §4.2."""
    assert [f.code for f in scheme_for_year(year).self_review_forms] == forms


@pytest.mark.parametrize(
    ("year", "is_leader", "in_system", "code"),
    [
        (2020, True, True, "02-HD KĐ.ĐG"),
        (2020, False, False, "02-HD KĐ.ĐG"),
        (2023, False, True, "02A"),
        (2023, True, True, "02B"),
        (2023, False, False, "02A"),
        (2025, False, False, "2C"),
        # Hướng dẫn 43 (DOMAIN §4.3): 2A leaders and managers, 2B the others.
        (2025, True, True, "2A"),
        (2025, False, True, "2B"),
    ],
)
def test_self_review_form_for_a_member(year, is_leader, in_system, code):
    """Leaders get the leaders' form, members outside the political system 2C (2025), and a
    period with one form gives it to everybody."""
    form = scheme_for_year(year).self_review_form_for(
        is_leader=is_leader, in_political_system=in_system
    )
    assert form.code == code


@pytest.mark.parametrize(
    ("year", "ratio", "scope", "configurable"),
    [
        (2010, None, None, False),
        (2016, None, None, False),
        (2018, None, None, False),
        (2019, Fraction(1, 5), QUOTA_SCOPE_GRASSROOTS, False),
        (2022, Fraction(1, 5), QUOTA_SCOPE_GRASSROOTS, False),
        (2023, Fraction(1, 5), QUOTA_SCOPE_GRASSROOTS, True),
        (2025, Fraction(1, 5), QUOTA_SCOPE_PEER_GROUP, True),
    ],
)
def test_quota_defaults(year, ratio, scope, configurable):
    """20% per grassroots organization from 2019, configurable from 2023, none before 2019."""
    scheme = scheme_for_year(year)
    assert scheme.quota_ratio == ratio
    assert isinstance(scheme.quota_ratio, Fraction | None)
    assert scheme.quota_scope == scope
    assert scheme.quota_configurable is configurable


@pytest.mark.parametrize("year", [2023, 2024, 2025])
def test_quota_override_returns_a_copy(year):
    """The administrator's setting is applied to a copy; the shared scheme data is untouched."""
    default = scheme_for_year(year)
    custom = scheme_for_year(year, quota_ratio=Fraction(1, 4), quota_scope=QUOTA_SCOPE_MEMBER_GROUP)
    assert custom.quota_ratio == Fraction(1, 4)
    assert custom.quota_scope == QUOTA_SCOPE_MEMBER_GROUP
    assert custom == dataclasses.replace(
        default, quota_ratio=Fraction(1, 4), quota_scope=QUOTA_SCOPE_MEMBER_GROUP
    )
    assert scheme_for_year(year) == default
    assert scheme_for_year(year).quota_ratio == Fraction(1, 5)
    assert custom.member_level_from_label("HTTNV") == "good"


def test_quota_override_of_one_part_keeps_the_other():
    """Overriding only the scope keeps the default ratio."""
    custom = scheme_for_year(2024, quota_scope=QUOTA_SCOPE_MEMBER_GROUP)
    assert (custom.quota_ratio, custom.quota_scope) == (Fraction(1, 5), QUOTA_SCOPE_MEMBER_GROUP)


@pytest.mark.parametrize(
    ("year", "kwargs"),
    [
        (2021, {"quota_ratio": Fraction(1, 4)}),
        (2018, {"quota_scope": QUOTA_SCOPE_MEMBER_GROUP}),
        (2024, {"quota_ratio": Fraction(0)}),
        (2024, {"quota_ratio": Fraction(3, 2)}),
        (2024, {"quota_ratio": 0.25}),
        (2024, {"quota_scope": "province"}),
    ],
)
def test_quota_override_rejected(year, kwargs):
    """The confirmed 2019–2022 quota cannot be overridden, and bad ratios or scopes are refused."""
    with pytest.raises(ValueError):
        scheme_for_year(year, **kwargs)
