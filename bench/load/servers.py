"""Servers under test, started and stopped by the harness, and what is measured on them.

- :class:`RuamKit`: ``run.py serve`` processes on a fresh instance directory; SQLite in it,
  or a fresh PostgreSQL database (created here, dropped at the end) and Redis.
- :class:`Installed`: deploy/install.sh into a throwaway root, its processes started as
  its systemd unit says, behind Debian's nginx configured as the script left it
  (deploy/throwaway.py, shared with the install test); a fresh PostgreSQL database, Redis.
- :class:`Reference`: the Node.js tally server of bench/reference (``npm ci`` first if
  its node_modules is missing); :class:`Durable`: bench/reference/durable.py, the same
  contract in Python on RuamKit's stack, storing ballots in SQLite before acknowledging.
- :class:`Sampler`: CPU and memory of the server processes (psutil), in a thread.
- :class:`RedisCounter`: messages published on Redis (a pattern subscriber counts
  them) and ``INFO stats`` command counts.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import requests

ROOT = Path(__file__).resolve().parents[2]
REFERENCE_DIR = ROOT / "bench" / "reference"
PASSWORD = "bench-password-not-secret"
FACILITATOR = "bench"
PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")


#: every server process started here, stopped at exit whatever happens
_STARTED: list[subprocess.Popen[bytes]] = []


@atexit.register
def _stop_all() -> None:
    for proc in _STARTED:
        stop_process(proc, timeout=5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _raise_nofile() -> None:
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def _preexec() -> None:
    _raise_nofile()
    os.setsid()  # own process group: stopping it never touches the harness


def wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server {url} exited with {proc.returncode} at start")
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server {url} not healthy after {timeout:.0f} s")


def stop_process(proc: subprocess.Popen[bytes] | None, timeout: float = 10.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


@dataclass
class Workshop:
    id: int
    code: str
    projector_key: str


@dataclass
class Target:
    """What the harness needs from a system under test."""

    name: str
    urls: list[str] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    workdir: Path | None = None
    workshop: Workshop | None = None
    token: str = ""
    database_url: str | None = None

    def pids(self) -> list[int]:
        return [p.pid for p in self.procs if p.poll() is None]

    def api(self, method: str, path: str, body: Any = None, index: int = 0) -> Any:
        resp = requests.request(method, f"{self.urls[index]}{path}", json=body, timeout=60,
                                headers={"Authorization": f"Bearer {self.token}"} if self.token else {})
        if resp.status_code >= 400:
            raise RuntimeError(f"{method} {path}: HTTP {resp.status_code} {resp.text[:300]}")
        return resp.json() if resp.content else None

    def login(self) -> None:
        resp = requests.post(f"{self.urls[0]}/api/v1/auth/token", timeout=30,
                             json={"username": FACILITATOR, "password": PASSWORD})
        if resp.status_code != 201:
            raise RuntimeError(f"facilitator login failed: HTTP {resp.status_code} {resp.text[:200]}")
        self.token = resp.json()["token"]

    def logs(self, lines: int = 40) -> str:
        if self.workdir is None:
            return ""
        out = []
        for log in sorted(self.workdir.glob("*.log")):
            text = log.read_text(errors="replace").splitlines()
            out.append(f"== {log.name} (last {lines} lines)\n" + "\n".join(text[-lines:]))
        return "\n".join(out)

    def stop(self) -> None:
        for proc in self.procs:
            stop_process(proc)


class RuamKit(Target):
    """``run.py serve`` processes on a fresh instance dir (SQLite) or PostgreSQL + Redis."""

    @classmethod
    def start(cls, workdir: Path, workshop_file: Path, *, servers: int = 1, database: str = "sqlite",
              message_queue: str | None = None, extra_env: dict[str, str] | None = None,
              gc_log: Path | None = None) -> RuamKit:
        """``gc_log``: start each process through bench/load/gcwatch.py, which logs every full
        garbage collection there (the soak)."""
        workdir.mkdir(parents=True, exist_ok=True)
        target = cls(name="ruamkit", workdir=workdir)
        ports = [free_port() for _ in range(servers)]
        env = {**os.environ, **(extra_env or {})}
        env["WORKSHOP_INSTANCE"] = str(workdir / "instance")
        env["WORKSHOP_PUBLIC_URL"] = f"http://127.0.0.1:{ports[0]}"
        env["WORKSHOP_SECRET_KEY"] = uuid.uuid4().hex  # shared by every process
        env.pop("WORKSHOP_MESSAGE_QUEUE", None)
        # every benchmark phone comes from 127.0.0.1, thousands of them: no ceiling per address
        env.setdefault("WORKSHOP_CONNECTIONS_PER_ADDRESS", "0")
        if database == "postgresql":
            target.database_url = create_pg_database()
        else:
            target.database_url = f"sqlite:///{workdir / 'instance' / 'workshop.db'}"
        env["WORKSHOP_DATABASE_URL"] = target.database_url
        if message_queue == "redis":
            env["WORKSHOP_MESSAGE_QUEUE"] = REDIS_URL
        py = sys.executable
        run = [py, str(ROOT / "run.py")]
        try:
            subprocess.run([*run, "user", "add", FACILITATOR, "--password-stdin"], input=PASSWORD + "\n",
                           text=True, env=env, cwd=ROOT, check=True, capture_output=True, timeout=120)
            # the schema exists now: load the workshop while the servers start
            loader = subprocess.Popen([*run, "load", str(workshop_file)], text=True, env=env, cwd=ROOT,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for n, port in enumerate(ports):
                log = open(workdir / f"server{n}.log", "wb")  # noqa: SIM115 (lives with the process)
                serve = [py, os.environ["BENCH_SERVE"]] if os.environ.get("BENCH_SERVE") else run
                if gc_log is not None:  # gcwatch.py runs BENCH_SERVE or run.py itself
                    env["BENCH_GC_LOG"] = str(gc_log if servers == 1 else gc_log.with_suffix(f".{n}.log"))
                    serve = [py, str(ROOT / "bench" / "load" / "gcwatch.py")]
                proc = subprocess.Popen([*serve, "serve", "--host", "127.0.0.1", "--port", str(port)],
                                        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, preexec_fn=_preexec)
                target.procs.append(proc)
                _STARTED.append(proc)
                target.urls.append(f"http://127.0.0.1:{port}")
            loaded, errors = loader.communicate(timeout=120)
            if loader.returncode != 0:
                raise RuntimeError(f"run.py load failed: {errors or loaded}")
            target.workshop = parse_load_output(loaded)
            for url, proc in zip(target.urls, target.procs):
                wait_healthy(url, proc)
            target.login()
        except BaseException as exc:
            target.stop()
            if isinstance(exc, subprocess.CalledProcessError):
                raise RuntimeError(f"{exc.cmd[2:4]} failed: {exc.stderr or exc.stdout}") from exc
            raise
        return target

    def stop(self) -> None:
        super().stop()
        if self.database_url and self.database_url.startswith("postgresql"):
            drop_pg_database(self.database_url)


class Installed(Target):
    """deploy/install.sh into ``workdir/root``: N processes behind nginx, PostgreSQL, Redis.

    ``urls`` is nginx's address only: every phone, projector and API call goes through it.
    """

    deployment: Any = None
    install_seconds: float = 0.0
    #: nginx's worker_connections as install.sh set it
    worker_connections: int | None = None

    @classmethod
    def start(cls, workdir: Path, workshop_file: Path, *, servers: int = 2, phones: int = 2000,
              settings: dict[str, str] | None = None) -> Installed:
        import re

        from deploy.throwaway import Deployment, free_ports, install, nginx_binary, prepare_nginx

        if nginx_binary() is None:
            raise RuntimeError("nginx is not installed (Debian package nginx): the deploy scenario needs it")
        workdir.mkdir(parents=True, exist_ok=True)
        target = cls(name="deploy", workdir=workdir)
        root = workdir / "root"
        try:
            target.database_url = create_pg_database()
            prepare_nginx(root)
            http_port, base_port = free_ports(servers)
            t0 = time.monotonic()
            done = install(root, processes=servers, phones=phones, http_port=http_port, base_port=base_port,
                           database_url=target.database_url, redis_url=REDIS_URL)
            target.install_seconds = round(time.monotonic() - t0, 1)
            (workdir / "install.log").write_text(done.stdout + done.stderr)
            if done.returncode != 0:
                raise RuntimeError(f"install.sh failed ({done.returncode}): "
                                   f"{(done.stdout + done.stderr)[-2000:]}")
            conf = (root / "etc/nginx/nginx.conf").read_text()
            found = re.search(r"worker_connections\s+(\d+);", conf)
            target.worker_connections = int(found.group(1)) if found else None
            deployment = target.deployment = Deployment(root, http_port, base_port, servers, settings)
            deployment.run("migrate")
            deployment.run("user", "add", FACILITATOR, "--password-stdin", stdin=PASSWORD + "\n")
            target.workshop = parse_load_output(deployment.run("load", str(workshop_file)))
            for port in deployment.ports:
                deployment.start(port)
            deployment.start_nginx()
            target.urls = [deployment.url]
            target.login()
        except BaseException:
            target.stop()
            raise
        return target

    def pids(self) -> list[int]:
        return [p.pid for p in self.deployment.procs.values() if p.poll() is None] if self.deployment else []

    def proxy_pids(self) -> list[int]:
        nginx = self.deployment.nginx if self.deployment else None
        return [nginx.pid] if nginx is not None and nginx.poll() is None else []

    def kill(self, index: int) -> int:
        """SIGKILL process ``index``; its port."""
        port: int = self.deployment.ports[index]
        self.deployment.kill(port)
        return port

    def restart(self, index: int) -> int:
        """Start process ``index`` again (as systemd's Restart=on-failure does); its new pid."""
        port = self.deployment.ports[index]
        self.deployment.start(port)
        return int(self.deployment.procs[port].pid)

    def logs(self, lines: int = 40) -> str:
        if self.deployment is None:
            return ""
        out = []
        for log in sorted((self.deployment.root / "var/log").rglob("*.log")):
            text = log.read_text(errors="replace").splitlines()
            out.append(f"== {log.name} (last {lines} lines)\n" + "\n".join(text[-lines:]))
        return "\n".join(out)

    def tracebacks(self) -> int:
        """Tracebacks in the processes' logs (a correct run has none)."""
        if self.deployment is None:
            return 0
        return sum(self.deployment.log(port).count("Traceback") for port in self.deployment.ports)

    def stop(self) -> None:
        if self.deployment is not None:
            self.deployment.stop()
        if self.database_url:
            drop_pg_database(self.database_url)


def parse_load_output(text: str) -> Workshop:
    fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    return Workshop(id=int(fields["id"]), code=fields["code"],
                    projector_key=fields["projector_url"].rstrip("/").rsplit("/", 1)[1])


class Yardstick(Target):
    """A reference server (bench/reference): no accounts, the workshop posted to it."""

    @classmethod
    def launch(cls, name: str, workdir: Path, argv: list[str], cwd: Path, port: int,
               definition: dict[str, Any]) -> Any:
        """The start-up both references share: run ``argv`` (its output in ``NAME.log``), wait
        for /healthz, take a token (no password), post the workshop. On any failure the
        server is stopped and the error raised."""
        target = cls(name=name, workdir=workdir)
        log = open(workdir / f"{name}.log", "wb")  # noqa: SIM115 (lives with the process)
        proc = subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, preexec_fn=_preexec)
        target.procs.append(proc)
        _STARTED.append(proc)
        target.urls.append(f"http://127.0.0.1:{port}")
        try:
            wait_healthy(target.urls[0], proc)
            target.token = requests.post(f"{target.urls[0]}/api/v1/auth/token", json={},
                                         timeout=10).json()["token"]
            created = target.api("POST", "/api/v1/workshops", json.loads(json.dumps(definition, default=str)))
            target.workshop = Workshop(id=created["id"], code=created["code"],
                                       projector_key=created["projector_url"].rsplit("/", 1)[1])
        except BaseException:
            target.stop()
            raise
        return target


