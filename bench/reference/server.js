#!/usr/bin/env node
// A bare in-memory Socket.IO tally server: the yardstick for RuamKit's load benchmark.
//
// It speaks the part of RuamKit's public contract that bench/load uses, and nothing
// else: no database, no sessions, no templates, no i18n. Whatever RuamKit spends beyond
// what this server spends is the price of durability, validation and Python.
//
//   POST /api/v1/auth/token                      any body -> 201 {token}
//   POST /api/v1/workshops                        workshop object (JSON) -> 201 {id, code, projector_url}
//   POST /api/v1/workshops/:id/stages/:key/open   (and /close) -> {key, state}
//   POST /api/v1/join {code, group}               -> 201 {participant, workshop_id, group}
//   GET  /api/v1/workshops/:id/results            the contract's results object (approval, score)
//   GET  /api/v1/workshops/:id/ballots            current ballots, for the audit (token_hash, stage, choices, version)
//   GET  /healthz
// Socket.IO: auth {participant} or {projector}; `ballot` {stage, choices, ballot_id?} with the
// ack {ok, version}; `state` to everyone on a change; `results` (a stage's entry) to projectors,
// coalesced to one per RESULTS_INTERVAL (0.25 s) per stage.
//
// Usage: node server.js --port 5100 [--host 127.0.0.1]
"use strict";

const http = require("node:http");
const crypto = require("node:crypto");
const { Server } = require("socket.io");

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const PORT = Number(arg("port", "5100"));
const HOST = arg("host", "127.0.0.1");
const RESULTS_INTERVAL_MS = Number(process.env.WORKSHOP_RESULTS_INTERVAL || "0.25") * 1000;
const BASE = `http://${HOST}:${PORT}`;

const workshops = new Map(); // id -> workshop
const byCode = new Map();
const byProjectorKey = new Map();
const participants = new Map(); // token -> {workshopId, group, hash}
let nextId = 1;

const token = (n = 24) => crypto.randomBytes(n).toString("base64url");
const sha256 = (s) => crypto.createHash("sha256").update(s).digest("hex");

function newWorkshop(def) {
  const id = nextId++;
  const code = token(4).toUpperCase().replace(/[^A-Z0-9]/g, "X").slice(0, 6);
  const w = {
    id, code, projectorKey: token(24), def,
    groups: (def.groups || []).map((g) => g.key),
    joined: new Map(),
    stages: new Map(),
    pending: new Map(), // stage key -> timer
    last: new Map(),    // stage key -> ms of the last flush
  };
  for (const s of def.stages || []) {
    w.stages.set(s.key, {
      key: s.key, method: s.method, state: "draft", def: s,
      items: (s.items || []).map((i) => i.key),
      ballots: new Map(),  // participant token -> {choices, version}
      receipts: new Map(), // participant token + "\0" + ballot_id -> version
    });
  }
  workshops.set(id, w);
  byCode.set(code, w);
  byProjectorKey.set(w.projectorKey, w);
  return w;
}

// ---- ballots: the rules bench/load exercises (approval, score) -----------------------
function validate(stage, choices) {
  if (!choices || typeof choices !== "object") return "choices must be an object";
  if (stage.method === "approval") {
    const items = choices.items;
    if (!Array.isArray(items) || items.length === 0) return "choose at least one item";
    const max = stage.def.max_choices ?? stage.items.length;
    if (items.length > max) return `at most ${max} choices`;
    if (new Set(items).size !== items.length) return "duplicate item";
    for (const k of items) if (!stage.items.includes(k)) return `unknown item ${k}`;
    return null;
  }
  if (stage.method === "score") {
    const scores = choices.scores;
    if (!scores || typeof scores !== "object") return "'scores' must be an object";
    const crit = (stage.def.criteria || []).map((c) => c.key);
    const { min, max } = stage.def.scale || { min: 1, max: 5 };
    let given = 0;
    for (const [item, byCrit] of Object.entries(scores)) {
      if (!stage.items.includes(item)) return `unknown item ${item}`;
      for (const [c, v] of Object.entries(byCrit || {})) {
        if (!crit.includes(c)) return `unknown criterion ${c}`;
        if (!Number.isInteger(v) || v < min || v > max) return `score ${v} outside ${min}-${max}`;
        given++;
      }
    }
    return given ? null : "give at least one score";
  }
  return `method ${stage.method} is not in the reference server`;
}

