"""An in-memory token bucket rate limiter (per process).

Each key (provider, client address) has a bucket of ``burst`` tokens that
refills at ``rate_per_minute``; a request takes one token or is refused with
the seconds to wait until the next one.

The buckets live in the memory of one Odoo process: with ``--workers N``
each worker counts on its own, so a client may get up to N times the limit;
in threaded mode (no ``--workers``) one process serves every request and the
limit is exact. That is enough to stop a leaked URL from being used to read
the customer base number by number, without a database write per lookup.
"""

import collections
import math
import threading
import time


class TokenBucketLimiter:
    def __init__(self, max_keys=10000, clock=time.monotonic):
        self._lock = threading.Lock()
        self._buckets = collections.OrderedDict()
        self._max_keys = max_keys
        self._clock = clock

    def take(self, key, rate_per_minute, burst):
        """Take one token from ``key``'s bucket.

        Return 0 when the request may go on, else the whole number of
        seconds (at least 1) after which a token will be available.
        """
        rate = rate_per_minute / 60.0
        burst = max(int(burst), 1)
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(burst), now))
            tokens = min(float(burst), tokens + (now - last) * rate)
            if tokens >= 1.0:
                tokens -= 1.0
                wait = 0
            else:
                wait = max(1, math.ceil((1.0 - tokens) / rate)) if rate > 0 else 60
            # Most recently used last: the least recently used keys are
            # forgotten first (a forgotten key starts again with a full bucket).
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        return wait

    def reset(self):
        with self._lock:
            self._buckets.clear()
