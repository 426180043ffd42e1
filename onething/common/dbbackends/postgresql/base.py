"""Django's PostgreSQL backend, with a health check that costs nothing on a busy connection.

Django's ``CONN_HEALTH_CHECKS`` runs ``SELECT 1`` before the first query of every request
and every task on a reused connection: a statement and a round trip each time, about a
third of a callback's statements besides its own work. Here the check runs only on a
connection that has been idle for ``HEALTH_CHECK_IDLE_SECONDS`` or more, which is when a
database restart or a dropped connection may have gone unnoticed; a connection in steady
use skips it. A connection that does break under use fails that one request or task (as
it would with the check: a restart interrupts what is running), and Django closes it at
the end of that request or task (its ``errors_occurred`` check), so the next one
reconnects. ``HEALTH_CHECK_IDLE_SECONDS = 0`` gives Django's behaviour back.
"""

import time

from django.db.backends.postgresql import base

HEALTH_CHECK_IDLE_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    _last_used = 0.0

    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and time.monotonic() - self._last_used < HEALTH_CHECK_IDLE_SECONDS
        ):
            self.health_check_done = True  # used within the last second: known to work
            return
        super().close_if_health_check_failed()

    def _cursor(self, name=None):
        cursor = super()._cursor(name)
        self._last_used = time.monotonic()
        return cursor
