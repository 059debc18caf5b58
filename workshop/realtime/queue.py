"""The message queue between server processes (Redis), made to heal after an outage.

python-socketio's RedisManager delivers each broadcast at most once: one sent
while Redis is down is lost, and its listener backs off up to a minute before
it listens again. This subclass listens again within 2 seconds, and every time
it has subscribed again it asks the app to broadcast the truth (state, counts,
results) of the workshops whose sockets this process serves, so projectors and
phones catch up without a reload.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

import socketio

log = logging.getLogger(__name__)


class ResilientRedisManager(socketio.RedisManager):
    #: longest wait between two attempts to listen again, in seconds
    MAX_RETRY = 2.0

    def __init__(self, url: str, channel: str, on_resubscribe: Callable[[], None],
                 on_change: Callable[[bool], None] | None = None) -> None:
        super().__init__(url, channel=channel, write_only=False)
        self.on_resubscribe = on_resubscribe
        self.on_change = on_change
        #: False while Redis is out of reach (the console says so)
        self.healthy = True

    def _set_health(self, healthy: bool) -> None:
        if healthy != self.healthy:
            self.healthy = healthy
            if self.on_change is not None:
                self.server.start_background_task(self.on_change, healthy)

    def _redis_listen_with_retries(self) -> Iterator[Any]:  # pragma: no cover - exercised by tests/security
        retry = 0.25
        subscribed = False
        lost = False
        while True:
            try:
                if not subscribed:
                    self._redis_connect()
                    self.pubsub.subscribe(self.channel)
                    subscribed, retry = True, 0.25
                    if lost:
                        lost = False
                        log.warning("message queue is back: broadcasting the current state again")
                        self._set_health(True)
                        self.server.start_background_task(self.on_resubscribe)
                yield from self.pubsub.listen()
            except Exception as exc:  # any Redis failure: listen again soon
                if not lost:
                    log.error("message queue lost (%s): retrying every %.0f s at most", exc, self.MAX_RETRY)
                    self._set_health(False)
                subscribed, lost = False, True
                time.sleep(retry)
                retry = min(retry * 2, self.MAX_RETRY)
