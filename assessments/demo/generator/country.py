"""Several generated provinces under one national root, drawn in parallel processes (#20).

The run first creates the national root and fixes every province's `Slot` (its id ranges,
path step, card block and CCCD prefix), then draws the provinces — one after the other in
this process (`jobs=1`), or in `jobs` forked worker processes, each with its own database
connection and its own transaction — and ends with what the provinces share: the root's
numchild, the identity sequences, `maps_to`, the statistics and one tally rebuild. A slot
depends only on the arguments and on what the database held before the run, so the same seed
gives the same rows whatever `jobs` is.

A failed run: with `jobs=1` nothing is left (one transaction). With several jobs the first
error stops the others (their transactions roll back) and `CountryGenerationError` names the
provinces already committed; they, the national root and its repaired numchild stay, with no
tallies built and the sequences not moved. Drop the database and generate again (or delete
those provinces' subtrees and the root, then rebuild the tallies).
"""

from __future__ import annotations

import datetime
import multiprocessing
import queue
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import connection, connections, transaction
from django.db.models import Max

from cells.choices import OrganizationType
from cells.models import Organization
from cells.services import organization_maps_refresh
from cells.vietnamese import collation_key

from ...indicators.tally import tallies_count, tallies_rebuild, tallies_vacuum
from .province import (
    DEFAULT_SEED,
    WRITTEN_MODELS,
    GenerationResult,
    ProvinceExistsError,
    Slot,
    _next_step,
    generate_province,
    numbers_taken,
)
from .writer import ID_STRIDE, BulkWriter


class CountryGenerationError(Exception):
    """A province of a parallel run failed; the message says what the database keeps."""


@dataclass
class CountryResult:
    national: str
    seconds: float
    tally_seconds: float
    provinces: list[GenerationResult] = field(default_factory=list)


def national_root(code: str, name: str | None = None) -> Organization:
    """The national root the provinces are generated under (created once, then reused).

    It stands for the whole Party (Ban Chấp hành Trung ương): the level a central
    installation's national dashboard reads, with the provinces as its children.
    """
    found = Organization.objects.filter(code=code).first()
    if found is not None:
        if found.type != OrganizationType.NATIONAL or found.depth != 1:
            raise ProvinceExistsError(code)
        return found
    label = name or f"Toàn Đảng {code} (dữ liệu thử nghiệm)"
    return Organization.objects.add_root(
        instance=Organization(
            code=code,
            name=label,
            type=OrganizationType.NATIONAL,
            is_grassroots=False,
            established_on=datetime.date(1930, 2, 3),
            document_abbreviation="TW",
            name_sort_key=collation_key(label, person_name=False),
        )
    )


def generate_country(
    *,
    national: str,
    codes: list[str],
    members: int,
    communes: int,
    first_year: int,
    last_year: int,
    seed: int = DEFAULT_SEED,
    jobs: int = 1,
    log: Callable[[str], None] = lambda _: None,
) -> CountryResult:
    """Several provinces under one national root, tallies built once, in `jobs` processes.

    Province i (from 0) is drawn from `seed + i`, so the first is the province that
    `generate_province` makes alone with the same seed (its names, ratings and sheets; its
    ids, card numbers and CCCDs come from its slot), and every run gives the same country.
    One rebuild at the end counts every unit once. Several jobs need a connection outside
    any transaction (the workers must see the root committed) and PostgreSQL.
    """
    started = time.monotonic()
    taken = set(codes) & set(Organization.objects.values_list("code", flat=True))
    if taken or len(set(codes)) != len(codes) or national in codes:
        raise ProvinceExistsError(", ".join(sorted(taken)) or "a repeated code")
    result = CountryResult(national=national, seconds=0.0, tally_seconds=0.0)
    tasks = [
        {
            "code": code,
            "members": members,
            "communes": communes,
            "first_year": first_year,
            "last_year": last_year,
            "seed": seed + n,
        }
        for n, code in enumerate(codes)
    ]
    jobs = max(1, min(jobs, len(codes)))
    if jobs > 1 and (connection.in_atomic_block or connection.vendor != "postgresql"):
        raise ValueError("jobs > 1: PostgreSQL, outside a transaction (workers see commits)")
    with transaction.atomic():
        root = national_root(national)
        slots = _slots(root, len(codes))
        if jobs == 1:
            for n, task in enumerate(tasks):
                log(f"province {n + 1}/{len(codes)}: {task['code']} (seed {task['seed']})")
                result.provinces.append(
                    generate_province(**task, national=root, slot=slots[n], log=log)
                )
            _share(root, len(codes), log)
            mark = time.monotonic()
            if tallies_rebuild():
                result.tally_seconds = time.monotonic() - mark
                log(f"dashboard tallies rebuilt ({result.tally_seconds:.1f} s)")
    if jobs > 1:
        result.provinces = _draw_provinces(root, tasks, slots, jobs, log)
        with transaction.atomic():
            _share(root, len(codes), log)
        result.tally_seconds = _tallies_in_parallel(root, jobs, log)
    tallied = time.monotonic()
    if statement := tallies_vacuum():
        log(f"{statement} ({time.monotonic() - tallied:.1f} s)")
    result.seconds = time.monotonic() - started
    return result