function tally(stage) {
  const ballots = [...stage.ballots.values()].map((b) => b.choices);
  const n = ballots.length;
  let items;
  if (stage.method === "approval") {
    const values = Object.fromEntries(stage.items.map((k) => [k, 0]));
    for (const b of ballots) for (const k of b.items) values[k] += 1;
    items = stage.items.map((k) => ({ key: k, value: values[k], score: n ? (values[k] / n) * 100 : null }));
  } else {
    const crit = stage.def.criteria || [];
    const { min, max } = stage.def.scale || { min: 1, max: 5 };
    const given = Object.fromEntries(stage.items.map((k) => [k, {}]));
    for (const b of ballots) {
      for (const [item, byCrit] of Object.entries(b.scores)) {
        for (const [c, v] of Object.entries(byCrit)) (given[item][c] ||= []).push(v);
      }
    }
    items = stage.items.map((k) => {
      let wsum = 0, total = 0, plain = 0, count = 0;
      for (const c of crit) {
        const got = given[k][c.key];
        if (!got) continue;
        const mean = got.reduce((a, v) => a + v, 0) / got.length;
        const w = c.weight ?? 1;
        wsum += w; total += w * mean; plain += mean; count++;
      }
      if (!count) return { key: k, value: null, score: null };
      const value = Math.min(Math.max(wsum ? total / wsum : plain / count, min), max);
      return { key: k, value, score: ((value - min) / (max - min)) * 100 };
    });
  }
  items.sort((a, b) => (b.score ?? -1) - (a.score ?? -1));
  return { key: stage.key, method: stage.method, state: stage.state, ballots: n, paper_ballots: 0, items };
}

// ---- HTTP ----------------------------------------------------------------------------
function send(res, status, body) {
  const data = JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(data) });
  res.end(data);
}

function readJson(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      try { resolve(JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}")); } catch { resolve(null); }
    });
  });
}

const err = (res, status, code, message) => send(res, status, { error: { code, message } });

async function route(req, res) {
  const url = new URL(req.url, BASE);
  const p = url.pathname;
  let m;
  if (req.method === "GET" && p === "/healthz") return send(res, 200, { status: "ok" });
  if (req.method === "POST" && p === "/api/v1/auth/token") return send(res, 201, { token: "reference", token_type: "Bearer" });
  if (req.method === "POST" && p === "/api/v1/workshops") {
    const def = await readJson(req);
    if (!def || !Array.isArray(def.stages)) return err(res, 422, "invalid", "a workshop object is needed");
    const w = newWorkshop(def);
    return send(res, 201, { id: w.id, code: w.code, join_url: `${BASE}/j/${w.code}`, projector_url: `${BASE}/projector/${w.projectorKey}` });
  }
  if (req.method === "POST" && p === "/api/v1/join") {
    const body = await readJson(req);
    const w = body && typeof body.code === "string" ? byCode.get(body.code.trim().toUpperCase()) : null;
    if (!w) return err(res, 404, "not_found", "no workshop has this code");
    if (!w.groups.includes(body.group)) return err(res, 400, "invalid", "group: unknown");
    const raw = token(24);
    participants.set(raw, { workshopId: w.id, group: body.group, hash: sha256(raw) });
    w.joined.set(body.group, (w.joined.get(body.group) || 0) + 1);
    return send(res, 201, { participant: raw, workshop_id: w.id, group: body.group });
  }
  if ((m = p.match(/^\/api\/v1\/workshops\/(\d+)\/stages\/([^/]+)\/(open|close)$/)) && req.method === "POST") {
    const w = workshops.get(Number(m[1]));
    const stage = w && w.stages.get(m[2]);
    if (!stage) return err(res, 404, "not_found", "no such stage");
    stage.state = m[3] === "open" ? "open" : "closed";
    io.to(`w${w.id}`).emit("state", { id: w.id, stages: [...w.stages.values()].map((s) => ({ key: s.key, state: s.state })) });
    resultsChanged(w, stage.key);
    return send(res, 200, { key: stage.key, state: stage.state });
  }
  if ((m = p.match(/^\/api\/v1\/workshops\/(\d+)\/(results|ballots)$/)) && req.method === "GET") {
    const w = workshops.get(Number(m[1]));
    if (!w) return err(res, 404, "not_found", "no such workshop");
    if (m[2] === "results") {
      const byGroup = Object.fromEntries(w.groups.map((g) => [g, w.joined.get(g) || 0]));
      const total = Object.values(byGroup).reduce((a, v) => a + v, 0);
      return send(res, 200, { participants: { total, by_group: byGroup }, stages: [...w.stages.values()].map(tally) });
    }
    const rows = [];
    for (const s of w.stages.values()) {
      for (const [tok, b] of s.ballots) rows.push({ token_hash: sha256(tok), stage: s.key, choices: b.choices, version: b.version });
    }
    return send(res, 200, rows);
  }
  return err(res, 404, "not_found", "no such route");
}

