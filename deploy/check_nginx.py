"""Check deploy/nginx.conf for real: `nginx -t`, then two RuamKit processes behind it.

    .venv/bin/python deploy/check_nginx.py [--clients 20] [--balance cookie|sid]

Needs nginx (Debian: apt-get install nginx-light), PostgreSQL and Redis on 127.0.0.1 (as
for bench/load's scaleout). The config is used as written, except for what a test on
127.0.0.1 must change: plain HTTP on a free port instead of TLS, the upstream ports, the
static path and the cookie's Secure flag. Then socket.io clients connect through nginx
with long-polling only (the transport that needs stickiness) and with WebSocket only,
each sends a ballot, and the access log shows which process served every request of
every Engine.IO session.

`--balance sid` swaps the route cookie for `hash $arg_sid consistent` to show why that
is not used: the handshake and its follow-ups land on different processes.
Traffic goes to 127.0.0.1 only; everything started here is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load.scenario import WORKSHOP_FILE
from bench.load.servers import RuamKit, free_port


def test_config(conf: str, port: int, upstreams: list[int], tmp: Path, balance: str) -> str:
    conf = re.sub(r"server \{\s*listen 80;.*?\n\}\n", "", conf, flags=re.S)  # the HTTP->HTTPS redirect
    conf = re.sub(r"\n\s*listen \[::\]:443 ssl http2;", "", conf)
    conf = conf.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port};")
    conf = re.sub(r"\n\s*ssl_[a-z_]+ [^;]+;", "", conf)
    conf = re.sub(r"\n\s*server 127\.0\.0\.1:500\d[^;]*;", "", conf)
    conf = conf.replace("keepalive 64;", "".join(f"server 127.0.0.1:{p};\n    " for p in upstreams)
                        + "keepalive 64;")
    conf = conf.replace("/opt/ruamkit/static/", f"{ROOT}/static/").replace(" Secure;", "")
    if balance == "sid":
        conf = conf.replace("hash $ruamkit_route consistent;", "hash $arg_sid consistent;")
    return (f"pid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\nevents {{}}\nhttp {{\n"
            f"  log_format up '$request_method $uri $arg_sid $arg_transport $status $upstream_addr';\n"
            f"  access_log {tmp}/access.log up;\n  client_body_temp_path {tmp}/body;\n"
            f"  proxy_temp_path {tmp}/proxy;\n{conf}\n}}\n")


async def clients(url: str, code: str, n: int, transport: str) -> list[str]:
    import aiohttp
    import socketio

    errors: list[str] = []

    async def one(i: int) -> None:
        # its own cookie jar, like a browser (unsafe=True: aiohttp refuses cookies of IP hosts otherwise)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            async with http.post(f"{url}/api/v1/join", json={"code": code, "group": "resident"}) as r:
                token = (await r.json())["participant"]
            sio = socketio.AsyncClient(http_session=http, reconnection=False, handle_sigint=False)
            try:
                await sio.connect(url, auth={"participant": token}, transports=[transport], wait_timeout=10)
                for _ in range(3):  # several polls, so a misrouted follow-up would show
                    ack = await sio.call("ballot", {"stage": "vision", "choices": {"items": ["v1"]}},
                                         timeout=10)
                    if not ack.get("ok"):
                        errors.append(f"{transport} client {i}: {ack}")
                        break
                    await asyncio.sleep(0.2)
            except Exception as exc:
                errors.append(f"{transport} client {i}: {type(exc).__name__}: {exc}")
            finally:
                await sio.disconnect()

    await asyncio.gather(*(one(i) for i in range(n)))
    return errors


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--balance", choices=["cookie", "sid"], default="cookie")
    args = ap.parse_args()
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        print("nginx is not installed (Debian: apt-get install nginx-light)", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="ruamkit-nginx-"))
    target = RuamKit.start(tmp / "app", WORKSHOP_FILE, servers=2, database="postgresql",
                           message_queue="redis")
    proc = None
    try:
        assert target.workshop is not None
        target.api("POST", f"/api/v1/workshops/{target.workshop.id}/stages/vision/open")
        port = free_port()
        ups = [int(u.rsplit(":", 1)[1]) for u in target.urls]
        conf = tmp / "nginx.conf"
        conf.write_text(test_config((ROOT / "deploy" / "nginx.conf").read_text(), port, ups, tmp,
                                    args.balance))
        check = subprocess.run([nginx, "-t", "-c", str(conf), "-p", str(tmp)],  # noqa: S603
                               capture_output=True, text=True)
        print(check.stderr.strip())
        if check.returncode != 0:
            return 1
        proc = subprocess.Popen([nginx, "-c", str(conf), "-p", str(tmp), "-g", "daemon off;"])  # noqa: S603
        time.sleep(1)
        url = f"http://127.0.0.1:{port}"
        errors = []
        for transport in ("polling", "websocket"):
            errors += asyncio.run(clients(url, target.workshop.code, args.clients, transport))
        by_sid: dict[str, set[str]] = defaultdict(set)
        used: set[str] = set()
        for line in (tmp / "access.log").read_text().splitlines():
            _method, uri, sid, _transport, _status, upstream = (line.split(" ") + [""] * 6)[:6]
            if uri.startswith("/socket.io/"):
                used.add(upstream)
                if sid and sid != "-":
                    by_sid[sid].add(upstream)
        split = [sid for sid, ups_ in by_sid.items() if len(ups_) > 1]
        print(f"balance={args.balance}: {args.clients} polling + {args.clients} websocket clients; "
              f"processes used: {len(used)}; Engine.IO sessions: {len(by_sid)}, "
              f"served by more than one process: {len(split)}; client errors: {len(errors)}")
        for e in errors[:5]:
            print("  ", e)
        return 0 if not errors and not split and len(used) > 1 else 1
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        target.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
