"""Decided history (issue #17): the deciding level imports a past year's results as decided —
every rule of that year still applies, a recorded exception where the real decision granted one,
the decision's number and date kept, audited, counted as official at once; a year already
decided is reopened, with its reason."""

import datetime
import json

import pytest

from assessments.choices import RoundState
from assessments.models import MemberRating, RatingRound
from cells.models import AuditEntry
from tests.assessments.test_import_ratings import (  # noqa: F401  (fixtures)
    COLUMNS,
    DATA,
    _commune_rows,
    bg,
    run,
    sample_province,
    sample_rows,
    vietnamese,
    write_csv,
)

# The sample province imported once for the module (test_import_ratings), each test in its own
# savepoint.
pytestmark = pytest.mark.usefixtures("bg")

SAMPLE = str(DATA / "xep_loai_2020.csv")
DECISION = ["--decision-number", "125-QĐ/ĐU", "--decision-date", "15/01/2021"]


def import_decided(path, *extra, org="BG", year="2020"):
    return run("import_ratings", path, "--org", org, "--year", year, "--decided", *extra)


def indicators(org="BG", year="2020") -> dict[str, tuple]:
    """The dashboard's figures (the `indicators` command reads the same per-unit tallies):
    code → (numerator, denominator)."""
    code, out, _err = run("indicators", "--org", org, "--year", year, "--format", "json")
    assert code == 0
    return {i["code"]: (i["numerator"], i["denominator"]) for i in json.loads(out)["indicators"]}


def test_decided_import_writes_official_results_with_the_decision():
    """The sample 2020 file imported as decided: every round decided by decision 125-QĐ/ĐU of
    15/01/2021, decided levels equal the file's, each decision audited, and the indicators
    count them at once (they count decided levels only)."""
    before = indicators()

    code, out, err = import_decided(SAMPLE, *DECISION)

    assert (code, err) == (0, ""), err
    assert "60" in out
    rounds = RatingRound.objects.filter(year=2020)
    assert {(r.state, r.decision_number, r.decision_date) for r in rounds} == {
        (RoundState.DECIDED, "125-QĐ/ĐU", datetime.date(2021, 1, 15))
    }
    ratings = MemberRating.objects.filter(year=2020)
    assert ratings.count() == 60
    assert not ratings.exclude(decided_level=models_f("proposed_level")).exists()
    audited = AuditEntry.objects.filter(action="round_decide_recorded")
    assert audited.count() == rounds.count() == 3
    assert AuditEntry.objects.get(action="import_ratings").changes["decision_number"] == "125-QĐ/ĐU"
    after = indicators()
    # Counted as official at once: 3 HTXSNV, 1 KHTNV of the 55 rated, 5 not rated.
    assert (before["mem-excellent"], before["mem-not-rated"]) == ((0, 0), (0, None))
    assert after["mem-excellent"] == (3, 55)
    assert after["mem-not-complete"] == (1, 55)
    assert after["mem-not-rated"][0] == 5


def models_f(name):
    from django.db.models import F

    return F(name)


def test_decided_import_needs_the_decision_reference():
    """No number and date (neither given nor in the file): refused, nothing written."""
    code, _out, err = import_decided(SAMPLE)

    assert code == 1
    assert "cần số và ngày quyết định" in err
    assert not MemberRating.objects.exists() and not RatingRound.objects.exists()


