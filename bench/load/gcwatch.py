"""Runs ``run.py`` (or ``$BENCH_SERVE``) with every full (generation-2) garbage collection
logged to ``$BENCH_GC_LOG``: one line per collection, ``monotonic-start ms collected``.

The soak scenario starts RuamKit through this to see what the server's GC policy
(workshop/realtime/gc_policy.py) does over a long run without changing the server: a
``gc.callbacks`` entry that returns at once for the young generations and writes a line
for a full one. Usage: ``python bench/load/gcwatch.py serve --host ... --port ...``.
"""

import gc
import os
import runpy
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
_log = open(os.environ["BENCH_GC_LOG"], "a", buffering=1)  # noqa: SIM115 (lives with the process)
_started = [0.0]


def _watch(phase: str, info: dict) -> None:
    if info.get("generation") != 2:
        return
    if phase == "start":
        _started[0] = time.monotonic()
    else:
        t = _started[0]
        _log.write(f"{t:.4f} {(time.monotonic() - t) * 1000:.2f} {info.get('collected', 0)}\n")


gc.callbacks.append(_watch)
script = os.environ.get("BENCH_SERVE") or os.path.join(ROOT, "run.py")
sys.argv = [script, *sys.argv[1:]]
sys.path[0] = ROOT  # not bench/load: its module names must not shadow others
runpy.run_path(script, run_name="__main__")
