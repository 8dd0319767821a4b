"""Bulk writing for the generator: PostgreSQL COPY, or bulk_create elsewhere (SQLite, small).

COPY bypasses the ORM, so what a model's save would compute is computed by the caller:
treebeard's `path`/`depth`/`numchild`, the Vietnamese sort keys, `auto_now` timestamps. Primary
keys of the tables other rows point to (organizations, members, rounds) are assigned here
from the table's current maximum, and the identity sequences are moved past them at the end.

Foreign keys: Django declares them DEFERRABLE INITIALLY DEFERRED, so PostgreSQL would check
millions of rows one by one at COMMIT (a row lock on the referenced row each: minutes at
province size). Where the role may (a superuser, as on a benchmark machine), the load runs
with `session_replication_role = replica`, which skips those per-row triggers, and
`check_foreign_keys` then verifies every foreign key of the written tables set-wise (one
anti-join per key) before the commit: any dangling reference aborts the whole load.

A province of a country run (`first_ids`) numbers every table from its own range, ID_STRIDE
wide, instead of from the table's maximum or its sequence: provinces written at the same time
then never take each other's ids, and the ids do not depend on which province came first.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from django.db import connection, models
from psycopg import sql

COPY_BATCH = 50_000
# Ids a province of a country run may use in each table (a province writes ≈ 5 million rows
# in its largest one): 34 provinces stay far inside bigint.
ID_STRIDE = 10**9


class BulkWriter:
    """Writes rows (tuples in `columns` order) into a table as fast as the database allows."""

    def __init__(
        self,
        *,
        log: Callable[[str], None] = lambda _: None,
        first_ids: dict[str, int] | None = None,
    ):
        self.log = log
        self.first_ids = first_ids
        self._next_ids: dict[str, int] = {}
        self.is_postgresql = connection.vendor == "postgresql"
        self.counts: dict[str, int] = {}
        self.models: list[type[models.Model]] = []
        self._explicit_ids: set[type[models.Model]] = set()

    def begin(self) -> None:
        """Session settings for a bulk load, inside the caller's transaction."""
        self.skips_row_checks = False
        if not self.is_postgresql:
            return
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if cursor.fetchone()[0]:
                cursor.execute("SET LOCAL session_replication_role TO replica")
                self.skips_row_checks = True

    def check_foreign_keys(self, models_written: Iterable[type[models.Model]]) -> int:
        """Every foreign key of the written tables points at an existing row, or raise.

        Needed only when the per-row checks were skipped; returns the number of keys checked.
        """
        if not getattr(self, "skips_row_checks", False):
            return 0
        checked = 0
        with connection.cursor() as cursor:
            for model in models_written:
                # In a country run only this province's rows: the others were checked by
                # their own load.
                mine = sql.SQL("TRUE")
                if self.first_ids is not None:
                    first = self.first_ids[model._meta.db_table]
                    mine = sql.SQL("c.id >= {} AND c.id < {}").format(first, first + ID_STRIDE)
                for fk in model._meta.concrete_fields:
                    if not fk.is_relation:
                        continue
                    target = fk.related_model._meta
                    cursor.execute(
                        sql.SQL(
                            "SELECT count(*) FROM {child} c WHERE {mine} AND c.{col} IS NOT NULL "
                            "AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE p.{pk} = c.{col})"
                        ).format(
                            child=sql.Identifier(model._meta.db_table),
                            mine=mine,
                            col=sql.Identifier(fk.column),
                            parent=sql.Identifier(target.db_table),
                            pk=sql.Identifier(fk.target_field.column),
                        )
                    )
                    dangling = cursor.fetchone()[0]
                    if dangling:
                        raise RuntimeError(
                            f"{dangling} rows of {model._meta.db_table}.{fk.column} point nowhere"
                        )
                    checked += 1
        return checked

    def first_free_id(self, model: type[models.Model]) -> int:
        """The first primary key above every existing row (the caller numbers from here); in
        a country run the first of the province's range."""
        self._explicit_ids.add(model)
        if self.first_ids is not None:
            return self.first_ids[model._meta.db_table]
        found = model.objects.aggregate(top=models.Max("pk"))["top"]
        return (found or 0) + 1

    def write(self, model: type[models.Model], columns: list[str], rows: Iterable[tuple]) -> int:
        started = time.monotonic()
        table = model._meta.db_table
        first_id = None
        if self.first_ids is not None and "id" not in columns:
            # Numbered here, not by the sequence, which parallel provinces would share.
            first_id = self._next_ids.get(table, self.first_ids[table])
            columns = ["id", *columns]
        written = (
            self._copy(model, columns, rows, first_id)
            if self.is_postgresql
            else self._bulk(model, columns, rows, first_id)
        )
        if first_id is not None:
            self._next_ids[table] = first_id + written
        if model not in self.models:
            self.models.append(model)
        self.counts[table] = self.counts.get(table, 0) + written
        if self.first_ids is not None and self.counts[table] > ID_STRIDE:
            raise RuntimeError(f"{table}: more than {ID_STRIDE:,} rows, past the id range")
        self.log(f"    {table}: {written:,} rows in {time.monotonic() - started:.1f} s")
        return written

    def _copy(self, model, columns, rows, first_id: int | None) -> int:
        # COPY leaves unlisted columns to the database default, and Django keeps its defaults
        # in Python: a NOT NULL field added after the generator was written ("" for a blank
        # CharField) would be NULL. Fill every such field with its model default, as
        # bulk_create does, so a new field never breaks generation.
        filled = [
            f
            for f in model._meta.concrete_fields
            if f.column not in columns and not f.null and not f.primary_key
        ]
        tail = tuple(f.get_default() for f in filled)
        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(model._meta.db_table),
            sql.SQL(", ").join(sql.Identifier(c) for c in [*columns, *(f.column for f in filled)]),
        )
        written = 0
        raw = connection.connection
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            if first_id is None:
                for row in rows:
                    copy.write_row((*row, *tail))
                    written += 1
            else:
                for written, row in enumerate(rows, start=1):
                    copy.write_row((first_id + written - 1, *row, *tail))
        return written

    def _bulk(self, model, columns, rows, first_id: int | None) -> int:
        if first_id is not None:
            rows = ((n, *row) for n, row in enumerate(rows, start=first_id))
        batch, written = [], 0
        for row in rows:
            batch.append(model(**dict(zip(columns, row, strict=True))))
            if len(batch) >= 2000:
                model.objects.bulk_create(batch)
                written += len(batch)
                batch = []
        if batch:
            model.objects.bulk_create(batch)
            written += len(batch)
        return written

    def finish(self, models_numbered: Iterable[type[models.Model]] | None = None) -> None:
        """Move identity sequences past the ids assigned here (or in the tables of
        `models_numbered`, a country run's), so later inserts do not clash."""
        if not self.is_postgresql:
            return
        with connection.cursor() as cursor:
            for model in self._explicit_ids if models_numbered is None else models_numbered:
                table = model._meta.db_table
                cursor.execute(
                    sql.SQL(
                        "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                        "(SELECT COALESCE(MAX(id), 1) FROM {}))"
                    ).format(sql.Identifier(table)),
                    [table],
                )

    def analyze(self, tables: Iterable[str]) -> None:
        """Fresh planner statistics: the bench queries run right after a generation."""
        if not self.is_postgresql:
            return
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