class Reference(Yardstick):
    """bench/reference/server.js (Node.js + socket.io), in memory."""

    @classmethod
    def start(cls, workdir: Path, definition: dict[str, Any]) -> Reference:
        workdir.mkdir(parents=True, exist_ok=True)
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("node is not installed: the reference server needs Node.js >= 18")
        if not (REFERENCE_DIR / "node_modules" / "socket.io").exists():
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=REFERENCE_DIR, check=True,
                           capture_output=True, timeout=300)
        port = free_port()
        target: Reference = cls.launch("reference", workdir, [node, "server.js", "--port", str(port)],
                                       REFERENCE_DIR, port, definition)
        return target


class Durable(Yardstick):
    """bench/reference/durable.py: Flask-SocketIO + gevent + a group-committing SQLite writer."""

    @classmethod
    def start(cls, workdir: Path, definition: dict[str, Any]) -> Durable:
        workdir.mkdir(parents=True, exist_ok=True)
        port, db = free_port(), workdir / "durable.db"
        target: Durable = cls.launch(
            "durable", workdir, [sys.executable, str(REFERENCE_DIR / "durable.py"), "--port", str(port),
                                 "--db", str(db)], ROOT, port, definition)
        target.database_url = f"sqlite:///{db}"
        return target


# -- PostgreSQL: a fresh database per run ---------------------------------------------
def create_pg_database() -> str:
    import psycopg

    name = f"ruamkit_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_pg_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    if not name.startswith("ruamkit_bench_"):
        return
    with contextlib.suppress(Exception), psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- measuring --------------------------------------------------------------------------
