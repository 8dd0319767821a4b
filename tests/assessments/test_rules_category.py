"""The 2A/2B/2C suggestion (Hướng dẫn 43): pure, one case per ground, and the file words."""

import pytest

from assessments.rules.category import (
    CATEGORY_LEADER,
    CATEGORY_NON_LEADER,
    CATEGORY_OUTSIDE,
    CategoryBasis,
    category_from_text,
    suggest_form_category,
)


@pytest.mark.parametrize(
    ("basis", "expected", "why"),
    [
        (CategoryBasis(party_posts=("Bí thư chi bộ",)), CATEGORY_LEADER, "Bí thư chi bộ"),
        (CategoryBasis(party_posts=("Chi ủy viên",), occupation="Hưu trí"), CATEGORY_LEADER, ""),
        (CategoryBasis(hamlet_head=True, occupation="Nông dân"), CATEGORY_LEADER, "trưởng thôn"),
        (CategoryBasis(government_posts=("Phó Chủ tịch UBND xã",)), CATEGORY_LEADER, "Phó Chủ"),
        (
            CategoryBasis(government_posts=("Công chức địa chính",)),
            CATEGORY_NON_LEADER,
            "hệ thống chính trị",
        ),
        (CategoryBasis(occupation="Giáo viên"), CATEGORY_NON_LEADER, "Giáo viên"),
        (CategoryBasis(occupation="Hưu trí"), CATEGORY_OUTSIDE, "Hưu trí"),
        (CategoryBasis(occupation="Làm ruộng"), CATEGORY_OUTSIDE, ""),
        (CategoryBasis(occupation="Sinh viên"), CATEGORY_OUTSIDE, ""),
        (CategoryBasis(), None, "Chưa đủ thông tin"),
        (CategoryBasis(occupation="Khác"), None, "Chưa đủ thông tin"),
    ],
)
def test_suggest_form_category_by_ground(basis, expected, why):
    """Each ground gives its category and says why in plain words; no ground, no guess."""
    suggestion = suggest_form_category(basis)
    assert suggestion.category == expected
    assert why in suggestion.reason


def test_suggest_form_category_party_post_beats_occupation():
    """A retired cell secretary is 2A: the post is the stronger fact."""
    suggestion = suggest_form_category(CategoryBasis(party_posts=("Bí thư",), occupation="Hưu trí"))
    assert (suggestion.category, suggestion.code) == (CATEGORY_LEADER, "2A")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2A", CATEGORY_LEADER),
        ("2b", CATEGORY_NON_LEADER),
        ("Mẫu 2C", CATEGORY_OUTSIDE),
        ("giữ chức vụ lãnh đạo, quản lý", CATEGORY_LEADER),
        ("Không giữ chức vụ  lãnh đạo, quản lý", CATEGORY_NON_LEADER),
        ("không công tác trong hệ thống chính trị", CATEGORY_OUTSIDE),
        ("2D", None),
        ("", None),
    ],
)
def test_category_from_text_reads_the_file_words(text, expected):
    """`doi_tuong` takes the codes or the words of DOMAIN §8, case and spaces forgiven."""
    assert category_from_text(text) == expected
