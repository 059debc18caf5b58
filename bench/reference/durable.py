"""A bare durable Socket.IO tally server in Python: the yardstick for the price of durability.

RuamKit's own stack (Flask-SocketIO on gevent, simple-websocket, the same Socket.IO
options) and only what durability requires: one writer greenlet group-commits ballots
and receipts to SQLite (WAL, synchronous=NORMAL) and a ballot is acknowledged after its
COMMIT. Results come from memory (updated after each COMMIT), pushed to projectors at
most once per RESULTS_INTERVAL (0.25 s) per stage. No sessions, accounts, CSRF, limits,
templates, i18n, app contexts or ORM: whatever RuamKit spends beyond this server is the
price of everything else. It speaks the same part of the contract as server.js (the
Node.js, in-memory reference) and bench/load uses it the same way:

    POST /api/v1/auth/token                       -> 201 {token}
    POST /api/v1/workshops                         workshop object -> 201 {id, code, projector_url}
    POST /api/v1/workshops/<id>/stages/<key>/open  (and /close) -> {key, state}
    POST /api/v1/join {code, group}                -> 201 {participant, workshop_id, group}
    GET  /api/v1/workshops/<id>/results            approval and score results, from memory
    GET  /api/v1/workshops/<id>/ballots            current ballots read from the SQLite file (audit)
    GET  /healthz
    Socket.IO: auth {participant} or {projector}; `ballot` {stage, choices, ballot_id} -> ack
    {ok, version} after COMMIT; `state` to everyone on a change; `results` to projectors.

Usage: python bench/reference/durable.py --port 5101 --db /tmp/durable.db [--host 127.0.0.1]
"""

from gevent import monkey

monkey.patch_all()

import argparse  # the standard library patched first, then the rest
import hashlib
import json
import secrets
import sqlite3
import time
from typing import Any

import gevent
from flask import Flask, jsonify, request
from flask_socketio import SocketIO, join_room
from gevent.event import AsyncResult
from gevent.queue import Queue

RESULTS_INTERVAL = 0.25
#: at most this many ballots in one transaction
BATCH = 512

app = Flask(__name__)
# the options RuamKit gives Flask-SocketIO (workshop/__init__.py), no message queue
socketio = SocketIO(app, async_mode="gevent", async_handlers=False, max_http_buffer_size=64 * 1024,
                    ping_interval=20, ping_timeout=30, manage_session=False, cors_allowed_origins="*")

