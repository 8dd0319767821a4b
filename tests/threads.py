"""Concurrency in tests: a body run in its own thread on its own database connection."""

import threading

from django.db import connection


class InThread(threading.Thread):
    """Runs `body` on its own database connection; keeps what it raised in `error`."""

    def __init__(self, body):
        super().__init__(daemon=True)
        self.body, self.error = body, None

    def run(self):
        try:
            self.body()
        except Exception as exc:  # noqa: BLE001 - checked by the test through `error`
            self.error = exc
        finally:
            connection.close()
