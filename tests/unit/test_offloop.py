"""adapters.offloop: CPU-heavy work in a pool of OS threads under gevent, inline otherwise."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from workshop.adapters import offloop
from workshop.services import workshops

ROOT = Path(__file__).resolve().parents[2]

UNDER_GEVENT = """
from gevent import monkey; monkey.patch_all()
import sys, threading
from workshop.adapters.offloop import off_loop
from workshop.domain.workshop_file import DefinitionError, parse_workshop
loop = threading.get_native_id()
assert off_loop(threading.get_native_id) != loop, "ran on the loop's thread"
try:
    off_loop(parse_workshop, {"title": ""})
except DefinitionError as exc:
    print("raised here:", type(exc).__name__)
"""


def test_under_gevent_the_work_runs_on_another_thread_and_its_error_is_raised_here() -> None:
    done = subprocess.run([sys.executable, "-c", UNDER_GEVENT], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "raised here: DefinitionError"
    # the pool does not also print the failed task as a crash
    assert "Traceback" not in done.stderr and "failed with" not in done.stderr, done.stderr


def test_without_gevent_the_caller_does_the_work() -> None:
    assert offloop.off_loop(threading.get_native_id) == threading.get_native_id()


def test_workshop_files_are_read_off_the_loop_bodies_on_it(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[str] = []
    real = offloop.off_loop
    monkeypatch.setattr(workshops, "off_loop",
                        lambda fn, *args: ran.append(getattr(fn, "__name__", "partial")) or real(fn, *args))
    sample = (ROOT / "sessions" / "community-park-en.yaml").read_bytes()
    workshops.parse_definition_text(sample, "community-park-en.yaml")
    workshops.parse_definition(workshops.parse_definition_text(sample).to_json())
    assert ran == ["check_text", "check_text"]  # both files; the body not (pydantic holds the GIL)
