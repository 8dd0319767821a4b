"""Shared fixtures. The suite runs on PostgreSQL only: SQLite would hide locking and
constraint behaviour the product relies on."""

import datetime

import pytest
from django.conf import settings

from tests import factories


def pytest_configure(config):
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine != "django.db.backends.postgresql":
        pytest.exit(
            f"The test suite needs PostgreSQL: set DATABASE_URL (make test does) — got {engine}.",
            returncode=2,
        )


@pytest.fixture(autouse=True)
def replica_reads_only_when_marked(request, settings):
    """Reads go to the streaming replica only in tests marked `replica` (tests/replica/):
    the rest of the suite reads what its own transaction wrote, which a replica never sees."""
    settings.REPLICA_READS = request.node.get_closest_marker("replica") is not None


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Each test's uploads and reports go to its own folder: never into var/media, where they
    piled up among the developer's files, nor into another test's way. Worker fixtures hand
    this folder to their processes."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def province(db):
    """A small tree: province → district (dissolved 2025) → commune → 2 cells, and a
    2025 commune that took over, with one cell. Codes mirror the shared sample files."""
    return factories.build_small_province()


@pytest.fixture
def today():
    return datetime.date.today()
