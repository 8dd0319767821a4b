"""Fixtures for the tests on the real streaming replica (scripts/replica.sh, REPLICA_DATABASE_URL).

The replica is shared by every checkout on the machine and by concurrent suites: a test that
pauses its replay always resumes it, and "the replica is down" is a proxy of the test's own
that it stops, never the shared server.
"""

import contextlib
import socket
import threading
import time

import psycopg
import pytest
from django.conf import settings
from django.db import connections

from partybuild import replicas

WAIT_SECONDS = 30


def _admin(alias: str) -> psycopg.Connection:
    """An autocommit connection to the `postgres` database of that alias's server (the test
    database may not have reached the replica yet when a test starts)."""
    db = settings.DATABASES[alias]
    return psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
        connect_timeout=5,
    )


class Replica:
    """The replica's own controls, on a connection of their own."""

    def __init__(self):
        self.primary = _admin("default")
        self.standby = _admin("replica")

    def close(self):
        self.primary.close()
        self.standby.close()

    def sql(self, query: str, params=None):
        return self.standby.execute(query, params).fetchone()

    def wait_replayed(self) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        target = self.primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        deadline = time.monotonic() + WAIT_SECONDS
        while not self.sql("SELECT pg_last_wal_replay_lsn() >= %s", [target])[0]:
            if time.monotonic() > deadline:
                pytest.fail(f"The replica did not replay {target} within {WAIT_SECONDS} s")
            time.sleep(0.05)

    @contextlib.contextmanager
    def paused(self):
        """Replication replay paused (WAL still received): the replica's data stand still."""
        self.wait_replayed()
        self.sql("SELECT pg_wal_replay_pause()")
        try:
            deadline = time.monotonic() + WAIT_SECONDS
            while self.sql("SELECT pg_get_wal_replay_pause_state()")[0] != "paused":
                if time.monotonic() > deadline:
                    pytest.fail("The replica's replay did not pause")
                time.sleep(0.02)
            yield
        finally:
            self.sql("SELECT pg_wal_replay_resume()")
            replicas.forget_state()


@pytest.fixture
def replica(transactional_db):
    """The real replica, with the test database replayed on it; its state asked afresh."""
    if "replica" not in settings.DATABASES:
        pytest.skip("No replica configured: REPLICA_DATABASE_URL (make test sets it)")
    controls = Replica()
    try:
        assert controls.sql("SELECT pg_is_in_recovery()")[0], "REPLICA_DATABASE_URL is no standby"
        controls.wait_replayed()
        replicas.forget_state()
        yield controls
    finally:
        replicas.forget_state()
        controls.close()


class Proxy:
    """A TCP relay 127.0.0.1:<port> → the replica; `stop()` is the replica's host going away
    (the listening socket and every relayed connection closed)."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.running = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while self.running:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.running:
                client.close()
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket):
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def stop(self):
        self.running = False
        # shutdown() wakes the thread blocked in accept(); close() alone would not, and the
        # socket would go on listening until one more client came.
        with contextlib.suppress(OSError):
            self.server.shutdown(socket.SHUT_RDWR)
        self.server.close()
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@pytest.fixture
def replica_behind_proxy(replica):
    """The `replica` alias reaching the replica through a Proxy the test can stop."""
    connection = connections["replica"]
    db = connection.settings_dict
    proxy = Proxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    saved = db["PORT"]
    connection.close()
    connection.close_pool()
    db["PORT"] = str(proxy.port)
    try:
        yield proxy
    finally:
        proxy.stop()
        with contextlib.suppress(Exception):
            connection.close()
        connection.close_pool()
        db["PORT"] = saved
