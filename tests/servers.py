"""Real server processes for tests (`python run.py serve` on a loopback port); a request listener."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, "run.py", *args], cwd=ROOT, env=env, input=stdin,
                          capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"run.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


class Server:
    """One `run.py serve` process; stopped by `stop()` (or the test's finalizer)."""

    def __init__(self, env: dict[str, str], port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**env, "WORKSHOP_PUBLIC_URL": env.get("WORKSHOP_PUBLIC_URL", self.url)}
        self.log = Path(self.env["WORKSHOP_INSTANCE"]) / f"server-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> Server:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:  # the child keeps its own handle
            self.proc = subprocess.Popen(
                [sys.executable, "run.py", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"server did not answer in {timeout} s:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def base_env(instance: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSHOP_")}
    env.update({"WORKSHOP_INSTANCE": str(instance), "WORKSHOP_DATABASE_URL": database_url,
                "WORKSHOP_SECRET_KEY": "test-secret-shared-by-processes", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


def http(method: str, url: str, body: Any = None, token: str | None = None,
         content_type: str = "application/json") -> tuple[int, Any]:
    import json

    data = None
    headers = {}
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["Content-Type"] = content_type
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        return exc.code, json.loads(raw) if raw else None


NOT_FOUND = b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"


def redirect_to(location: str) -> bytes:
    """An HTTP answer that redirects (302) to ``location``."""
    return (f"HTTP/1.0 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n").encode("latin-1")


class Listener:
    """A tiny HTTP server on 127.0.0.1 that records the request line of whatever reaches it.

    Every connection gets ``answer`` (a 404 unless told, e.g. ``redirect_to(url)``).
    Bounded: it stops accepting after ``seconds`` or ``max_hits`` requests.
    """

    def __init__(self, seconds: float = 1800, max_hits: int = 1000, answer: bytes = NOT_FOUND) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(32)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.answer = answer
        self.hits: list[str] = []
        self.deadline = time.monotonic() + seconds
        self.max_hits = max_hits
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, name="payload-listener", daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while (not self.stopping.is_set() and time.monotonic() < self.deadline
               and len(self.hits) < self.max_hits):
            try:
                conn, _address = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(1)
                try:
                    first = conn.recv(2048).split(b"\r\n", 1)[0]
                    conn.sendall(self.answer)
                except OSError:
                    first = b"(no request line)"
                self.hits.append(first.decode("latin-1"))

    def wait_for(self, count: int, seconds: float = 5) -> list[str]:
        """The hits once there are ``count`` of them (or ``seconds`` passed)."""
        deadline = time.monotonic() + seconds
        while len(self.hits) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.hits)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        self.sock.close()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def wait_until(condition: Any, timeout: float = 10.0, message: str = "condition") -> None:
    """Wait for ``condition()`` to hold, polling every 0.1 s; AssertionError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {message}")
