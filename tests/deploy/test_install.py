"""deploy/install.sh, followed for real into a throwaway root on this machine.

The script installs the code, a virtualenv made from the system Python with the pinned
packages, the settings, the systemd units and the nginx site under --root. Then the two
processes run as the units say, behind Debian's nginx configured as the script left it,
on PostgreSQL and Redis; more phones connect through nginx than Debian's default
`worker_connections 768` allows (two connections per phone), vote, one process is
killed and comes back: no acknowledged ballot is lost, none is counted twice, new
phones go to the returned process (nginx does not keep it marked as failed) and it serves
sockets again.
"""

from __future__ import annotations

import asyncio
import re
import stat
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from deploy.throwaway import Deployment, env_file, free_ports, install, nginx_binary, prepare_nginx
from tests.conftest import require
from tests.factories import workshop_object
from tests.phones import Phone, connect, disconnect, join_phones, reconnect_lost, run_apart, vote
from tests.servers import http

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

PHONES = 800
LATE_PHONES = 100
REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "install test password 7"


def test_install_script_then_800_phones_through_nginx_and_a_killed_process(
        tmp_path: Path, empty_postgres_database: str) -> None:
    require(nginx_binary() is not None, "nginx is not installed (Debian package nginx)")
    require(Path("/usr/bin/python3").exists(), "no system Python at /usr/bin/python3")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        require(False, f"Redis is not reachable: {exc}")

    root = tmp_path / "root"
    prepare_nginx(root)
    http_port, base_port = free_ports(2)

    def run_install() -> str:
        done = install(root, processes=2, phones=1000, http_port=http_port, base_port=base_port,
                       database_url=empty_postgres_database, redis_url=REDIS_URL)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    assert f"http://127.0.0.1:{http_port}/console" in run_install()
    settings = env_file(root / "etc/ruamkit/env")
    # idempotent: a second run keeps the secret and the channel it generated
    run_install()
    assert env_file(root / "etc/ruamkit/env") == settings

    # what it wrote
    env_mode = stat.S_IMODE((root / "etc/ruamkit/env").stat().st_mode)
    assert env_mode == 0o640
    assert len(settings["WORKSHOP_SECRET_KEY"]) >= 40
    assert re.fullmatch(r"ruamkit-[A-Za-z0-9_-]{8,}", settings["WORKSHOP_MESSAGE_QUEUE_CHANNEL"])
    assert settings["WORKSHOP_COOKIE_SECURE"] == "0"  # plain HTTP on a LAN
    main_conf = (root / "etc/nginx/nginx.conf").read_text()
    connections = int(re.search(r"worker_connections\s+(\d+);", main_conf).group(1))  # type: ignore[union-attr]
    assert connections >= 2 * 1000
    assert re.search(r"^worker_rlimit_nofile\s+\d+;", main_conf, re.M)
    site = (root / "etc/nginx/sites-available/ruamkit").read_text()
    assert "proxy_set_header Host $http_host;" in site and "ssl_certificate" not in site
    assert re.search(r"^\s*limit_conn ruamkit_per_address 2000;", site, re.M)  # 2 x --phones
    assert (root / "etc/nginx/sites-enabled/ruamkit").is_symlink()
    venv_python = (root / "opt/ruamkit/venv/bin/python").resolve()
    assert str(venv_python).startswith("/usr/bin/python3"), venv_python  # never a Python under /root

    # the balance check every second: the test cannot wait minutes
    deployment = Deployment(root, http_port, base_port, settings={"WORKSHOP_BALANCE_INTERVAL": "1"})
    try:
        deployment.run("migrate")
        deployment.run("user", "add", "anong", "--password-stdin", stdin=PASSWORD + "\n")
        for port in deployment.ports:
            deployment.start(port)
        deployment.start_nginx()
        status, body = http("POST", f"{deployment.url}/api/v1/auth/token",
                            {"username": "anong", "password": PASSWORD})
        assert status == 201, body
        token = body["token"]
        status, created = http("POST", f"{deployment.url}/api/v1/workshops", workshop_object(), token)
        assert status == 201, created
        wid = created["id"]
        status, _ = http("POST", f"{deployment.url}/api/v1/workshops/{wid}/stages/vision/open", token=token)
        assert status == 200
        outcome = run_apart(_phones(deployment, created["code"]))
        status, results = http("GET", f"{deployment.url}/api/v1/workshops/{wid}/results", token=token)
        assert status == 200
    finally:
        deployment.stop()

    # 0 lost, 0 counted twice: the results count each phone's last acknowledged ballot, once
    vision = next(s for s in results["stages"] if s["key"] == "vision")
    assert vision["ballots"] == PHONES + LATE_PHONES
    expected = Counter(item for choices in outcome["last_choices"] for item in choices["items"])
    assert {i["key"]: i["value"] for i in vision["items"]} == {f"v{n}": expected[f"v{n}"] for n in (1, 2, 3)}
    # both processes had sockets before the kill; the killed one served sockets again after
    assert len(outcome["before"]) == 2, outcome["before"]
    assert outcome["returned_serves"] > 0, outcome
    assert outcome["late_to_returned"] > LATE_PHONES // 2, outcome
    for port in deployment.ports:
        assert "Traceback" not in deployment.log(port)


async def _phones(deployment: Deployment, code: str) -> dict[str, Any]:
    base = deployment.url
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        phones = await join_phones(base, code, PHONES, "resident", session)
        await connect(base, phones, session)
        await reconnect_lost(base, phones, session)  # any the balance check moved meanwhile
        assert sum(1 for p in phones if p.sio.connected) == PHONES
        before = Counter(p.process for p in phones)

        def choices(i: int, round_: int) -> dict[str, Any]:
            return {"items": [f"v{1 + (i + round_) % 3}"]}

        await asyncio.gather(*(vote(p, "vision", choices(i, 0)) for i, p in enumerate(phones)))

        # one process is killed (no goodbye): its phones reconnect through nginx to the other
        victim = deployment.ports[0]
        deployment.kill(victim)
        moved = await reconnect_lost(base, phones, session)
        assert moved == before[f"p{victim}"]
        # a second round: later ballots replace earlier ones
        await asyncio.gather(*(vote(p, "vision", choices(i, 1)) for i, p in enumerate(phones)))

        # it comes back: new phones go to it (least_conn), and the busy one moves a share over
        late = await join_phones(base, code, LATE_PHONES, "resident", session)  # joined meanwhile
        await asyncio.get_running_loop().run_in_executor(None, deployment.start, victim)
        await connect(base, late, session)  # WebSocket only: no request that ends in between
        everyone: list[Phone] = phones + late
        returned = f"p{victim}"
        # it has the fewest sockets by far: new ones go to it, although connections were
        # refused by it while it was down (nginx must not keep it marked as failed)
        late_to_returned = sum(1 for p in late if p.process == returned)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while loop.time() < deadline and sum(1 for p in phones if p.process == returned) == 0:
            await reconnect_lost(base, phones, session)  # the balance check moved some
        await reconnect_lost(base, everyone, session)
        # every phone votes once more, wherever it is now
        await asyncio.gather(*(vote(p, "vision", choices(i, 2)) for i, p in enumerate(everyone)))
        after = Counter(p.process for p in everyone)
        last_choices = [p.last_choices for p in everyone]
        await disconnect(everyone)
    return {"before": before, "after": after, "returned_serves": after[returned],
            "late_to_returned": late_to_returned,
            "moved_back": sum(1 for p in phones if p.process == returned), "last_choices": last_choices}
