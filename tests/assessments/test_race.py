"""Two secretaries saving at the same moment cannot both take the last HTXSNV place.

Real threads, each with its own PostgreSQL connection, on committed data (transactional_db):
the service locks the round row before counting, so the saves serialize.
"""

import threading

import pytest
from django.db import connection

from assessments import services
from assessments.models import MemberRating
from assessments.services import ConcurrentEditError, RowInput, RuleViolationError

from .conftest import make_members, open_round, save_levels


@pytest.mark.django_db(transaction=True)
def test_member_ratings_save_concurrent_last_quota_place(province, transactional_db):
    """10 HTTNV allow 2 HTXSNV; one is taken; two threads race for the last one: exactly one
    wins, the other is refused, and the count never exceeds the quota."""
    goods = make_members(province.old_cell, 10)
    first, a, b = make_members(province.other_cell, 3, family="Trần Thị")
    round_ = open_round(province.old_commune, 2021)
    save_levels(round_, {**dict.fromkeys(goods, "good"), first: "excellent"})
    round_.refresh_from_db()
    version = round_.version
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def attempt(name, member):
        try:
            barrier.wait(timeout=10)
            services.member_ratings_save(
                actor=None,
                round=round_,
                rows=[RowInput(member_id=member.pk, level="excellent")],
                round_version=version,
                check_rules=True,
            )
            outcomes[name] = "saved"
        except (RuleViolationError, ConcurrentEditError) as exc:
            outcomes[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n, m)) for n, m in (("a", a), ("b", b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(type(o).__name__ if o != "saved" else o for o in outcomes.values()) in (
        ["ConcurrentEditError", "saved"],
        ["RuleViolationError", "saved"],
    )
    assert MemberRating.objects.filter(round=round_, proposed_level="excellent").count() == 2


@pytest.mark.django_db(transaction=True)
def test_member_ratings_save_concurrent_quota_with_fresh_versions(province, transactional_db):
    """Even when each thread passes the version it reads itself (no stale version to catch),
    the row lock makes the second save count the first: the quota holds."""
    goods = make_members(province.old_cell, 10)
    first, a, b = make_members(province.other_cell, 3, family="Trần Thị")
    round_ = open_round(province.old_commune, 2021)
    save_levels(round_, {**dict.fromkeys(goods, "good"), first: "excellent"})
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def attempt(name, member):
        from django.db import transaction

        from assessments.models import RatingRound

        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                # Lock first, then read the version: the honest client that always has the
                # latest version; only the quota can stop the second save.
                current = RatingRound.objects.select_for_update().get(pk=round_.pk)
                services.member_ratings_save(
                    actor=None,
                    round=current,
                    rows=[RowInput(member_id=member.pk, level="excellent")],
                    round_version=current.version,
                    check_rules=True,  # a finished proposal (an import) counts the quota
                )
            outcomes[name] = "saved"
        except RuleViolationError as exc:
            outcomes[name] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n, m)) for n, m in (("a", a), ("b", b))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    refused = [o for o in outcomes.values() if o != "saved"]
    assert len(outcomes) == 2 and len(refused) == 1
    assert [v.code for v in refused[0].violations] == ["Q1"]
    assert MemberRating.objects.filter(round=round_, proposed_level="excellent").count() == 2
