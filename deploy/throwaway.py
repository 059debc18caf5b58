"""deploy/install.sh into a throwaway root, then run as its units and nginx site say.

Shared by the install test (tests/deploy/test_install.py) and the deploy benchmark
(bench/load, scenario ``deploy``); a real installation never imports it.

- :func:`prepare_nginx`: Debian's nginx.conf (with Debian's default limits) under the root,
  as if the root's etc/ were /etc;
- :func:`install`: ``install.sh --root ROOT`` with the options given (two processes,
  PostgreSQL, Redis, the phones expected);
- :class:`Deployment`: the processes started as the systemd unit's ``ExecStart`` and
  ``LimitNOFILE`` say, with the settings of the env file install.sh wrote, and nginx with
  the configuration it left; kill, restart and stop them.
"""

from __future__ import annotations

import os
import pwd
import re
import resource
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTALL_SH = ROOT / "deploy" / "install.sh"
#: Debian's nginx.conf says this, whatever this machine's says
DEBIAN_WORKER_CONNECTIONS = 768


def nginx_binary() -> str | None:
    """nginx on PATH, or where Debian's package puts it (/usr/sbin is not on every PATH)."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def prepare_nginx(root: Path) -> None:
    """Debian's nginx.conf, with its paths moved under root (as if /etc were root/etc)."""
    conf = root / "etc" / "nginx"
    conf.mkdir(parents=True)
    shutil.copy("/etc/nginx/mime.types", conf / "mime.types")
    main = Path("/etc/nginx/nginx.conf").read_text()
    main = re.sub(r"worker_connections\s+\d+;", f"worker_connections {DEBIAN_WORKER_CONNECTIONS};", main)
    main = re.sub(r"(?m)^worker_rlimit_nofile\s+\d+;\n", "", main)
    for folder in ("var/log/nginx", "run", "var/lib/nginx"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    main = (main.replace("/etc/nginx", str(conf)).replace("/var/log/nginx", str(root / "var/log/nginx"))
            .replace("/run/nginx.pid", str(root / "run/nginx.pid"))
            .replace("user www-data;", "user root;"))  # the root may lie in root's private /tmp
    temp = root / "var/lib/nginx"
    main = main.replace("http {", f"http {{\n\tclient_body_temp_path {temp}/body;\n"
                        f"\tproxy_temp_path {temp}/proxy;\n", 1)
    (conf / "nginx.conf").write_text(main)


def env_file(path: Path) -> dict[str, str]:
    """KEY=value lines of an env file (systemd's EnvironmentFile)."""
    values = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key] = value
    return values


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_ports(processes: int) -> tuple[int, int]:
    """An HTTP port for nginx and a base port with ``processes`` free ports from it."""
    http_port = free_port()
    while True:
        base = free_port()
        ports = range(base, base + processes)
        if http_port not in ports and all(port_free(p) for p in ports):
            return http_port, base


def install(root: Path, *, processes: int, phones: int, http_port: int, base_port: int,
            database_url: str, redis_url: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """``install.sh --root ROOT`` (plain HTTP on 127.0.0.1:http_port), as the current user."""
    args = [str(INSTALL_SH), "--root", str(root), "--user", pwd.getpwuid(os.getuid()).pw_name,
            "--processes", str(processes), "--phones", str(phones), "--http-port", str(http_port),
            "--base-port", str(base_port), "--database-url", database_url, "--redis-url", redis_url,
            "--public-url", f"http://127.0.0.1:{http_port}"]
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout)


def answers(url: str) -> bool:
    """GET url answers 200."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


class Deployment:
    """The processes and nginx of an install.sh root, started as its files say."""

    def __init__(self, root: Path, http_port: int, base_port: int, processes: int = 2,
                 settings: dict[str, str] | None = None) -> None:
        self.root = root
        self.url = f"http://127.0.0.1:{http_port}"
        self.ports = [base_port + i for i in range(processes)]
        self.app = root / "opt/ruamkit/app"
        #: the env file install.sh wrote, then ``settings`` (what a test cannot wait for)
        self.settings = {**env_file(root / "etc/ruamkit/env"), **(settings or {})}
        unit = (root / "etc/systemd/system/ruamkit@.service").read_text()
        self.exec_start = re.search(r"^ExecStart=(.+)$", unit, re.M).group(1).split()  # type: ignore[union-attr]
        nofile = re.search(r"^LimitNOFILE=(\d+)$", unit, re.M)
        self.nofile = int(nofile.group(1)) if nofile else None
        self.procs: dict[int, subprocess.Popen[bytes]] = {}
        self.nginx: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSHOP_")}
        env.update(self.settings)
        return env

    def run(self, *args: str, stdin: str | None = None) -> str:
        """``run.py ARGS`` with the deployment's venv and settings; its output (RuntimeError if it fails)."""
        done = subprocess.run([str(self.root / "opt/ruamkit/venv/bin/python"), "run.py", *args], cwd=self.app,
                              env=self.env(), input=stdin, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"run.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def _limits(self, pid: int) -> None:
        """The unit's LimitNOFILE (as far as this process's hard limit allows), set from outside."""
        if self.nofile is None:
            return
        _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = self.nofile if hard == resource.RLIM_INFINITY else min(self.nofile, hard)
        resource.prlimit(pid, resource.RLIMIT_NOFILE, (want, hard))

    def start(self, port: int, timeout: float = 60) -> None:
        """Start the process of ``port`` as the unit does and wait until it answers /healthz."""
        command = [part.replace("%i", str(port)) for part in self.exec_start]
        with (self.root / f"var/log/ruamkit-{port}.log").open("ab") as log:  # the child keeps its own
            self.procs[port] = subprocess.Popen(command, cwd=self.app, env=self.env(), stdout=log,
                                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self._limits(self.procs[port].pid)  # before it has loaded the app, long before a socket
        deadline = time.monotonic() + timeout
        while not answers(f"http://127.0.0.1:{port}/healthz"):
            if self.procs[port].poll() is not None:
                raise RuntimeError(f"process {port} exited:\n{self.log(port)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"process {port} did not answer in {timeout:.0f} s:\n{self.log(port)}")
            time.sleep(0.1)

    def kill(self, port: int) -> None:
        """SIGKILL: no goodbye to its sockets, as in a crash."""
        self.procs[port].kill()
        self.procs[port].wait(timeout=10)

    def alive(self, port: int) -> bool:
        return self.procs[port].poll() is None

    def log(self, port: int) -> str:
        return (self.root / f"var/log/ruamkit-{port}.log").read_text(errors="replace")

    def start_nginx(self, timeout: float = 20) -> None:
        nginx = nginx_binary()
        if nginx is None:
            raise RuntimeError("nginx is not installed (Debian package nginx)")
        conf = self.root / "etc/nginx/nginx.conf"
        check = subprocess.run([nginx, "-t", "-c", str(conf)], capture_output=True, text=True)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t: {check.stderr}")
        self.nginx = subprocess.Popen([nginx, "-c", str(conf), "-g", "daemon off;"])
        deadline = time.monotonic() + timeout
        while not answers(f"{self.url}/healthz"):
            if self.nginx.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("nginx did not answer")
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM every process (a graceful stop, as systemd does), then nginx; bounded."""
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        if self.nginx is not None and self.nginx.poll() is None:
            self.nginx.send_signal(signal.SIGQUIT)
            try:
                self.nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.nginx.kill()
                self.nginx.wait(timeout=10)
