"""The console says when the message queue (Redis) between processes is down."""

from __future__ import annotations

from typing import Any

from tests.integration.test_console import console, create  # noqa: F401  (fixture)


def test_run_sheet_warns_while_the_message_queue_is_down(app: Any, console: Any) -> None:  # noqa: F811
    workshop_id, _code = create(app)
    page = console.get(f"/console/w/{workshop_id}?lang=en").get_data(as_text=True)
    assert "data-live=\"queue-down\" role=\"alert\" hidden" in page  # one process: nothing to say
    app.jinja_env.globals["message_queue_state"] = lambda: "down"
    page = console.get(f"/console/w/{workshop_id}?lang=en").get_data(as_text=True)
    assert "data-live=\"queue-down\" role=\"alert\">" in page
    assert "(Redis) is down" in page
    thai = console.get(f"/console/w/{workshop_id}?lang=th").get_data(as_text=True)
    assert "ขัดข้อง" in thai


def test_the_queue_manager_reports_loss_and_return_once_each() -> None:
    from workshop.realtime.queue import ResilientRedisManager

    seen: list[bool] = []
    manager = ResilientRedisManager.__new__(ResilientRedisManager)
    manager.healthy = True
    manager.on_change = seen.append

    class Server:
        @staticmethod
        def start_background_task(fn: Any, *args: Any) -> None:
            fn(*args)

    manager.server = Server()
    for healthy in (False, False, True, True, False):
        manager._set_health(healthy)
    assert seen == [False, True, False]


def test_healthz_says_there_is_no_queue_with_one_process(client: Any) -> None:
    response = client.get("/healthz")
    assert response.get_json() == {"status": "ok"}  # the contract's body, exactly
    assert response.headers["X-Message-Queue"] == "none"
