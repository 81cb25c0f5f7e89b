"""In-process rate-limit counters that do not start a thread per request.

``limits``' own memory storage sweeps expired counters with a 10 ms timer
thread that it restarts on nearly every increment: about a millisecond of CPU
per submission under load. Counters already expire when read, so this storage
sweeps the leftovers every few thousand increments instead. Use Redis
(``SURVEYAPP_RATELIMIT_STORAGE_URI=redis://…``) to share counts between workers.
"""

from __future__ import annotations

import time

from limits.storage import MemoryStorage


class SweepingMemoryStorage(MemoryStorage):
    """``surveyapp-memory://``: memory counters swept every ``SWEEP_EVERY`` increments."""

    STORAGE_SCHEME = ["surveyapp-memory"]
    SWEEP_EVERY = 2000

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.increments = 0

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Count ``amount`` against ``key``, starting its window when it is new."""
        self.get(key)  # drops the counter if its window has passed
        with self.locks[key]:
            self.storage[key] += amount
            if self.storage[key] == amount:
                self.expirations[key] = time.time() + expiry
        self.increments += 1
        if self.increments % self.SWEEP_EVERY == 0:
            self.sweep()
        return self.storage.get(key, 0)

    def sweep(self) -> None:
        """Forget every counter whose window has passed."""
        now = time.time()
        for key in [k for k, until in list(self.expirations.items()) if until <= now]:
            self.storage.pop(key, None)
            self.expirations.pop(key, None)
            self.locks.pop(key, None)
