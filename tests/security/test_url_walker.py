"""Every URL pattern, walked with hostile path and query values by a logged-in user, never
answers 500 (#19: `?q=%00`, overflowing integers…). A new view is walked without anyone
adding it here; the next NUL or overflow is caught by CI.

Two passes: one deterministic request per pattern with the nastiest values (every pattern
covered), then hypothesis draws more combinations. Django's test client re-raises a view's
exception, so a 500 fails the test with its traceback. Kept to well under a minute."""

from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cells.choices import Role
from tests import factories

HUGE_INTS = [0, 2**31, 2**63, 10**30]
HOSTILE_TEXT = ["\x00", "a" * 3000, "💥\u202e", "'\";--", "..", "%", "１２３", "-1", "9" * 400]
# Query names the views read (GET forms, filters, drill-downs, pagination, redirects).
QUERY_KEYS = [
    "q", "page", "year", "org", "kind", "state", "next", "nhom", "thang", "con", "dang_vien",
    "doi_tuong", "chi_tieu", "anh_xa", "de_xuat", "xuat", "gro", "include_proposals", "mapped",
    "organization", "organizations", "actor", "action", "date_from", "date_to", "object_type",
    "object_id", "format",
]  # fmt: skip


def _walk(patterns, namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            yield name, dict(getattr(pattern.pattern, "converters", {}))


PATTERNS = sorted(
    {name: converters for name, converters in _walk(get_resolver().url_patterns)}.items()
)


def _url(name, converters, values, query):
    try:
        url = reverse(name, kwargs={key: values[key] for key in converters})
    except NoReverseMatch:
        return None
    return url + ("?" + urlencode(query) if query else "")


def _values_for(converters, *, ints, texts):
    values = {}
    for key, converter in converters.items():
        kind = type(converter).__name__
        values[key] = ints[len(values) % len(ints)] if kind == "IntConverter" else texts[0]
    return values


@pytest.fixture
def walker(client, province):
    """A superuser (reaches every view) with a little data to walk over."""
    user = get_user_model().objects.create_superuser("di-bo", password=None)
    factories.member(province.other_cell, "Trần Thị Walker")
    factories.user_with_role(province.old_commune, Role.SECRETARY)
    client.force_login(user)
    return client


def _get(client, url):
    response = client.get(url)
    assert response.status_code < 500, (url, response.status_code)


def test_every_pattern_survives_the_nastiest_values(walker):
    """One request per pattern and hostile value: NUL, a huge integer, a long string."""
    for name, converters in PATTERNS:
        for ints, text in ((HUGE_INTS[3:], "\x00"), (HUGE_INTS[2:3], "a" * 3000)):
            values = _values_for(converters, ints=ints, texts=[text])
            query = {key: text if key != "page" else str(ints[0]) for key in QUERY_KEYS[:8]}
            url = _url(name, converters, values, query)
            if url is not None:
                _get(walker, url)


path_int = st.one_of(st.sampled_from(HUGE_INTS), st.integers(min_value=0, max_value=10**25))
hostile = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=60),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    pattern=st.sampled_from(PATTERNS),
    ints=st.lists(path_int, min_size=1, max_size=3),
    text=hostile,
    query=st.dictionaries(st.sampled_from(QUERY_KEYS), hostile, max_size=4),
)
def test_random_hostile_values_never_give_500(walker, pattern, ints, text, query):
    """Hypothesis draws the pattern, its path values and a hostile query string."""
    name, converters = pattern
    url = _url(name, converters, _values_for(converters, ints=ints, texts=[text]), query)
    if url is not None:
        _get(walker, url)
