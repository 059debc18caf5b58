"""Browser tests: a real server process (gevent, WebSocket) driven by headless Chromium.

The server runs as `run.py serve` would in a hall, on a free port of 127.0.0.1
with its own instance folder and SQLite database; the facilitator account is
made with `run.py user add`, and facilitator actions go through the HTTP API.
Chromium is Debian's (/usr/bin/chromium): never `playwright install`. Without
it these tests skip locally and FAIL under CI=true.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FACILITATOR = ("facilitator", "correct horse battery staple")
START_SECONDS = 30


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class HttpApi:
    """The facilitator's side of the contract's HTTP API, over real HTTP (urllib)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token: str | None = None

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                raw = response.read()
                status = response.status
        except urllib.error.HTTPError as exc:
            raw, status = exc.read(), exc.code
        return status, (json.loads(raw) if raw else None)

    def ok(self, method: str, path: str, body: Any = None) -> Any:
        status, data = self.call(method, path, body)
        assert 200 <= status < 300, (method, path, status, data)
        return data

    def sign_in(self, username: str, password: str) -> None:
        self.token = self.ok("POST", "/api/v1/auth/token",
                             {"username": username, "password": password})["token"]

    def create_workshop(self, obj: dict[str, Any]) -> dict[str, Any]:
        created: dict[str, Any] = self.ok("POST", "/api/v1/workshops", obj)
        return created

    def stage(self, workshop_id: int, key: str, action: str) -> dict[str, Any]:
        changed: dict[str, Any] = self.ok("POST", f"/api/v1/workshops/{workshop_id}/stages/{key}/{action}")
        return changed

    def results(self, workshop_id: int) -> dict[str, Any]:
        found: dict[str, Any] = self.ok("GET", f"/api/v1/workshops/{workshop_id}/results")
        return found


class LiveServer:
    def __init__(self, base: str, process: subprocess.Popen[bytes], log: Path) -> None:
        self.base = base
        self.process = process
        self.log = log

    def url(self, path: str) -> str:
        return self.base + path