def _slots(root: Organization, count: int) -> list[Slot]:
    """Every province's slot, from the database as it is before the run."""
    first_step = _next_step(root)
    starts = {
        model._meta.db_table: (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        for model in WRITTEN_MODELS
    }
    cards, ids = numbers_taken()
    return [
        Slot(
            index=n,
            root_step=first_step + n,
            first_ids={table: start + n * ID_STRIDE for table, start in starts.items()},
            taken_cards=frozenset(cards),
            taken_ids=frozenset(ids),
        )
        for n in range(count)
    ]


def _share(root: Organization, count: int, log: Callable[[str], None]) -> None:
    """What the provinces share, once they are all written (the tallies aside)."""
    mark = time.monotonic()
    _count_children(root)
    writer = BulkWriter(log=log)
    writer.finish(WRITTEN_MODELS)
    # The loads skipped the tree's triggers: store where each unit maps to today.
    mapped = organization_maps_refresh()
    log(f"{count} provinces: mapped {mapped:,} units ({time.monotonic() - mark:.1f} s)")
    # Timed table by table (≈ 3 s in all at 3 × 400,000). The 160–269 s this phase took until
    # 06/12/2026 was the mapping above: its trigger reused a plan made for one row (cells 0010).
    for model in WRITTEN_MODELS:
        started = time.monotonic()
        writer.analyze([model._meta.db_table])
        log(f"    analyzed {model._meta.db_table} ({time.monotonic() - started:.1f} s)")
    log(f"{count} provinces: shared work done ({time.monotonic() - mark:.1f} s)")


def _tallies_in_parallel(root: Organization, jobs: int, log: Callable[[str], None]) -> float:
    """One rebuild whose counting, nearly all its time, is spread over `jobs` processes: a
    subtree each (every other root, each province), written in one COPY by this process."""
    mark = time.monotonic()
    trees = Organization.objects.filter(depth=1).exclude(pk=root.pk)
    provinces = Organization.objects.filter(depth=2, path__startswith=root.path)
    roots = [*trees.values_list("path", flat=True), *provinces.values_list("path", flat=True)]
    try:
        parts = _in_workers(_count, [(path,) for path in sorted(roots)], jobs, log)
    except _WorkerFailed as failed:
        raise CountryGenerationError(
            f"{failed}\nEvery province is committed; no tallies built: run "
            "`manage.py indicator_tallies rebuild`."
        ) from None
    found, changed = tallies_count(paths=[root.path])
    for part_found, part_changed in parts:
        for key, counts in part_found.items():
            found[key] += counts
        for key, moment in part_changed.items():
            if changed.get(key) is None or moment > changed[key]:
                changed[key] = moment
    log(f"dashboard tallies counted in {jobs} processes ({time.monotonic() - mark:.1f} s)")
    with transaction.atomic():
        tallies_rebuild(counted=(found, changed))
    seconds = time.monotonic() - mark
    log(f"dashboard tallies rebuilt ({seconds:.1f} s)")
    return seconds


def _count_children(root: Organization) -> None:
    """treebeard's numchild of the root: the provinces committed under it."""
    children = Organization.objects.filter(depth=2, path__startswith=root.path).count()
    Organization.objects.filter(pk=root.pk).update(numchild=children)


# --- the worker processes --------------------------------------------------------------------
_progress: multiprocessing.Queue | None = None  # a worker's line to the parent's log


def _worker_start(lines: multiprocessing.Queue) -> None:
    global _progress
    _progress = lines


class _WorkerFailed(Exception):
    """A worker's error, with the calls that had finished before the stop."""

    def __init__(self, message: str, finished: list[int]):
        super().__init__(message)
        self.finished = finished


def _run(function: Callable, args: tuple):
    """One call in a worker: its own connection, closed with it."""
    try:
        return function(*args)
    except Exception as exc:
        # The parent gets a plain message: a database error need not pickle.
        raise CountryGenerationError(f"{exc!r}\n{traceback.format_exc()}") from None
    finally:
        connection.close()
        if hasattr(connection, "close_pool"):
            connection.close_pool()


def _draw(task: dict, slot: Slot, root_pk: int, position: str) -> GenerationResult:
    """One province in a worker, in its own transaction."""
    code = task["code"]

    def log(text: str) -> None:
        _progress.put(f"{code} {text}")

    log(f"province {position} (seed {task['seed']})")
    try:
        root = Organization.objects.get(pk=root_pk)
        return generate_province(**task, national=root, slot=slot, log=log)
    except Exception as exc:
        raise RuntimeError(f"province {code}: {exc!r}") from exc


def _count(root_path: str) -> tuple[dict, dict]:
    """One subtree's tally counts in a worker (with no log: the counting is one call)."""
    return tallies_count(roots=[root_path])


def _draw_provinces(
    root: Organization, tasks: list[dict], slots: list[Slot], jobs: int, log: Callable
) -> list[GenerationResult]:
    """The provinces in `jobs` forked processes; the first failure stops them all."""
    total = len(tasks)
    calls = [
        (task, slots[n], root.pk, f"{n + 1}/{total}: {task['code']}")
        for n, task in enumerate(tasks)
    ]
    try:
        return _in_workers(_draw, calls, jobs, log)
    except _WorkerFailed as failed:
        _count_children(root)
        done = ", ".join(tasks[n]["code"] for n in failed.finished) or "none"
        raise CountryGenerationError(
            f"{failed}\nCommitted before the stop: {done}; no tallies built. Drop the "
            "database and generate again."
        ) from None


def _in_workers(function: Callable, calls: list[tuple], jobs: int, log: Callable) -> list:
    """`function(*args)` for each of `calls` in `jobs` forked processes, the results in
    order; the first failure stops every worker and raises _WorkerFailed."""
    # A forked child must not share the parent's sockets (nor psycopg's pool and its threads,
    # which close_all only returns connections to): each opens its own connection.
    for alias in connections:
        connections[alias].close()
        if hasattr(connections[alias], "close_pool"):
            connections[alias].close_pool()
    context = multiprocessing.get_context("fork")
    lines = context.Queue()
    # One process per call (maxtasksperchild): a province's ≈ 3 GB plan is freed with it.
    pool = context.Pool(jobs, initializer=_worker_start, initargs=(lines,), maxtasksperchild=1)
    pending = [pool.apply_async(_run, (function, args)) for args in calls]
    failure = None
    try:
        while failure is None and not all(p.ready() for p in pending):
            _forward(lines, log, timeout=0.5)
            failure = next((p for p in pending if p.ready() and not p.successful()), None)
    except BaseException:  # Ctrl-C included: no worker outlives the run
        pool.terminate()
        pool.join()
        raise
    if failure is None:
        pool.close()
    else:
        pool.terminate()
    pool.join()
    while _forward(lines, log, timeout=0):
        pass
    if failure is None:
        return [p.get() for p in pending]
    finished = [n for n, p in enumerate(pending) if p.ready() and p.successful()]
    try:
        failure.get()
    except Exception as exc:  # noqa: BLE001 - re-raised with what had finished
        raise _WorkerFailed(str(exc), finished) from None
    raise AssertionError("a failed call raises")


def _forward(lines: multiprocessing.Queue, log: Callable, *, timeout: float) -> bool:
    """Pass one worker line on to the run's log; False when none came."""
    try:
        log(lines.get(timeout=timeout) if timeout else lines.get_nowait())
    except queue.Empty:
        return False
    return True
