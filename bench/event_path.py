"""`python -m bench.event_path`: the CPU one socket event costs before its service (issue 17.5).

What every `ballot` pays around `services.ballots.cast_ballot`: the in-flight count, the
app context pushed and popped (with its teardown), the connection lookup, the inbound
check of the data (domain.inbound), the socket rate limit, the acknowledgement. The
service is replaced by a no-op, so the figure is the path alone, in-process (no socket,
no database): CPU time per event (``time.process_time``, so a busy machine changes it
less than wall time), the best of 15 passes over 2,000 residents, for an approval and a
score ballot as the load benchmark's phones send them. Prints one line of JSON.
"""

from __future__ import annotations

import itertools
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

APPROVAL = {"stage": "vision", "choices": {"items": ["v1", "v2"]},
            "ballot_id": "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f"}
SCORE = {"stage": "projects", "choices": {"scores": {"p1": {"importance": 4, "feasibility": 2},
                                                     "p2": {"importance": 5},
                                                     "p3": {"importance": 1, "feasibility": 3}}},
         "ballot_id": "6f1c2d3e-4b5a-4c7d-8e9f-0a1b2c3d4e5f"}


def measure(residents: int = 2000, passes: int = 15) -> dict[str, Any]:
    from workshop import create_app
    from workshop.adapters import ratelimit
    from workshop.config import TestConfig
    from workshop.realtime import handlers
    from workshop.realtime.identity import Identity, connections

    tmp = Path(tempfile.mkdtemp(prefix="ruamkit-event-path-"))
    app = create_app(TestConfig(f"sqlite:///{tmp / 'w.db'}", instance=tmp, ASYNC_MODE="threading"))
    tick = itertools.count()
    # the limiter counts as in a venue where each resident's bucket has refilled
    app.extensions[ratelimit.SOCKET_KEY]["ballot"].clock = lambda: float(next(tick))
    name = "ballot"
    original = handlers.EVENTS[name]
    try:
        run = handlers._in_app_context(app, handlers.event(name)(lambda _who, _data: handlers.ok(version=1)))
        sids = [f"sid{i}" for i in range(residents)]
        for i, sid in enumerate(sids):
            connections(app)[sid] = Identity("participant", 1, i + 1, group_key="resident",
                                             token_hash="0" * 64)
        best: dict[str, float] = {}
        for _ in range(passes):
            for label, data in (("approval", APPROVAL), ("score", SCORE)):
                t = time.process_time()
                for sid in sids:
                    answer = run(sid, data)
                spent = (time.process_time() - t) / residents * 1e6
                if answer != {"ok": True, "version": 1}:
                    raise RuntimeError(f"the event path refused the ballot: {answer}")
                best[label] = min(best.get(label, spent), spent)
    finally:
        handlers.EVENTS[name] = original
    return {"us_per_event": {k: round(v, 1) for k, v in best.items()},
            "ms_per_burst_of_2000_each": round(sum(best.values()) * residents / 1000, 1)}


def main(argv: list[str] | None = None) -> int:
    print(json.dumps(measure()), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