def _server_env(instance: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WORKSHOP_")}
    env.update({
        "WORKSHOP_INSTANCE": str(instance),
        "WORKSHOP_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "WORKSHOP_DATABASE_URL": f"sqlite:///{instance / 'w.db'}",
        "WORKSHOP_RESULTS_INTERVAL": "0.1",
        "PYTHONUNBUFFERED": "1",
    })
    return env


def _wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    pytest.fail(f"the server did not answer /healthz within {START_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    instance = tmp_path_factory.mktemp("live")
    port = _free_port()
    env = _server_env(instance, port)
    user = subprocess.run(
        [sys.executable, "run.py", "user", "add", FACILITATOR[0], "--password-stdin"],
        input=FACILITATOR[1] + "\n", text=True, capture_output=True, env=env, cwd=ROOT, timeout=60,
        check=False,
    )
    assert user.returncode == 0, user.stderr
    log = instance / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "run.py", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(base, process, log)
        yield LiveServer(base, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def facilitator_token(live_server: LiveServer) -> str:
    """Signed in once for the whole run: the server's sign-in limit (10 a minute for one
    user name from one address) is the product's, and dozens of tests share this server."""
    api = HttpApi(live_server.base)
    api.sign_in(*FACILITATOR)
    assert api.token
    return api.token


@pytest.fixture
def http_api(live_server: LiveServer, facilitator_token: str) -> HttpApi:
    api = HttpApi(live_server.base)
    api.token = facilitator_token
    return api


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    require(Path(CHROMIUM).exists(), f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield launched
        finally:
            launched.close()


class PageWatch:
    """Collects CSP violations, console errors and uncaught exceptions of a page."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def attach(self, page: Any) -> Any:
        page.on("console", lambda msg: self.problems.append(f"console {msg.type}: {msg.text}")
                if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        # Reported from inside the page, before any of our scripts run.
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', function (e) {"
            " console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI); });"
        )
        return page


@pytest.fixture
def watch() -> PageWatch:
    return PageWatch()


@pytest.fixture
def new_page(browser: Any, watch: PageWatch) -> Iterator[Any]:
    """new_page(viewport=..., locale=...) -> a page in a fresh browser context (its own cookies)."""
    contexts: list[Any] = []

    def make(width: int = 360, height: int = 740, **options: Any) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return watch.attach(context.new_page())

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def all_methods() -> Any:
    """all_methods(**overrides) -> the workshop object of all_methods_workshop."""
    return all_methods_workshop


def bilingual(th: str, en: str) -> dict[str, str]:
    return {"th": th, "en": en}


def all_methods_workshop(**overrides: Any) -> dict[str, Any]:
    """A bilingual workshop with one stage of each of the seven methods, results shown live."""
    def items(prefix: str, titles: list[tuple[str, str]], **extra: Any) -> list[dict[str, Any]]:
        return [{"key": f"{prefix}{n}", "title": bilingual(th, en), **extra}
                for n, (th, en) in enumerate(titles, start=1)]

    visions = [("เมืองสุขภาพดี น้ำพุร้อนและธรรมชาติ", "A healthy city of hot springs and nature"),
               ("ประตูการค้าสู่อันดามัน", "The trade gateway to the Andaman Sea"),
               ("เมืองสีเขียวริมป่าชายเลน", "A green city by the mangroves")]
    goals = [("ปลอดภัยจากน้ำท่วม", "Safe from floods"), ("ท่องเที่ยวเชิงสุขภาพ", "Wellness tourism"),
             ("ผู้สูงวัยมีคุณภาพชีวิตดี", "A good life for older people"),
             ("ป่าชายเลนสมบูรณ์", "Healthy mangroves")]
    works = [("ไฟส่องทางและทางเดินปลอดภัย", "Lighting and safe paths"),
             ("ปลูกต้นไม้ริมคลอง", "Trees along the canal"),
             ("สนามเด็กเล่นและห้องน้ำ", "Playground and toilets"),
             ("ลานกิจกรรมริมน้ำ", "Riverside plaza")]
    projects = [("ท่อระบายน้ำและบ่อหน่วงน้ำ", "Drains and retention ponds"),
                ("รถรับส่งผู้สูงอายุ", "Shuttle for older people")]
    budget = [("ไฟโซลาร์เซลล์ในซอย", "Solar lights in side streets", 2_400_000),
              ("ลานกีฬาชุมชน", "Community sports ground", 3_000_000),
              ("จุดเติมน้ำดื่มในโรงเรียน", "Drinking water points in schools", 1_200_000)]
    obj: dict[str, Any] = {
        "title": bilingual("แผนพัฒนาเมืองน่าอยู่ เทศบาลเมืองระนอง", "Ranong Livable City Plan"),
        "city": bilingual("เทศบาลเมืองระนอง", "Ranong Town Municipality"),
        "date": "2026-12-05",
        "languages": ["th", "en"],
        "join": "open",
        "moderation": "post",
        "groups": [
            {"key": "resident", "label": bilingual("ประชาชน", "Residents")},
            {"key": "government", "label": bilingual("หน่วยงานรัฐ", "Government")},
            {"key": "private", "label": bilingual("ภาคเอกชน", "Private sector")},
            {"key": "civil", "label": bilingual("ภาคประชาสังคม", "Civil society")},
        ],
        "stages": [
            {"key": "vision1", "kind": "vision", "method": "single", "show_results": "live",
             "title": bilingual("วิสัยทัศน์ที่ชอบที่สุด", "Your favourite vision"),
             "prompt": bilingual("เลือก 1 ข้อ", "Choose the one you like best."),
             "items": items("v", visions)},
            {"key": "vision", "kind": "vision", "method": "approval", "max_choices": 2,
             "show_results": "live",
             "title": bilingual("วิสัยทัศน์เมืองระนอง", "Ranong's vision"),
             "prompt": bilingual("เลือกวิสัยทัศน์ที่ท่านเห็นด้วย ไม่เกิน 2 ข้อ",
                                 "Which visions do you agree with? Up to two."),
             "items": [{**item, "description": bilingual("คำอธิบายสั้น ๆ ของวิสัยทัศน์นี้",
                                                         "A short description of this vision.")}
                       for item in items("v", visions)]},
            {"key": "goals", "kind": "goals", "method": "dots", "dots": 5, "max_per_item": 3,
             "show_results": "after_close", "allow_ideas": True,
             "title": bilingual("เป้าหมายการพัฒนา", "Development goals"),
             "prompt": bilingual("วางแต้มบนเป้าหมายที่ควรทำก่อน", "Put your dots on the goals to do first."),
             "items": items("g", goals)},
            {"key": "phasing", "kind": "projects", "method": "rank", "show_results": "after_close",
             "title": bilingual("ควรสร้างอะไรก่อน", "What to build first"),
             "prompt": bilingual("เรียงลำดับงานที่ควรทำก่อน", "Put the works in the order you would build them."),
             "items": items("w", works)},
            {"key": "projects", "kind": "projects", "method": "score", "show_results": "after_close",
             "title": bilingual("ให้คะแนนโครงการ", "Score the projects"),
             "criteria": [{"key": "importance", "label": bilingual("ความสำคัญ", "Importance"), "weight": 2},
                          {"key": "feasibility", "label": bilingual("ความเป็นไปได้", "Feasibility"),
                           "weight": 1}],
             "scale": {"min": 1, "max": 5},
             "items": [{**item, "goal": "g1", "horizon": "short"} for item in items("p", projects)]},
            {"key": "budget", "kind": "projects", "method": "budget", "budget": 5_000_000,
             "show_results": "live",
             "title": bilingual("งบประมาณแบบมีส่วนร่วม", "Participatory budget"),
             "prompt": bilingual("แบ่งงบ 5 ล้านบาทให้โครงการที่ท่านต้องการ",
                                 "Share 5 million baht among the projects you want."),
             "items": [{"key": f"b{n}", "title": bilingual(th, en), "budget": cost}
                       for n, (th, en, cost) in enumerate(budget, start=1)]},
            {"key": "dream", "kind": "vision", "method": "words", "max_words": 3, "show_results": "live",
             "allow_comments": False,
             "title": bilingual("เมืองในฝันในคำเดียว", "Your dream city in one word"),
             "prompt": bilingual("พิมพ์ได้ไม่เกิน 3 คำ", "Up to three words.")},
        ],
    }
    obj.update(overrides)
    return obj
