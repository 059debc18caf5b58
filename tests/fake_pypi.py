"""A stand-in for https://pypi.org/pypi on 127.0.0.1, for testing tools/osv_pypi.py without network."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

SAMPLE = Path(__file__).parent / "unit" / "data" / "pypi_pycrypto.json"


def sample() -> dict[str, Any]:
    """https://pypi.org/pypi/pycrypto/json as recorded on 2026-12-01 (files and most of info trimmed).

    pycrypto's latest release is 2.6.1; PyPI lists 4 advisories for it: PYSEC-2017-94 and
    PYSEC-2018-97, and the same two again as GHSA-cq27-v7xp-c356 and GHSA-6528-wvf6-f6qg.
    """
    return dict(json.loads(SAMPLE.read_text("utf-8")))


class FakePypi:
    """Answers GET /pypi/<name>/json from ``projects`` (a dict body, or (status, body, headers))."""

    def __init__(self, projects: dict[str, Any]) -> None:
        self.projects = projects
        self.requests: list[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append(self.path)
                parts = self.path.strip("/").split("/")
                found = fake.projects.get(parts[1]) if len(parts) == 3 and parts[0] == "pypi" else None
                status, body, headers = found if isinstance(found, tuple) else (
                    (200, found, {}) if found is not None else (404, {"message": "Not Found"}, {}))
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                for key, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/pypi"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> FakePypi:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
