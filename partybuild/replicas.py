"""Reads on the streaming replica, writes on the primary, and every user reading their writes.

Configured by REPLICA_DATABASE_URL (the `replica` alias); without it nothing here does anything
and every query goes to `default`, as before (the SQLite demo, a small installation).

Which reads go to the replica is explicit: only inside a *replica-read scope*, opened by
- `@replica_reads` on a view (GET and HEAD only): the dashboard, the lists, the tree, the
  member and unit pages (read-only pages a committee looks at in the peak), and
- `with reads_on_replica(since=primary_lsn()):` around a report's rendering in the worker.
Everything else (entry grids, forms, posts, the login, the audit of a download) reads and
writes the primary. Inside a scope a read stays on the primary when:
- anything was written in the scope (the router saw a write, or code that writes with raw SQL
  called `wrote()`): the rest of the request reads the primary, so it sees its own write;
- the user wrote recently: `ReplicaMiddleware` keeps the primary's WAL position after the
  user's last write in a signed cookie, and the replica is used again only once it has replayed
  that position (`pg_last_wal_replay_lsn()`); a Celery task passes the primary's position at
  its start instead, so it sees everything committed before it;
- a transaction is open on the primary (an `atomic` block: one snapshot, its own writes);
- the replica lags by more than REPLICA_MAX_LAG_SECONDS, is not streaming, or is down: its
  state is asked at most every REPLICA_CHECK_SECONDS per process, and a connection error marks
  it down for REPLICA_RETRY_SECONDS (no 500: the page is served from the primary; a view whose
  replica connection breaks mid-page is run again on the primary).
The choice is made once per scope, at its first read: a page reads one server, not a mix.
Sessions, the lockout and the second-factor devices are always read on the primary (a logout,
a lock or a removed device must count at once).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, Error, InterfaceError, OperationalError, connections

logger = logging.getLogger("partybuild.replicas")

REPLICA = "replica"
# Apps always read (and written) on the primary; their writes need no pinning either.
PRIMARY_ONLY_APPS = frozenset({"sessions", "axes", "otp_totp", "otp_static", "django_otp"})
COOKIE = "pb_wal"
_SALT = "partybuild.replicas.wal"
SAFE_METHODS = ("GET", "HEAD")
# What a replica gone away (or a query cancelled by its recovery) raises.
CONNECTION_ERRORS = (OperationalError, InterfaceError)


def configured() -> bool:
    """A replica is configured and its reads are switched on (REPLICA_READS)."""
    return REPLICA in settings.DATABASES and getattr(settings, "REPLICA_READS", True)


# --- the replica's state, asked at most every REPLICA_CHECK_SECONDS per process ---------------
@dataclasses.dataclass(frozen=True)
class ReplicaState:
    usable: bool
    replayed: int = 0  # pg_last_wal_replay_lsn() as a number
    lag: float = 0.0  # seconds behind the primary's last commit (0 when nothing is pending)
    reason: str = ""
    checked: float = 0.0  # time.monotonic() of the check


_state_lock = threading.Lock()
_state: ReplicaState | None = None

_STATE_SQL = """
    SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn()::text,
           CASE WHEN pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0
                ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END,
           (SELECT status FROM pg_stat_wal_receiver)
"""


def lsn(text: str | None) -> int:
    """A WAL position 'X/Y' as a number (0 for none)."""
    if not text:
        return 0
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) | int(low, 16)


def replica_state(*, fresh: bool = False) -> ReplicaState:
    """The replica's replay position and lag (cached per process), or why it is not usable."""
    global _state
    now = time.monotonic()
    state = _state
    if state is not None and not fresh:
        ttl = settings.REPLICA_CHECK_SECONDS if state.usable else settings.REPLICA_RETRY_SECONDS
        if now - state.checked < ttl:
            return state
    state = _ask_replica(now)
    with _state_lock:
        _state = state
    return state


