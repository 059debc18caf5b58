"""Test data and clients: workshop objects, a signed-in API client, sockets."""

from __future__ import annotations

import copy
import itertools
from pathlib import Path
from typing import Any

import yaml

SESSIONS = Path(__file__).resolve().parent.parent / "sessions"
PASSWORD = "correct horse battery"
_users = itertools.count(1)

GROUPS = [
    {"key": "resident", "label": {"th": "ประชาชน", "en": "Residents"}},
    {"key": "government", "label": {"th": "หน่วยงานรัฐ", "en": "Government"}},
    {"key": "private", "label": {"th": "ภาคเอกชน", "en": "Private sector"}},
    {"key": "civil", "label": {"th": "ภาคประชาสังคม", "en": "Civil society"}},
]

#: what a browser sends with a request made by our own page (web.security.asked_by_own_page)
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def workshop_object(**overrides: Any) -> dict[str, Any]:
    """A small valid bilingual workshop using several methods."""
    base: dict[str, Any] = {
        "title": {"th": "แผนพัฒนาเมืองทดสอบ", "en": "Test city plan"},
        "city": "เทศบาลเมืองทดสอบ",
        "date": "2026-12-05",
        "languages": ["th", "en"],
        "join": "open",
        "groups": copy.deepcopy(GROUPS),
        "stages": [
            {"key": "vision", "kind": "vision", "title": {"th": "วิสัยทัศน์", "en": "Vision"},
             "method": "approval", "max_choices": 2, "show_results": "live",
             "items": [{"key": f"v{i}", "title": {"th": f"วิสัยทัศน์ {i}", "en": f"Vision {i}"}}
                       for i in range(1, 4)]},
            {"key": "goals", "kind": "goals", "title": "Goals", "method": "dots", "dots": 5,
             "max_per_item": 3, "allow_ideas": True,
             "items": [{"key": f"g{i}", "title": f"Goal {i}"} for i in range(1, 4)]},
            {"key": "projects", "kind": "projects", "title": "Projects", "method": "score",
             "criteria": [{"key": "importance", "label": "Importance", "weight": 2},
                          {"key": "feasibility", "label": "Feasibility", "weight": 1}],
             "items": [{"key": "p1", "title": "Project 1", "goal": "g1", "horizon": "short",
                        "budget": 2500000, "sdgs": ["11.2"]},
                       {"key": "p2", "title": "Project 2", "goal": "g2", "horizon": "long"}]},
            {"key": "words", "kind": "other", "title": "One word", "method": "words",
             "show_results": "never"},
        ],
    }
    base.update(overrides)
    return base


def session_file(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((SESSIONS / name).read_text(encoding="utf-8"))
    return loaded


def grant(app: Any, workshop_id: int, username: str, role: str = "facilitator") -> None:
    """Make an account a member of a workshop (as its owner would, on the People section)."""
    from sqlalchemy import select

    from workshop.models import User, WorkshopMember
    from workshop.storage import db

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        assert user is not None, username
        db.session.add(WorkshopMember(workshop_id=workshop_id, user_id=user.id, role=role))
        db.session.commit()


class Api:
    """A Flask test client speaking the API with a facilitator's bearer token."""

    def __init__(self, app: Any, token: str | None = None) -> None:
        self.app = app
        self.client = app.test_client()
        self.token = token
        self.username = ""

    @classmethod
    def signed_in(cls, app: Any, username: str | None = None) -> Api:
        from workshop.services import accounts

        name = username or f"facilitator{next(_users)}"
        with app.app_context():
            accounts.create_user(name, PASSWORD)
        api = cls(app)
        api.username = name
        response = api.post("/api/v1/auth/token", {"username": name, "password": PASSWORD})
        assert response.status_code == 201, response.get_json()
        api.token = response.get_json()["token"]
        return api

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def get(self, path: str, **kw: Any) -> Any:
        return self.client.get(path, headers=self._headers(), **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Any:
        if body is not None and "data" not in kw:
            kw["json"] = body
        return self.client.post(path, headers=self._headers(), **kw)

    def delete(self, path: str, **kw: Any) -> Any:
        return self.client.delete(path, headers=self._headers(), **kw)

    # conveniences
    def create_workshop(self, obj: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.post("/api/v1/workshops", obj or workshop_object())
        assert response.status_code == 201, response.get_json()
        created: dict[str, Any] = response.get_json()
        return created

    def stage(self, workshop_id: int, key: str, action: str) -> Any:
        response = self.post(f"/api/v1/workshops/{workshop_id}/stages/{key}/{action}")
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def results(self, workshop_id: int, **params: str) -> dict[str, Any]:
        response = self.get(f"/api/v1/workshops/{workshop_id}/results", query_string=params)
        assert response.status_code == 200, response.get_json()
        body: dict[str, Any] = response.get_json()
        return body

    def join(self, code: str, group: str | None = "resident", **extra: Any) -> tuple[Any, str]:
        """Join as a resident with a fresh browser; returns (its test client, participant token)."""
        browser = self.app.test_client()
        body = {"code": code, **extra}
        if group is not None:
            body["group"] = group
        response = browser.post("/api/v1/join", json=body, headers=SAME_ORIGIN)
        assert response.status_code == 201, response.get_json()
        return browser, response.get_json()["participant"]

    def socket(self, flask_client: Any = None, auth: Any = None) -> Any:
        from workshop.extensions import socketio

        return socketio.test_client(self.app, flask_test_client=flask_client, auth=auth)


def stage_entry(results: dict[str, Any], key: str) -> dict[str, Any]:
    for entry in results["stages"]:
        if entry["key"] == key:
            return dict(entry)
    raise KeyError(key)


def items_by_key(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["key"]: item for item in entry["items"]}