class Sampler(threading.Thread):
    """CPU % (of one core) and RSS of process trees, sampled every ``interval`` s."""

    def __init__(self, groups: dict[str, list[int]], interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.groups = groups
        self.interval = interval
        self.samples: dict[str, list[tuple[float, float, float]]] = {g: [] for g in groups}
        self._halt = threading.Event()
        self._procs: dict[int, psutil.Process] = {}

    def _tree(self, pid: int) -> list[psutil.Process]:
        try:
            root = self._procs.setdefault(pid, psutil.Process(pid))
            found = [root]
            for child in root.children(recursive=True):
                found.append(self._procs.setdefault(child.pid, child))
            return found
        except psutil.Error:
            return []

    def run(self) -> None:
        for pids in self.groups.values():  # prime cpu_percent
            for pid in pids:
                for p in self._tree(pid):
                    with contextlib.suppress(psutil.Error):
                        p.cpu_percent(None)
        psutil.cpu_percent(None)
        cores = psutil.cpu_count() or 1
        self.samples["machine"] = []
        while not self._halt.wait(self.interval):
            now = time.monotonic()
            # the whole machine, in % of one core like the groups (2 cores = 200 %)
            self.samples["machine"].append((now, psutil.cpu_percent(None) * cores, 0.0))
            for name, pids in self.groups.items():
                cpu = rss = 0.0
                for pid in pids:
                    for p in self._tree(pid):
                        with contextlib.suppress(psutil.Error):
                            cpu += p.cpu_percent(None)
                            rss += p.memory_info().rss
                self.samples[name].append((now, cpu, rss / 2**20))

    def stop(self) -> None:
        self._halt.set()
        self.join(5)

    def window(self, name: str, t0: float, t1: float) -> dict[str, float | None]:
        got = [s for s in self.samples.get(name, []) if t0 <= s[0] <= t1 + self.interval]
        if not got:
            return {"cpu_avg": None, "cpu_max": None, "rss_peak_mb": None}
        cpus = [c for _, c, _ in got]
        return {"cpu_avg": round(sum(cpus) / len(cpus), 1), "cpu_max": round(max(cpus), 1),
                "rss_peak_mb": round(max(r for _, _, r in got), 1)}

    def others(self, t0: float, t1: float) -> dict[str, Any]:
        """CPU of processes that are not part of this run (other work on the machine)."""
        machine = self.window("machine", t0, t1)["cpu_avg"]
        ours = sum(self.window(g, t0, t1)["cpu_avg"] or 0.0 for g in self.groups)
        return {"machine_cpu_avg": machine,
                "others_cpu_avg": None if machine is None else round(max(0.0, machine - ours), 1),
                "load_avg_1m": round(os.getloadavg()[0], 2)}

    def peak_rss(self, name: str) -> float | None:
        got = self.samples.get(name) or []
        return round(max(r for _, _, r in got), 1) if got else None


def service_pids() -> list[int]:
    """The PostgreSQL postmaster(s) and redis-server(s) of this machine (their CPU is the run's too)."""
    found = []
    for proc in psutil.process_iter(["pid", "name", "ppid"]):
        name = proc.info["name"] or ""
        try:
            parent = psutil.Process(proc.info["ppid"]).name() if proc.info["ppid"] else ""
        except psutil.Error:
            parent = ""
        if (name == "postgres" and parent != "postgres") or name.startswith("redis-server"):
            found.append(proc.info["pid"])
    return found


class RedisCounter(threading.Thread):
    """Counts every message published on Redis (pub/sub is server-wide) with its time."""

    def __init__(self, url: str = REDIS_URL) -> None:
        super().__init__(daemon=True)
        import redis

        self.client = redis.Redis.from_url(url)
        self.pubsub = self.client.pubsub(ignore_subscribe_messages=True)
        self.pubsub.psubscribe("*")
        self.times: list[tuple[float, int]] = []
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            msg = self.pubsub.get_message(timeout=0.2)
            if msg is not None and msg.get("type") == "pmessage":
                self.times.append((time.monotonic(), len(msg.get("data") or b"")))

    def commands(self) -> int:
        return int(self.client.info("stats")["total_commands_processed"])

    def window(self, t0: float, t1: float) -> dict[str, float]:
        got = [b for t, b in self.times if t0 <= t <= t1]
        span = max(t1 - t0, 1e-9)
        return {"messages": len(got), "messages_per_s": round(len(got) / span, 2),
                "bytes_per_s": round(sum(got) / span, 1), "window_s": round(span, 2)}

    def stop(self) -> None:
        self._halt.set()
        self.join(2)
        with contextlib.suppress(Exception):
            self.pubsub.close()
            self.client.close()