def _ask_replica(now: float) -> ReplicaState:
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(_STATE_SQL)
            recovering, replayed, lag, receiver = cursor.fetchone()
    except Error as exc:
        logger.warning("Replica unreachable, reading the primary: %s", exc)
        _discard_connection()
        return ReplicaState(False, reason=f"down: {type(exc).__name__}", checked=now)
    if not recovering:
        # Promoted (a failover): it is no copy of the primary any more.
        return ReplicaState(False, reason="not in recovery", checked=now)
    # `receiver` is NULL for a role without pg_read_all_stats: then the lag alone decides.
    if receiver is not None and receiver != "streaming":
        return ReplicaState(False, lsn(replayed), reason=f"receiver {receiver}", checked=now)
    return ReplicaState(True, lsn(replayed), float(lag or 0), checked=now)


def _discard_connection() -> None:
    """Drop this thread's replica connection (broken; the next use opens a new one)."""
    with contextlib.suppress(Error):
        connections[REPLICA].close()


def replica_down(exc: BaseException) -> None:
    """A query on the replica failed: read the primary for REPLICA_RETRY_SECONDS."""
    global _state
    logger.warning("Replica query failed, reading the primary: %s", exc)
    _discard_connection()
    with _state_lock:
        _state = ReplicaState(
            False, reason=f"failed: {type(exc).__name__}", checked=time.monotonic()
        )


def forget_state() -> None:
    """Ask the replica again at the next read (tests; after an operator's change)."""
    global _state
    with _state_lock:
        _state = None


def primary_lsn() -> str | None:
    """The primary's current WAL position (None without a replica: nothing to wait for)."""
    if not configured():
        return None
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_current_wal_lsn()::text")
        return cursor.fetchone()[0]


# --- the scope: which server a read goes to --------------------------------------------------
@dataclasses.dataclass
class _Scope:
    since: int = 0  # a WAL position the replica must have replayed before it is read
    wait: float = 0.0  # seconds to wait for it to get there (a task), else the primary at once
    reads: bool = False  # inside @replica_reads / reads_on_replica
    wrote: bool = False
    alias: str | None = None  # chosen at the scope's first read


_scope: ContextVar[_Scope | None] = ContextVar("partybuild_replica_scope", default=None)


def reading_alias(model=None) -> str:
    """Where a read goes now: `replica` or `default`. Raw SQL reads ask it too."""
    scope = _scope.get()
    if scope is None or not scope.reads or scope.wrote or not configured():
        return DEFAULT_DB_ALIAS
    if model is not None and model._meta.app_label in PRIMARY_ONLY_APPS:
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    if scope.alias is None:
        scope.alias = REPLICA if _replica_fits(scope.since, scope.wait) else DEFAULT_DB_ALIAS
    return scope.alias


def _replica_fits(since: int, wait: float = 0.0) -> bool:
    state = replica_state()
    deadline = time.monotonic() + wait
    while state.usable and since and state.replayed < since:
        state = replica_state(fresh=True)  # the cached position may just be old
        if state.replayed >= since or time.monotonic() >= deadline:
            break
        time.sleep(0.05)
    if not state.usable:
        return False
    if state.lag > settings.REPLICA_MAX_LAG_SECONDS:
        logger.info("Replica %.1f s behind, reading the primary", state.lag)
        return False
    return state.replayed >= since


def wrote(model=None) -> None:
    """Something was written in this scope: its reads go to the primary from now on.

    The router calls it for every ORM write; code that writes with raw SQL calls it itself.
    """
    scope = _scope.get()
    if scope is not None and (model is None or model._meta.app_label not in PRIMARY_ONLY_APPS):
        scope.wrote = True


def current_alias() -> str | None:
    """The server this scope's reads were given (None before its first read; tests)."""
    scope = _scope.get()
    return scope.alias if scope is not None else None


