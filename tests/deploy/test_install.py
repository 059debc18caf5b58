"""deploy/install.sh, followed for real into a throwaway root on this machine.

The script installs the code, a virtualenv made from the system Python with the pinned
packages, the settings, the systemd units and the nginx site under --root. Then the two
processes run as the units say, behind Debian's nginx configured as the script left it,
on PostgreSQL and Redis; more phones connect through nginx than Debian's default
`worker_connections 768` allows (two connections per phone), vote, one process is
killed and comes back: no acknowledged ballot is lost, none is counted twice, and the
returned process serves sockets again.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import stat
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import require
from tests.factories import workshop_object
from tests.phones import Phone, connect, disconnect, join_phones, reconnect_lost, run_apart, vote
from tests.servers import ROOT, free_port, http, wait_until

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

PHONES = 800
LATE_PHONES = 100
REDIS_URL = "redis://127.0.0.1:6379/0"
PASSWORD = "install test password 7"


def _prepare_nginx(root: Path) -> None:
    """Debian's nginx.conf, with its paths moved under root (as if /etc were root/etc)."""
    conf = root / "etc" / "nginx"
    conf.mkdir(parents=True)
    shutil.copy("/etc/nginx/mime.types", conf / "mime.types")
    main = Path("/etc/nginx/nginx.conf").read_text()
    # Debian's default, whatever this machine's says
    main = re.sub(r"worker_connections\s+\d+;", "worker_connections 768;", main)
    main = re.sub(r"(?m)^worker_rlimit_nofile\s+\d+;\n", "", main)
    for folder in ("var/log/nginx", "run", "var/lib/nginx"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    main = (main.replace("/etc/nginx", str(conf)).replace("/var/log/nginx", str(root / "var/log/nginx"))
            .replace("/run/nginx.pid", str(root / "run/nginx.pid"))
            .replace("user www-data;", "user root;"))  # the test root lies in root's private /tmp
    temp = root / "var/lib/nginx"
    main = main.replace("http {", f"http {{\n\tclient_body_temp_path {temp}/body;\n"
                        f"\tproxy_temp_path {temp}/proxy;\n", 1)
    (conf / "nginx.conf").write_text(main)


def _env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key] = value
    return values



class Deployment:
    def __init__(self, root: Path, http_port: int, base_port: int) -> None:
        self.root = root
        self.url = f"http://127.0.0.1:{http_port}"
        self.ports = [base_port, base_port + 1]
        self.app = root / "opt/ruamkit/app"
        self.settings = _env_file(root / "etc/ruamkit/env")
        unit = (root / "etc/systemd/system/ruamkit@.service").read_text()
        self.exec_start = re.search(r"^ExecStart=(.+)$", unit, re.M).group(1).split()  # type: ignore[union-attr]
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.nginx: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSHOP_")}
        env.update(self.settings)
        env["WORKSHOP_BALANCE_INTERVAL"] = "1"  # the test cannot wait minutes
        return env

    def run(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run([str(self.root / "opt/ruamkit/venv/bin/python"), "run.py", *args], cwd=self.app,
                              env=self.env(), input=stdin, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def start(self, port: int) -> None:
        command = [part.replace("%i", str(port)) for part in self.exec_start]
        with (self.root / f"var/log/ruamkit-{port}.log").open("ab") as log:  # the child keeps its own
            self.procs[port] = subprocess.Popen(command, cwd=self.app, env=self.env(), stdout=log,
                                                stderr=subprocess.STDOUT)
        wait_until(lambda: _answers(f"http://127.0.0.1:{port}/healthz")
                   if self._alive(port) else _raise(self.log(port)), 60, f"process {port}")

    def _alive(self, port: int) -> bool:
        return self.procs[port].poll() is None

    def log(self, port: int) -> str:
        return (self.root / f"var/log/ruamkit-{port}.log").read_text()

    def start_nginx(self) -> None:
        conf = self.root / "etc/nginx/nginx.conf"
        check = subprocess.run(["nginx", "-t", "-c", str(conf)], capture_output=True, text=True)
        assert check.returncode == 0, check.stderr
        self.nginx = subprocess.Popen(["nginx", "-c", str(conf), "-g", "daemon off;"])
        wait_until(lambda: _answers(f"{self.url}/healthz"), 20, "nginx")

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()


def _raise(message: str) -> bool:
    raise AssertionError(f"process exited:\n{message}")


def _answers(url: str) -> bool:
    try:
        return http("GET", url)[0] == 200
    except OSError:
        return False


def test_install_script_then_800_phones_through_nginx_and_a_killed_process(
        tmp_path: Path, empty_postgres_database: str) -> None:
    require(shutil.which("nginx") is not None, "nginx is not installed (Debian package nginx)")
    require(Path("/usr/bin/python3").exists(), "no system Python at /usr/bin/python3")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as exc:
        require(False, f"Redis is not reachable: {exc}")

    root = tmp_path / "root"
    _prepare_nginx(root)
    http_port, base_port = free_port(), free_port()
    while base_port + 1 == http_port or not _free(base_port + 1):
        base_port = free_port()
    args = [str(ROOT / "deploy/install.sh"), "--root", str(root), "--user", "root", "--processes", "2",
            "--phones", "1000", "--http-port", str(http_port), "--base-port", str(base_port),
            "--database-url", empty_postgres_database, "--redis-url", REDIS_URL,
            "--public-url", f"http://127.0.0.1:{http_port}"]
    first = subprocess.run(args, capture_output=True, text=True, timeout=900)
    assert first.returncode == 0, first.stdout + first.stderr
    assert f"http://127.0.0.1:{http_port}/console" in first.stdout
    settings = _env_file(root / "etc/ruamkit/env")
    # idempotent: a second run keeps the secret and the channel it generated
    second = subprocess.run(args, capture_output=True, text=True, timeout=900)
    assert second.returncode == 0, second.stdout + second.stderr
    assert _env_file(root / "etc/ruamkit/env") == settings

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
    assert (root / "etc/nginx/sites-enabled/ruamkit").is_symlink()
    venv_python = (root / "opt/ruamkit/venv/bin/python").resolve()
    assert str(venv_python).startswith("/usr/bin/python3"), venv_python  # never a Python under /root

    deployment = Deployment(root, http_port, base_port)
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
    for port in deployment.ports:
        assert "Traceback" not in deployment.log(port)


def _free(port: int) -> bool:
    import socket

    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


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
        deployment.procs[victim].kill()
        deployment.procs[victim].wait(timeout=10)
        moved = await reconnect_lost(base, phones, session)
        assert moved == before[f"p{victim}"]
        # a second round: later ballots replace earlier ones
        await asyncio.gather(*(vote(p, "vision", choices(i, 1)) for i, p in enumerate(phones)))

        # it comes back: new phones go to it (least_conn), and the busy one moves a share over
        await asyncio.get_running_loop().run_in_executor(None, deployment.start, victim)
        late = await join_phones(base, code, LATE_PHONES, "resident", session)
        await connect(base, late, session)
        everyone: list[Phone] = phones + late
        returned = f"p{victim}"
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
            "moved_back": sum(1 for p in phones if p.process == returned), "last_choices": last_choices}