const server = http.createServer((req, res) => {
  route(req, res).catch((e) => { console.error(e); err(res, 500, "server_error", String(e)); });
});

// ---- Socket.IO -----------------------------------------------------------------------
const io = new Server(server, { pingInterval: 20000, pingTimeout: 30000, maxHttpBufferSize: 64 * 1024 });

function resultsChanged(w, stageKey) {
  if (w.pending.has(stageKey)) return; // a flush is scheduled; it will include this change
  const wait = Math.max(0, (w.last.get(stageKey) || 0) + RESULTS_INTERVAL_MS - Date.now());
  w.pending.set(stageKey, setTimeout(() => {
    w.pending.delete(stageKey);
    w.last.set(stageKey, Date.now());
    io.to(`w${w.id}:watchers`).emit("results", tally(w.stages.get(stageKey)));
  }, wait));
}

io.use((socket, next) => {
  const auth = socket.handshake.auth || {};
  if (typeof auth.participant === "string" && participants.has(auth.participant)) {
    socket.data.token = auth.participant;
    socket.data.workshop = workshops.get(participants.get(auth.participant).workshopId);
    socket.data.kind = "participant";
    return next();
  }
  if (typeof auth.projector === "string" && byProjectorKey.has(auth.projector)) {
    socket.data.workshop = byProjectorKey.get(auth.projector);
    socket.data.kind = "projector";
    return next();
  }
  next(new Error("unauthorized"));
});

const refused = (code, message) => ({ ok: false, error: { code, message } });

io.on("connection", (socket) => {
  const w = socket.data.workshop;
  socket.join(`w${w.id}`);
  socket.join(socket.data.kind === "participant" ? `w${w.id}:residents` : `w${w.id}:watchers`);
  socket.on("ballot", (data, ack) => {
    if (typeof ack !== "function") return;
    if (socket.data.kind !== "participant") return ack(refused("not_allowed", "only residents vote"));
    if (!data || typeof data !== "object") return ack(refused("invalid", "the event data must be an object"));
    const stage = w.stages.get(data.stage);
    if (!stage) return ack(refused("unknown_stage", "unknown stage"));
    const tok = socket.data.token;
    const rkey = typeof data.ballot_id === "string" ? `${tok}\0${data.ballot_id}` : null;
    if (rkey && stage.receipts.has(rkey)) return ack({ ok: true, version: stage.receipts.get(rkey) });
    if (stage.state !== "open") return ack(refused("stage_closed", "stage is not open"));
    const problem = validate(stage, data.choices);
    if (problem) return ack(refused("invalid", problem));
    const version = (stage.ballots.get(tok)?.version || 0) + 1;
    stage.ballots.set(tok, { choices: data.choices, version });
    if (rkey) stage.receipts.set(rkey, version);
    ack({ ok: true, version });
    resultsChanged(w, stage.key);
  });
});

server.listen(PORT, HOST, () => console.log(`reference tally server on ${BASE}`));
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => { io.close(); server.close(); process.exit(0); });