@contextlib.contextmanager
def _scoped(scope: _Scope) -> Iterator[_Scope]:
    token = _scope.set(scope)
    try:
        yield scope
    finally:
        _scope.reset(token)


@contextlib.contextmanager
def reads_on_replica(*, since: str | None = None, wait: float = 0.0) -> Iterator[None]:
    """Reads in this block may go to the replica (see the module's docstring for when not).

    Inside a request (the middleware's scope) it marks that scope; elsewhere (a Celery task)
    it opens one, whose reads see nothing older than `since` — pass `primary_lsn()` — waiting
    up to `wait` seconds for the replica to replay it (a task can wait; a page does not).
    A database error on the replica marks it down, so the task's retry reads the primary.
    """
    outer = _scope.get()
    scope = outer if outer is not None else _Scope(since=lsn(since), wait=wait)
    if outer is not None and since:
        scope.since = max(scope.since, lsn(since))
    was_reading = scope.reads
    scope.reads = True
    try:
        with _scoped(scope):
            yield
    except CONNECTION_ERRORS as exc:
        if scope.alias == REPLICA and not scope.wrote:
            replica_down(exc)
        raise
    finally:
        scope.reads = was_reading


def replica_reads(view):
    """View decorator: a GET or HEAD of this read-only page reads the replica when it can.

    A replica connection that breaks during the page (the health check said it was up) costs
    one more run of the view on the primary, never a 500; not after the view wrote.
    For a class-based view: `method_decorator(replica_reads, name="dispatch")`.
    """

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in SAFE_METHODS or not configured():
            return view(request, *args, **kwargs)
        scope = _scope.get()
        with contextlib.ExitStack() as stack:
            if scope is None:  # no ReplicaMiddleware (a RequestFactory call): a scope of its own
                scope = stack.enter_context(_scoped(_Scope()))
            try:
                with reads_on_replica():
                    return view(request, *args, **kwargs)
            except CONNECTION_ERRORS:
                if scope.alias != REPLICA or scope.wrote:
                    raise
                scope.alias = DEFAULT_DB_ALIAS
                return view(request, *args, **kwargs)

    return wrapper


# --- the request: the user's last write, kept in a signed cookie ----------------------------
class ReplicaMiddleware:
    """Opens each request's scope with the WAL position of the user's last write (a signed
    cookie), and after a request that wrote stores the primary's position in that cookie. The
    cookie goes away once the replica has replayed it. Place it right after SessionMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not configured():
            return self.get_response(request)
        since = request.get_signed_cookie(
            COOKIE, default=None, salt=_SALT, max_age=settings.REPLICA_PIN_SECONDS
        )
        try:
            since_lsn = lsn(since)
        except ValueError:
            since, since_lsn = None, 0
        with _scoped(_Scope(since=since_lsn)) as scope:
            response = self.get_response(request)
            if scope.wrote:
                try:
                    position = primary_lsn()
                except Error:
                    logger.warning("Could not read the primary's WAL position", exc_info=True)
                else:
                    response.set_signed_cookie(
                        COOKIE,
                        position,
                        salt=_SALT,
                        max_age=settings.REPLICA_PIN_SECONDS,
                        httponly=True,
                        samesite="Lax",
                        secure=settings.SESSION_COOKIE_SECURE,
                    )
            elif since is not None and scope.alias == REPLICA:
                # This request was allowed on the replica: it has replayed the user's write.
                response.delete_cookie(COOKIE, samesite="Lax")
        return response


class ReplicaRouter:
    """DATABASE_ROUTERS entry (set when the replica is configured): reads as `reading_alias`
    says, writes always on the primary, migrations only there (the replica is a copy)."""

    def db_for_read(self, model, **hints):
        return reading_alias(model)

    def db_for_write(self, model, **hints):
        wrote(model)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same data on both servers

    def allow_migrate(self, db, app_label, **hints):
        return db == DEFAULT_DB_ALIAS
