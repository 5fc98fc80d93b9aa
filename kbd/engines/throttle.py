"""How fast kbd may talk to one model: the concurrency cap, the optional requests- and tokens-per-
minute limits, and the pauses the provider asks for (retry-after, x-ratelimit-* headers).

One `Throttle` per model endpoint is shared by every call that reaches it (sources, parts,
verifier, repair, retries), so `max_concurrency` holds across all of them, however many threads
the compile runs. A rate-limit answer slows every caller down together instead of failing jobs.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime

WINDOW_SECONDS = 60.0


class Throttle:
    def __init__(self, max_concurrency: int, requests_per_minute: int | None = None,
                 tokens_per_minute: int | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_concurrency = max_concurrency
        self.rpm = requests_per_minute
        self.tpm = tokens_per_minute
        self.clock = clock
        self.in_flight = 0
        self.peak = 0  # the most requests this throttle let run at one time
        self.paused_until = 0.0
        self._sent: deque[tuple[float, int]] = deque()  # (time, tokens) of requests in the last minute
        self._cond = threading.Condition()

    def acquire(self, tokens: int) -> None:
        """Wait until one more request of about `tokens` tokens may start, then count it in flight."""
        with self._cond:
            while True:
                wait = self._wait(tokens)
                if wait == 0:
                    break
                self._cond.wait(timeout=wait)
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
            self._sent.append((self.clock(), tokens))

    def release(self) -> None:
        with self._cond:
            self.in_flight -= 1
            self._cond.notify_all()

    def pause(self, seconds: float) -> None:
        """Hold every new request to this model for `seconds` (the provider asked us to wait)."""
        if seconds <= 0:
            return
        with self._cond:
            self.paused_until = max(self.paused_until, self.clock() + seconds)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Slow down before the provider says no: an exhausted x-ratelimit-* (OpenAI) or
        anthropic-ratelimit-* window pauses new requests until it resets."""
        for kind in ("requests", "tokens"):
            remaining = headers.get(f"x-ratelimit-remaining-{kind}")
            if remaining is not None and remaining.strip() == "0":
                self.pause(parse_duration(headers.get(f"x-ratelimit-reset-{kind}", "")) or 1.0)
            remaining = headers.get(f"anthropic-ratelimit-{kind}-remaining")
            if remaining is not None and remaining.strip() == "0":
                self.pause(seconds_until(headers.get(f"anthropic-ratelimit-{kind}-reset", "")) or 1.0)

    def _wait(self, tokens: int) -> float | None:
        """0 if a request may start now, else how long to wait (None: until a request ends)."""
        now = self.clock()
        while self._sent and self._sent[0][0] <= now - WINDOW_SECONDS:
            self._sent.popleft()
        if now < self.paused_until:
            return self.paused_until - now
        if self.in_flight >= self.max_concurrency:
            return None
        if self.rpm is not None and len(self._sent) >= self.rpm:
            return self._sent[0][0] + WINDOW_SECONDS - now
        if self.tpm is not None and self._sent and sum(t for _, t in self._sent) + tokens > self.tpm:
            return self._sent[0][0] + WINDOW_SECONDS - now  # a single request larger than the limit still goes
        return 0


def parse_duration(text: str) -> float:
    """OpenAI's reset durations: "1s", "6m0s", "20ms", "1h2m3.5s" → seconds (0 if unreadable)."""
    total = 0.0
    for amount, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", text.strip()):
        total += float(amount) * {"ms": 0.001, "s": 1, "m": 60, "h": 3600}[unit]
    return total


def seconds_until(stamp: str) -> float:
    """Anthropic's reset times are RFC 3339 timestamps → seconds from now (0 if past or unreadable)."""
    try:
        when = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
    except ValueError:
        return 0.0
    if when.tzinfo is None:
        return 0.0
    return max(0.0, when.timestamp() - time.time())
