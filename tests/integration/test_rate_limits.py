"""HTTP rate limits (adapters.ratelimit): sign-in per address whatever the user name, the
console's form as the API, Retry-After, shared through Redis, and password hashing that
leaves the gevent loop free."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from tests.conftest import require
from tests.integration.test_console import csrf
from workshop.adapters.ratelimit import HTTP_KEY, HTTP_RATES, Exceeded, HttpLimits

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"


def sign_in(client: Any, username: str, address: str) -> Any:
    return client.post("/api/v1/auth/token", json={"username": username, "password": "wrong password"},
                       environ_base={"REMOTE_ADDR": address})


def test_sign_in_is_limited_per_address_whatever_the_user_name(app: Any) -> None:
    """A flood of made-up user names (each one a password hash) stops at the address's allowance."""
    client = app.test_client()
    allowance = HTTP_RATES["login_address"].burst
    assert HTTP_RATES["login"].burst < allowance  # one account's guesses stop first
    codes = [sign_in(client, f"made-up-{i}", "198.51.100.7").status_code for i in range(allowance)]
    assert codes == [401] * allowance
    refused = sign_in(client, "yet-another-name", "198.51.100.7")
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    # another address is not affected
    assert sign_in(client, "made-up-0", "198.51.100.8").status_code == 401


def test_the_console_form_is_limited_per_address_and_per_user_name(app: Any) -> None:
    client = app.test_client()

    def attempt(username: str, address: str) -> Any:
        token = csrf(client, "/login?lang=en")
        return client.post("/login?lang=en", data={"csrf_token": token, "username": username,
                                                   "password": "wrong password"},
                           environ_base={"REMOTE_ADDR": address})

    guesses = [attempt("anong", "198.51.100.9").status_code for _ in range(HTTP_RATES["login"].burst + 1)]
    assert guesses[:-1] == [401] * HTTP_RATES["login"].burst and guesses[-1] == 429
    names = [attempt(f"made-up-{i}", "198.51.100.10").status_code
             for i in range(HTTP_RATES["login_address"].burst + 1)]
    assert names[:-1] == [401] * HTTP_RATES["login_address"].burst
    last = attempt("one-more", "198.51.100.10")
    assert names[-1] == 429 and last.status_code == 429
    assert "Too many sign-in attempts" in last.get_data(as_text=True)
    assert int(last.headers["Retry-After"]) >= 1


def test_http_limits_are_off_when_rate_limits_are(app: Any) -> None:
    app.config["RATE_LIMITS"] = False
    client = app.test_client()
    codes = {sign_in(client, f"made-up-{i}", "198.51.100.11").status_code
             for i in range(HTTP_RATES["login_address"].burst + 5)}
    assert codes == {401}


def _limits(url: str | None, channel: str) -> HttpLimits:
    """The HTTP limits of one server process (only the settings they read)."""
    app = Flask(__name__)
    app.config.update(MESSAGE_QUEUE=url, MESSAGE_QUEUE_CHANNEL=channel, RATE_LIMITS=True)
    return HttpLimits(app)


def _spend(limits: HttpLimits, name: str, *parts: str) -> int:
    """How many hits pass before the first refusal."""
    for passed in range(10_000):
        try:
            limits.hit(name, *parts)
        except Exceeded:
            return passed
    raise AssertionError("never limited")


def _redis_available() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.mark.redis
def test_http_limits_hold_across_processes_through_redis() -> None:
    require(_redis_available(), f"Redis is not reachable at {REDIS_URL}")
    channel = f"limits-test-{uuid.uuid4().hex[:8]}"
    first, second = _limits(REDIS_URL, channel), _limits(REDIS_URL, channel)
    assert _spend(first, "login", "203.0.113.5", "anong") == HTTP_RATES["login"].burst
    with pytest.raises(Exceeded):
        second.hit("login", "203.0.113.5", "anong")  # the other process sees the same count
    second.hit("login", "203.0.113.5", "somchai")  # per user name
    # a deployment on another channel counts apart
    _limits(REDIS_URL, f"{channel}-other").hit("login", "203.0.113.5", "anong")


def test_without_a_message_queue_each_process_counts_alone() -> None:
    first, second = _limits(None, "ruamkit"), _limits(None, "ruamkit")
    assert _spend(first, "login", "203.0.113.6", "anong") == HTTP_RATES["login"].burst
    second.hit("login", "203.0.113.6", "anong")


def test_with_redis_down_limits_still_hold_in_the_process() -> None:
    limits = _limits("redis://127.0.0.1:1/0", f"down-{uuid.uuid4().hex[:8]}")  # nothing listens there
    assert _spend(limits, "login", "203.0.113.7", "anong") == HTTP_RATES["login"].burst


def test_each_app_counts_apart(app: Any) -> None:
    """Apps in one process (tests) never share a count."""
    other = _limits(None, "ruamkit")
    assert app.extensions[HTTP_KEY] is not other
    _spend(other, "login", "127.0.0.1", "anong")
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        app.extensions[HTTP_KEY].hit("login", "127.0.0.1", "anong")


# ---------------------------------------------------------------------------
# Password hashing off the event loop

LOOP_PROBE = textwrap.dedent("""
    from gevent import monkey

    monkey.patch_all()

    import json
    import sys

    import gevent
    from werkzeug.security import generate_password_hash

    from workshop.adapters import passwords

    ticks = 0


    def ticker():
        global ticks
        while True:
            gevent.sleep(0.005)
            ticks += 1


    def during(work):
        # ticks of the ticker while each of six concurrent hashes ran (counted by its own greenlet)
        tick = gevent.spawn(ticker)
        gevent.sleep(0.05)  # the ticker runs

        def timed():
            start = ticks
            work()
            return ticks - start

        workers = [gevent.spawn(timed) for _ in range(6)]
        gevent.joinall(workers)
        tick.kill()
        return [w.value for w in workers]


    stored = passwords.hash_password("correct horse battery")
    result = {
        "pool": during(lambda: passwords.check_password(stored, "made-up guess")),
        "on_loop": during(lambda: generate_password_hash("made-up guess")),
        "checks": [passwords.check_password(stored, "correct horse battery"),
                   passwords.check_password(stored, "wrong")],
    }
    json.dump(result, sys.stdout)
""")


def test_password_hashing_leaves_the_event_loop_responsive(tmp_path: Path) -> None:
    """Six hashes at once under gevent: a greenlet ticking every 5 ms keeps ticking during each
    of them in the pool, and (the same hashes on the loop, for contrast) never during one."""
    import json

    script = tmp_path / "probe.py"
    script.write_text(LOOP_PROBE, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["checks"] == [True, False]
    # the contrast: on the loop, nothing else runs while a hash does (exactly 0, every time)
    assert found["on_loop"] == [0] * 6
    # in the pool, the ticker ran during every hash (each takes ~90 ms; it ticks every 5 ms)
    assert all(ticks >= 1 for ticks in found["pool"]), found["pool"]
