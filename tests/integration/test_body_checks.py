"""Large workshop bodies are checked in a worker process, with the same answers (issue 14).

A facilitator POSTing 203 KB bodies of 16,000 unknown fields back to back held the server's
event loop 84 ms a body (pydantic holds the GIL: a thread does not help), and honest phones'
acknowledgement p95 rose 9.4-fold (abuse benchmark ``body``). Bodies over 16 KB are now
checked in a small pool of worker processes (services.bodies, adapters.workers); a large
body that passed its checks counts against its account's budget before it is stored.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import pytest

from tests.factories import Api, workshop_object
from tests.security.test_trust import max_size_workshop


def unknown_fields_body(count: int) -> bytes:
    """A small valid workshop plus ``count`` unknown fields (16,000: 203 KB; bench/abuse's)."""
    return json.dumps({**workshop_object(), **{f"x{n:05d}": 1 for n in range(count)}}).encode()


def _checks_here(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every check of a workshop from outside made in this (the server's) process."""
    from workshop.domain import workshop_file
    from workshop.services import workshops

    seen: list[object] = []
    real = workshop_file.parse_workshop

    def spy(data: Any) -> Any:
        seen.append(data)
        return real(data)

    monkeypatch.setattr(workshops, "parse_workshop", spy)
    monkeypatch.setattr(workshop_file, "parse_workshop", spy)
    return seen


def _large(stages: int = 10, items: int = 150) -> dict[str, Any]:
    body = max_size_workshop()
    body["stages"] = [{**s, "items": s["items"][:items]} for s in body["stages"][:stages]]
    return body


def test_a_large_body_is_checked_in_a_worker_and_answered_the_same(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    body = unknown_fields_body(16000)
    assert len(body) > 200_000
    here = _checks_here(monkeypatch)
    in_worker = api.post("/api/v1/workshops", data=body, content_type="application/json")
    assert in_worker.status_code == 422
    assert here == []  # not one pydantic check in the server process
    api.app.config["CHECK_WORKERS"] = 0  # the same body checked here, as before
    in_server = api.post("/api/v1/workshops", data=body, content_type="application/json")
    assert len(here) == 1
    assert in_server.status_code == 422 and in_server.get_json() == in_worker.get_json()
    details = in_worker.get_json()["error"]["details"]
    assert details[0] == {"loc": "x00000", "message": "unknown field 'x00000'"}
    # a small body is still checked here, workers on or off
    api.app.config["CHECK_WORKERS"] = 1
    assert api.post("/api/v1/workshops", {**workshop_object(), "x": 1}).status_code == 422
    assert len(here) == 2


def test_a_max_size_workshop_saves_and_a_large_edit_keeps_its_answers(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """The 0.8 MB workshop at the file limits is created; a 130 KB edit is saved, a stale one
    is 409 before its mistakes, a wrong one 422 with the mistakes; no transaction is open
    while a worker checks (on SQLite every transaction holds the write lock)."""
    from workshop.adapters import workers
    from workshop.extensions import db

    open_during_check: list[bool] = []
    real_call = workers.WorkerPool.call

    def call(self: workers.WorkerPool, job: Any) -> Any:
        open_during_check.append(db.session().in_transaction())
        return real_call(self, job)

    monkeypatch.setattr(workers.WorkerPool, "call", call)
    here = _checks_here(monkeypatch)
    big = api.post("/api/v1/workshops", max_size_workshop())
    assert big.status_code == 201, big.get_json()
    got = api.get(f"/api/v1/workshops/{big.get_json()['id']}").get_json()
    assert len(got["stages"]) == 50 and all(len(s["items"]) == 200 for s in got["stages"])

    made = api.post("/api/v1/workshops", _large()).get_json()
    path = f"/api/v1/workshops/{made['id']}"
    edit = api.get(path).get_json()
    edit["title"] = "Changed"
    saved = api.client.put(path, json=edit, headers=api._headers())
    assert saved.status_code == 200, saved.get_json()
    assert api.get(path).get_json()["title"] == "Changed"
    edit["stages"][0]["bogus"] = 1  # wrong, and based on the revision before the save
    stale = api.client.put(path, json=edit, headers=api._headers())
    assert stale.status_code == 409, stale.get_json()
    edit["revision"] = saved.get_json()["revision"]
    wrong = api.client.put(path, json=edit, headers=api._headers())
    assert wrong.status_code == 422
    assert wrong.get_json()["error"]["details"][0]["loc"] == "stages[0].bogus"
    assert here == [] and len(open_during_check) == 5 and not any(open_during_check)


def test_large_workshops_have_a_budget_per_account_and_failed_or_small_ones_never_count(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    from workshop.adapters import ratelimit

    monkeypatch.setitem(ratelimit.ACCOUNT_RATES, "workshop_write", ratelimit.Rate(burst=2, per_second=0.01))
    wrong = unknown_fields_body(3000)
    for _ in range(3):  # bodies that fail their checks are not counted (paced by their checks)
        assert api.post("/api/v1/workshops", data=wrong, content_type="application/json").status_code == 422
    assert [api.post("/api/v1/workshops", _large(2)).status_code for _ in range(2)] == [201, 201]
    refused = api.post("/api/v1/workshops", _large(2))
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert "large workshop" in refused.get_json()["error"]["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 200
    # small bodies (what every script and the console send) never count
    assert api.post("/api/v1/workshops", workshop_object()).status_code == 201
    # another account has its own budget
    assert Api.signed_in(api.app).post("/api/v1/workshops", _large(2)).status_code == 201


def test_the_worker_pool_is_bounded_and_replaces_a_worker_out_of_time() -> None:
    from workshop.adapters.workers import Busy, WorkerFailed, WorkerPool
    from workshop.services import bodies

    pool = WorkerPool("workshop.services.bodies", size=1, waiting=0, timeout=30)
    try:
        with pytest.raises(Exception):  # noqa: B017 - a job that cannot travel takes no worker
            pool.call(("json", lambda: None, False))
        assert pool.started == 0
        with pytest.raises(bodies.Invalid):  # what the job raises is raised here
            pool.call(("json", unknown_fields_body(100), False))
        assert pool.started == 1
        slow = unknown_fields_body(200_000)
        errors: list[BaseException] = []

        def first() -> None:
            try:
                pool.call(("json", slow, False))
            except BaseException as exc:
                errors.append(exc)

        running = threading.Thread(target=first)
        running.start()
        while pool._inside == 0:
            time.sleep(0.01)
        with pytest.raises(Busy):  # the one worker is taken and nobody may wait
            pool.call(("json", b"{}", False))
        running.join(60)
        pool.timeout = 0.001  # the next job cannot be answered in time: its worker is killed
        with pytest.raises(WorkerFailed):
            pool.call(("json", slow, False))
        pool.timeout = 30
        with pytest.raises(bodies.Invalid):
            pool.call(("json", unknown_fields_body(100), False))
        assert pool.started == 2
        assert len(errors) == 1 and isinstance(errors[0], bodies.Invalid)
    finally:
        pool.close()


def test_a_console_upload_of_large_workshops_meets_the_same_budget_said_in_thai(
        app: Any, client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from tests.integration.test_console import make_user, post_form, sign_in
    from workshop.adapters import ratelimit

    monkeypatch.setitem(ratelimit.ACCOUNT_RATES, "workshop_write", ratelimit.Rate(burst=1, per_second=0.01))
    assert sign_in(client, make_user(app)).status_code == 302
    client.get("/console?lang=th")
    here = _checks_here(monkeypatch)
    data = json.dumps(_large(2)).encode()

    def upload() -> Any:
        return post_form(client, "/console", {"file": (io.BytesIO(data), "big.json"), "from_file": "1"},
                         page="/console", content_type="multipart/form-data")

    assert upload().status_code == 302
    refused = upload()
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 200
    page = refused.get_data(as_text=True)
    assert "คุณสร้างเวทีขนาดใหญ่หลายเวทีในเวลาสั้น ๆ" in page
    assert here == []  # both checked in a worker


def test_a_body_that_breaks_the_workers_memory_ceiling_is_413_and_the_next_one_is_checked(
        api: Api, caplog: pytest.LogCaptureFixture) -> None:
    """Its message says nothing of the worker (exit status, exception names): the log does."""
    body = unknown_fields_body(16000)
    api.app.config["CHECK_MEMORY_MB"] = 1  # below what any job needs: the worker cannot hold it
    with caplog.at_level("WARNING", logger="workshop.services.bodies"):
        starved = api.post("/api/v1/workshops", data=body, content_type="application/json")
    assert starved.status_code == 413 and starved.get_json()["error"]["code"] == "too_large"
    message = starved.get_json()["error"]["message"]
    assert message == ("the workshop could not be checked within the server's time and memory "
                       "limits: make it smaller, or try again later")
    assert any("could not be checked in a worker" in r.getMessage() and ": the worker" in r.getMessage()
               for r in caplog.records)
    api.app.config["CHECK_MEMORY_MB"] = 512
    again = api.post("/api/v1/workshops", data=body, content_type="application/json")
    assert again.status_code == 422 and again.get_json()["error"]["code"] == "invalid"


def test_the_shipped_samples_never_wait_for_a_worker_nor_count(
        app: Any, client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """ranong-livable-city.yaml is over 16 KB: made from the console's list or the builder's,
    it is read on the server's thread pool, never queued behind others' large bodies."""
    from tests.factories import SESSIONS
    from tests.integration.test_console import make_user, post_form, sign_in
    from workshop.adapters import ratelimit
    from workshop.services import bodies

    assert len((SESSIONS / "ranong-livable-city.yaml").read_bytes()) > bodies.LARGE_BODY
    monkeypatch.setitem(ratelimit.ACCOUNT_RATES, "workshop_write", ratelimit.Rate(burst=1, per_second=0.01))
    monkeypatch.setattr(bodies, "_in_worker", lambda job: pytest.fail("a sample sent to a worker"))
    assert sign_in(client, make_user(app)).status_code == 302
    for _ in range(2):
        made = post_form(client, "/console", {"sample": "ranong-livable-city.yaml", "from_sample": "1"})
        assert made.status_code == 302, made.get_data(as_text=True)[:500]
    built = post_form(client, "/console/new", {"source": "sample", "sample": "ranong-livable-city.yaml"},
                      page="/console/new")
    assert built.status_code == 302


def _open_fds() -> set[int]:
    import os

    return {int(fd) for fd in os.listdir("/proc/self/fd")}


def test_an_idle_worker_that_died_is_replaced_and_the_next_valid_large_body_is_saved(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """kill -9 of the idle worker (by the kernel's OOM killer, say): the next valid large body
    is 201, whether the death is seen before the job is sent or only by a broken pipe."""
    import os
    import signal

    from workshop.services import bodies

    body = json.dumps(_large(2)).encode()
    assert len(body) > bodies.LARGE_BODY
    assert api.post("/api/v1/workshops", data=body, content_type="application/json").status_code == 201
    with api.app.app_context():
        pool = bodies._pool()
    assert pool is not None
    for seen_dead in (True, False):
        assert len(pool._idle) == 1
        worker = pool._idle[0]
        os.kill(worker.proc.pid, signal.SIGKILL)
        os.waitid(os.P_PID, worker.proc.pid, os.WEXITED | os.WNOWAIT)  # dead, not yet reaped
        if not seen_dead:  # the pool learns it only when the job's write breaks
            monkeypatch.setattr(worker.proc, "poll", lambda: None)
        made = api.post("/api/v1/workshops", data=body, content_type="application/json")
        assert made.status_code == 201, (seen_dead, made.get_json())
        monkeypatch.undo()


@pytest.mark.parametrize("how", ["kill", "timeout"])
def test_a_job_stopped_by_gevent_leaves_no_worker_and_no_pipe_behind(
        how: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import gevent
    import gevent.select

    from workshop.adapters import workers
    from workshop.services import bodies

    monkeypatch.setattr(workers, "select", gevent.select)  # as under the server's monkey patch
    pool = workers.WorkerPool("workshop.services.bodies", size=1, waiting=0, timeout=60)
    slow = ("json", unknown_fields_body(200_000), False)
    started: list[workers._Worker] = []
    real_start = pool._start
    monkeypatch.setattr(pool, "_start", lambda: started.append(real_start()) or started[-1])
    gevent.select.select([], [], [], 0.01)  # the hub's own descriptors, before counting
    before = _open_fds()
    try:
        if how == "kill":
            job = gevent.spawn(pool.call, slow)
            while pool.started == 0:
                gevent.sleep(0.01)
            gevent.sleep(0.3)
            job.kill(block=True, timeout=10)
            assert job.dead and isinstance(job.value, gevent.GreenletExit)
        else:
            with pytest.raises(gevent.Timeout), gevent.Timeout(0.5):
                pool.call(slow)
        assert pool.started == 1 and pool._idle == [] and pool._inside == 0
        assert started[0].proc.poll() is not None  # killed and reaped
        assert _open_fds() == before
        with pytest.raises(bodies.Invalid):  # the slot is free again: the next job is answered
            pool.call(("json", unknown_fields_body(100), False))
    finally:
        pool.close()


@pytest.mark.parametrize(("lang", "said"), [
    ("th", "เซิร์ฟเวอร์ตรวจเวทีนี้ไม่เสร็จภายในเวลาและหน่วยความจำที่กำหนด"),
    ("en", "The workshop could not be checked within the server&#39;s time and memory limits."),
])
def test_a_console_upload_whose_worker_fails_is_told_in_the_users_language_without_internals(
        app: Any, client: Any, lang: str, said: str, caplog: pytest.LogCaptureFixture) -> None:
    import io

    from tests.integration.test_console import make_user, post_form, sign_in

    app.config["CHECK_MEMORY_MB"] = 1  # the worker cannot hold the job
    assert sign_in(client, make_user(app)).status_code == 302
    client.get(f"/console?lang={lang}")
    data = json.dumps(_large(2)).encode()
    with caplog.at_level("WARNING", logger="workshop.services.bodies"):
        refused = post_form(client, "/console", {"file": (io.BytesIO(data), "big.json"), "from_file": "1"},
                            page="/console", content_type="multipart/form-data")
    page = refused.get_data(as_text=True)
    assert refused.status_code == 413 and said in page
    for internal in ("exit status", "the worker", "MemoryError", "WorkerFailed",
                     "within the server's limits"):
        assert internal not in page
    assert any("could not be checked in a worker" in r.getMessage() for r in caplog.records)


def test_one_account_cannot_fill_the_checking_line_with_failing_bodies(
        api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    """One worker and a line of 2: an account's three large invalid bodies in flight at once
    held every slot, and another facilitator's large save got 429 busy. Now the account has
    one body in the pool at a time (its others: 429 busy, Retry-After); the other's is checked."""
    from types import SimpleNamespace

    from workshop.adapters import workers
    from workshop.services import bodies

    release = threading.Event()
    real_run = workers.WorkerPool._run

    def run(self: workers.WorkerPool, job: Any) -> Any:
        if job[1] == wrong:  # the attacker's check takes its time
            release.wait(30)
        return real_run(self, job)

    monkeypatch.setattr(workers.WorkerPool, "_run", run)
    wrong = unknown_fields_body(3000)
    good = json.dumps(_large(2)).encode()
    answers: dict[str, list[Any]] = {"attacker": [], "other": []}

    def post(who: str, account: int, body: bytes) -> None:
        from flask import g

        with api.app.test_request_context("/api/v1/workshops", method="POST"):
            g.user = SimpleNamespace(id=account)
            try:
                answers[who].append(bodies.workshop_json(body, edit=False))
            except bodies.ServiceError as exc:
                answers[who].append(exc)

    with api.app.app_context():
        pool = bodies._pool()
    assert pool is not None and pool.size == 1 and pool.waiting == 2
    attackers = [threading.Thread(target=post, args=("attacker", 1001, wrong)) for _ in range(3)]
    for thread in attackers:
        thread.start()
    deadline = time.monotonic() + 10
    while len(answers["attacker"]) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    refused = answers["attacker"][:]
    assert len(refused) == 2 and all(isinstance(e, bodies.Busy) and e.status == 429 and e.code == "busy"
                                     and e.retry_after for e in refused)
    other = threading.Thread(target=post, args=("other", 1002, good))
    other.start()
    while pool._inside < 2 and time.monotonic() < deadline:  # the other's waits its turn
        time.sleep(0.01)
    release.set()
    for thread in [*attackers, other]:
        thread.join(60)
    assert len(answers["other"]) == 1 and isinstance(answers["other"][0], bodies.Checked)
    assert answers["other"][0].definition is not None
    assert isinstance(answers["attacker"][2], bodies.Invalid)  # the one let in was checked
    # the account's next body, once its check is answered, is checked again
    post("attacker", 1001, wrong)
    assert isinstance(answers["attacker"][-1], bodies.Invalid)


def test_the_console_tells_an_account_with_a_body_being_checked_to_wait_in_thai(
        app: Any, client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from sqlalchemy import select

    from tests.integration.test_console import make_user, post_form, sign_in
    from workshop.extensions import db
    from workshop.models.account import User
    from workshop.services import bodies

    name = make_user(app)
    assert sign_in(client, name).status_code == 302
    client.get("/console?lang=th")
    with app.app_context():
        account = db.session.scalar(select(User.id).where(User.username == name))
    monkeypatch.setattr(bodies, "_CHECKING", {account})  # its previous body is being checked
    data = json.dumps(_large(2)).encode()
    refused = post_form(client, "/console", {"file": (io.BytesIO(data), "big.json"), "from_file": "1"},
                        page="/console", content_type="multipart/form-data")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == str(bodies.RETRY_AFTER)
    assert "เวทีขนาดใหญ่ที่คุณส่งมายังตรวจอยู่" in refused.get_data(as_text=True)