workshops: dict[int, dict[str, Any]] = {}
by_code: dict[str, dict[str, Any]] = {}
by_projector: dict[str, dict[str, Any]] = {}
participants: dict[str, dict[str, Any]] = {}  # token -> {workshop, group, hash}
sockets: dict[str, dict[str, Any]] = {}  # sid -> {kind, workshop, token}


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# -- the writer: one greenlet, one connection, group commit ------------------------------
class Writer:
    """Ballots queue up while the loop serves sockets; the writer stores all that arrived
    during one turn of the loop in one transaction, then answers each after the COMMIT."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript("""
            CREATE TABLE IF NOT EXISTS ballots (
                workshop INTEGER, stage TEXT, token_hash TEXT, choices TEXT, version INTEGER,
                PRIMARY KEY (workshop, stage, token_hash));
            CREATE TABLE IF NOT EXISTS receipts (
                workshop INTEGER, stage TEXT, token_hash TEXT, ballot_id TEXT, version INTEGER,
                PRIMARY KEY (workshop, stage, token_hash, ballot_id));
        """)
        self.queue: Queue = Queue()
        #: committed state, kept in memory: (workshop, stage, token_hash) -> version; receipts
        self.versions: dict[tuple[int, str, str], int] = {}
        self.receipts: dict[tuple[int, str, str, str], int] = {}
        #: transactions and ballots stored (GET /healthz): the group commit at work
        self.commits = self.stored = 0
        gevent.spawn(self.run)

    def store(self, workshop: int, stage: str, token_hash: str, choices: Any, ballot_id: str) -> int:
        """Queue a ballot and wait for its COMMIT; its version (the stored one for a known ballot_id)."""
        done: AsyncResult = AsyncResult()
        self.queue.put((workshop, stage, token_hash, choices, ballot_id, done))
        return int(done.get(timeout=30))

    def run(self) -> None:
        while True:
            batch = [self.queue.get()]
            gevent.sleep(0)  # one turn of the loop: the ballots other sockets are sending now
            while len(batch) < BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            try:
                answers = self.commit(batch)
            except Exception as exc:
                for *_rest, done in batch:
                    done.set_exception(exc)
                continue
            for (*_rest, done), version in zip(batch, answers):
                done.set(version)
            for workshop, stage in {(b[0], b[1]) for b in batch}:
                results_changed(workshops[workshop], stage)

    def commit(self, batch: list[tuple[Any, ...]]) -> list[int]:
        versions: dict[tuple[int, str, str], int] = {}  # this batch's, over the committed ones
        receipts: dict[tuple[int, str, str, str], int] = {}
        rows, new_receipts, answers, current = [], [], [], []
        for workshop, stage, token_hash, choices, ballot_id, _done in batch:
            rkey = (workshop, stage, token_hash, ballot_id)
            known = receipts.get(rkey) or self.receipts.get(rkey)
            if known is not None:  # a retry or a duplicate: the version it got
                answers.append(known)
                continue
            key = (workshop, stage, token_hash)
            version = versions.get(key, self.versions.get(key, 0)) + 1
            versions[key] = receipts[rkey] = version
            rows.append((workshop, stage, token_hash, json.dumps(choices), version))
            current.append((workshop, stage, token_hash, choices))
            new_receipts.append((*rkey, version))
            answers.append(version)
        if rows:
            self.db.execute("BEGIN")
            try:
                self.db.executemany(
                    "INSERT INTO ballots VALUES (?, ?, ?, ?, ?) ON CONFLICT (workshop, stage, token_hash) "
                    "DO UPDATE SET choices = excluded.choices, version = excluded.version", rows)
                self.db.executemany("INSERT INTO receipts VALUES (?, ?, ?, ?, ?)", new_receipts)
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.commits += 1
            self.stored += len(rows)
        # committed: now the memory may say so
        self.versions.update(versions)
        self.receipts.update(receipts)
        for workshop, stage, token_hash, choices in current:
            workshops[workshop]["stages"][stage]["ballots"][token_hash] = choices
        return answers

    def dump(self, workshop: int) -> list[dict[str, Any]]:
        """Current ballots as the file holds them (a connection of its own, read-only)."""
        conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)
        try:
            rows = conn.execute("SELECT stage, token_hash, choices, version FROM ballots WHERE workshop = ?",
                                (workshop,)).fetchall()
        finally:
            conn.close()
        return [{"stage": s, "token_hash": h, "choices": json.loads(c), "version": v} for s, h, c, v in rows]


writer: Writer


# -- ballots: the rules bench/load exercises (approval, score) -----------------------------
def validate(stage: dict[str, Any], choices: Any) -> str | None:
    spec = stage["def"]
    items = [i["key"] for i in spec.get("items") or []]
    if not isinstance(choices, dict):
        return "choices must be an object"
    if spec["method"] == "approval":
        chosen = choices.get("items")
        if not isinstance(chosen, list) or not chosen:
            return "choose at least one item"
        if len(chosen) > (spec.get("max_choices") or len(items)):
            return "too many choices"
        if len(set(chosen)) != len(chosen) or any(k not in items for k in chosen):
            return "unknown or repeated item"
        return None
    if spec["method"] == "score":
        scores = choices.get("scores")
        if not isinstance(scores, dict) or not scores:
            return "'scores' must be an object"
        criteria = {c["key"] for c in spec.get("criteria") or []}
        scale = spec.get("scale") or {"min": 1, "max": 5}
        for item, by_c in scores.items():
            if item not in items or not isinstance(by_c, dict) or not by_c:
                return f"unknown item {item}"
            for c, v in by_c.items():
                if c not in criteria or type(v) is not int or not scale["min"] <= v <= scale["max"]:
                    return f"bad score {c}={v}"
        return None
    return f"method {spec['method']} is not in the reference server"


def tally(stage: dict[str, Any]) -> dict[str, Any]:
    spec = stage["def"]
    keys = [i["key"] for i in spec.get("items") or []]
    ballots = list(stage["ballots"].values())
    values: dict[str, float | None]
    if spec["method"] == "approval":
        values = dict.fromkeys(keys, 0)
        for b in ballots:
            for k in b["items"]:
                values[k] = (values[k] or 0) + 1
    else:
        weights = {c["key"]: c.get("weight", 1) for c in spec["criteria"]}
        scale = spec.get("scale") or {"min": 1, "max": 5}
        given: dict[str, dict[str, list[int]]] = {k: {} for k in keys}
        for b in ballots:
            for item, by_c in b["scores"].items():
                for c, v in by_c.items():
                    given[item].setdefault(c, []).append(v)
        values = {}
        for k in keys:
            means = {c: sum(v) / len(v) for c, v in given[k].items()}
            if not means:
                values[k] = None
                continue
            total = sum(weights[c] for c in means)
            value = (sum(weights[c] * m for c, m in means.items()) / total if total
                     else sum(means.values()) / len(means))
            values[k] = min(max(value, scale["min"]), scale["max"])
    return {"key": stage["key"], "method": spec["method"], "state": stage["state"], "ballots": len(ballots),
            "paper_ballots": 0, "items": [{"key": k, "value": values[k]} for k in keys]}


def results_changed(w: dict[str, Any], key: str) -> None:
    """One `results` per stage at most every RESULTS_INTERVAL, to projectors."""
    if key in w["pending"]:
        return  # a push is scheduled; it will include this change
    wait = max(0.0, w["last"].get(key, 0.0) + RESULTS_INTERVAL - time.monotonic())

    def push() -> None:
        w["pending"].discard(key)
        w["last"][key] = time.monotonic()
        socketio.emit("results", tally(w["stages"][key]), to=f"w{w['id']}:watchers")

    w["pending"].add(key)
    gevent.spawn_later(wait, push)


def state(w: dict[str, Any]) -> dict[str, Any]:
    return {"id": w["id"], "stages": [{"key": k, "state": s["state"]} for k, s in w["stages"].items()]}


# -- HTTP ------------------------------------------------------------------------------------
def error(status: int, code: str, message: str) -> Any:
    return jsonify({"error": {"code": code, "message": message}}), status


@app.get("/healthz")
def healthz() -> Any:
    return jsonify({"status": "ok", "commits": writer.commits, "ballots_stored": writer.stored})


@app.post("/api/v1/auth/token")
def auth_token() -> Any:
    return jsonify({"token": "reference", "token_type": "Bearer"}), 201


@app.post("/api/v1/workshops")
def create_workshop() -> Any:
    spec = request.get_json(silent=True)
    if not isinstance(spec, dict) or not isinstance(spec.get("stages"), list):
        return error(422, "invalid", "a workshop object is needed")
    wid = len(workshops) + 1
    w = {"id": wid, "code": secrets.token_hex(3).upper(), "projector": secrets.token_urlsafe(24),
         "groups": [g["key"] for g in spec.get("groups") or []], "joined": 0, "pending": set(), "last": {},
         "stages": {s["key"]: {"key": s["key"], "state": "draft", "def": s, "ballots": {}}
                    for s in spec["stages"]}}
    workshops[wid], by_code[w["code"]], by_projector[w["projector"]] = w, w, w
    base = request.host_url.rstrip("/")
    return jsonify({"id": wid, "code": w["code"], "projector_url": f"{base}/projector/{w['projector']}"}), 201


@app.post("/api/v1/join")
def join() -> Any:
    body = request.get_json(silent=True) or {}
    w = by_code.get(str(body.get("code", "")).strip().upper())
    if w is None:
        return error(404, "not_found", "no workshop has this code")
    if body.get("group") not in w["groups"]:
        return error(400, "invalid", "group: unknown")
    token = secrets.token_urlsafe(24)
    participants[token] = {"workshop": w["id"], "group": body["group"], "hash": sha256(token)}
    w["joined"] += 1
    return jsonify({"participant": token, "workshop_id": w["id"], "group": body["group"]}), 201


@app.post("/api/v1/workshops/<int:wid>/stages/<key>/<action>")
def open_close(wid: int, key: str, action: str) -> Any:
    w = workshops.get(wid)
    if w is None or key not in w["stages"] or action not in ("open", "close"):
        return error(404, "not_found", "no such stage")
    w["stages"][key]["state"] = "open" if action == "open" else "closed"
    socketio.emit("state", state(w), to=f"w{wid}")
    results_changed(w, key)
    return jsonify({"key": key, "state": w["stages"][key]["state"]})


@app.get("/api/v1/workshops/<int:wid>/results")
def results(wid: int) -> Any:
    w = workshops.get(wid)
    if w is None:
        return error(404, "not_found", "no such workshop")
    stages = [tally(s) for s in w["stages"].values()]
    return jsonify({"participants": {"total": w["joined"]}, "stages": stages})


@app.get("/api/v1/workshops/<int:wid>/ballots")
def ballots(wid: int) -> Any:
    if wid not in workshops:
        return error(404, "not_found", "no such workshop")
    return jsonify(writer.dump(wid))


# -- Socket.IO -------------------------------------------------------------------------------
@socketio.on("connect")
def connect(auth: Any) -> bool:
    auth = auth if isinstance(auth, dict) else {}
    token, key = auth.get("participant"), auth.get("projector")
    if isinstance(token, str) and token in participants:
        w = workshops[participants[token]["workshop"]]
        sockets[request.sid] = {"kind": "participant", "workshop": w, "hash": participants[token]["hash"]}
        join_room(f"w{w['id']}:residents")
    elif isinstance(key, str) and key in by_projector:
        w = by_projector[key]
        sockets[request.sid] = {"kind": "projector", "workshop": w}
        join_room(f"w{w['id']}:watchers")
    else:
        return False
    join_room(f"w{w['id']}")
    return True


@socketio.on("disconnect")
def disconnect(*_args: Any) -> None:
    sockets.pop(request.sid, None)


def refused(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


@socketio.on("ballot")
def ballot(data: Any) -> dict[str, Any]:
    me = sockets.get(request.sid)
    if me is None or me["kind"] != "participant":
        return refused("not_allowed", "only residents vote")
    if not isinstance(data, dict) or not isinstance(data.get("ballot_id"), str):
        return refused("invalid", "the event data must be an object with a ballot_id")
    w = me["workshop"]
    stage = w["stages"].get(data.get("stage"))
    if stage is None:
        return refused("unknown_stage", "unknown stage")
    rkey = (w["id"], stage["key"], me["hash"], data["ballot_id"])
    if rkey in writer.receipts:  # stored already: the same answer, even once the stage closed
        return {"ok": True, "version": writer.receipts[rkey]}
    if stage["state"] != "open":
        return refused("stage_closed", "stage is not open")
    problem = validate(stage, data.get("choices"))
    if problem:
        return refused("invalid", problem)
    try:
        version = writer.store(w["id"], stage["key"], me["hash"], data["choices"], data["ballot_id"])
    except Exception:
        return refused("unavailable", "the ballot could not be stored")
    return {"ok": True, "version": version}


def main() -> None:
    global writer
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=5101)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--db", required=True, help="SQLite file (created)")
    args = parser.parse_args()
    writer = Writer(args.db)
    print(f"durable reference server on http://{args.host}:{args.port}, {args.db}", flush=True)
    socketio.run(app, host=args.host, port=args.port, log_output=False)


if __name__ == "__main__":
    main()