def test_decided_import_reads_the_decision_from_the_file(tmp_path):
    """so_quyet_dinh / ngay_quyet_dinh on the rows decide each organization's round; two
    decisions within one organization's rows are refused."""
    rows = _commune_rows(sample_rows())
    for row in rows:
        row.update(so_quyet_dinh="07-QĐ/HU", ngay_quyet_dinh="20/01/2021")
    columns = [*COLUMNS, "so_quyet_dinh", "ngay_quyet_dinh"]

    code, _out, err = import_decided(write_csv(tmp_path, rows, columns=columns), org="BG-PA-AH")

    assert (code, err) == (0, ""), err
    round_ = RatingRound.objects.get(year=2020, organization__code="BG-PA-AH")
    assert (round_.state, round_.decision_number) == (RoundState.DECIDED, "07-QĐ/HU")

    rows[3]["so_quyet_dinh"] = "08-QĐ/HU"
    code, _out, err = import_decided(
        write_csv(tmp_path, rows, columns=columns), "--reopen-reason", "Sửa", org="BG-PA-AH"
    )
    assert code == 1
    assert "ghi các quyết định khác nhau" in err


def test_decided_import_applies_the_rules_of_the_year(tmp_path):
    """Decided history is checked like a proposal: the 2020 quota (Q1) refuses too many HTXSNV
    — unless the real decision granted an exception, which is then recorded on the round."""
    rows = sample_rows()
    good = [r for r in _commune_rows(rows) if r["muc"] == "Hoàn thành tốt nhiệm vụ"]
    for row in good[:8]:
        row["muc"] = "HTXSNV"
    path = write_csv(tmp_path, rows)

    code, _out, err = import_decided(path, *DECISION)

    assert code == 1
    assert "Vượt tỷ lệ" in err and "Hướng dẫn 21-HD/BTCTW" in err
    assert not RatingRound.objects.exists()

    reason = "Quyết định 125-QĐ/ĐU cho phép vượt tỷ lệ vì thành tích đặc biệt"
    code, _out, err = import_decided(path, *DECISION, "--quota-exception", reason)

    # The exception the decision granted lifts the quota: told (a notice), not refused.
    assert code == 0, err
    assert all("ngoại lệ được cấp có thẩm quyền chấp thuận" in line for line in err.splitlines())
    commune = RatingRound.objects.get(year=2020, organization__code="BG-PA-AH")
    assert (commune.state, commune.quota_exception) == (RoundState.DECIDED, reason)


def test_decided_import_again_is_a_reopening_with_its_reason(tmp_path):
    """A year already decided: importing it again needs a reason; with one, the rounds are
    reopened (audited, with the reason) and decided again by the new decision."""
    assert import_decided(SAMPLE, *DECISION)[0] == 0
    rows = sample_rows()
    changed = next(r for r in rows if r["so_ly_lich"] == "000142BG")
    changed["muc"] = "Hoàn thành tốt nhiệm vụ"
    path = write_csv(tmp_path, rows)
    second = ["--decision-number", "131-QĐ/ĐU", "--decision-date", "02/03/2021"]

    code, _out, err = import_decided(path, *second)

    assert code == 1
    assert "đã được quyết định" in err and "lý do" in err
    assert MemberRating.objects.get(member__record_number="000142BG").decided_level == "excellent"

    reason = "Điều chỉnh theo Quyết định 131-QĐ/ĐU"
    code, _out, err = import_decided(path, *second, "--reopen-reason", reason)

    assert (code, err) == (0, ""), err
    rating = MemberRating.objects.get(member__record_number="000142BG")
    assert (rating.proposed_level, rating.decided_level) == ("good", "good")
    reopened = AuditEntry.objects.filter(action="round_reopen")
    assert reopened.count() == 3 and {e.comment for e in reopened} == {reason}
    assert set(RatingRound.objects.values_list("decision_number", "reopen_reason")) == {
        ("131-QĐ/ĐU", reason)
    }


def test_decided_import_wrong_decision_options_exit_2():
    """A number without a date, or a date that is not dd/mm/yyyy, is wrong usage."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    for extra in (
        ["--decision-number", "1-QĐ/ĐU"],
        ["--decision-number", "1", "--decision-date", "2021-01-15"],
    ):
        with pytest.raises(CommandError) as excinfo:
            call_command(
                "import_ratings", SAMPLE, "--org", "BG", "--year", "2020", "--decided", *extra
            )
        assert excinfo.value.returncode == 2
