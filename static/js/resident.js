/* RuamKit resident page: the live room on a phone.
 *
 * The server is the truth: on every (re)connect the page asks `sync` and redraws
 * from the workshop state, this phone's ballots and the results shown. A vote is
 * sent with a ballot_id made here; without an acknowledgement it is sent again
 * with the same id (the server counts it once), and while offline it waits in a
 * queue until the socket is back. DOM is built with createElement/textContent only.
 */
(function () {
  "use strict";

  var ACK_MS = 8000;
  var MAX_TRIES = 4;

  function readJSON(id) { return JSON.parse(document.getElementById(id).textContent); }

  var T = readJSON("i18n");
  var boot = readJSON("boot");
  var lang = boot.lang;
  var locale = lang === "th" ? "th-TH" : "en-GB";
  var nf = new Intl.NumberFormat(locale);
  var nf1 = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

  var app = {
    workshop: null,
    ballots: {},   // stage -> {choices, version}: what the server has
    results: {},   // stage -> results entry (only stages whose results are shown)
    comments: {},  // stage -> published comments (sync's newest 50, older ones asked for, live ones)
    commentsMore: false, // the server has older published comments than those here
    commentsShown: {}, // stage -> how many of its comments the page lists
    unfolded: {},  // stage -> true when a closed stage was opened by a tap
    drafts: {},    // stage -> choices changed here and not yet acknowledged
    pending: {},   // stage -> {id, choices, tries}: sent or queued, waiting for an ack
    notes: {},     // stage -> {text, kind}: the last word about this stage's vote
    drawn: {}      // stage -> signature of the ballot form on screen
  };

  // ---------------------------------------------------------------- helpers

  function h(tag, props) {
    var el = document.createElement(tag);
    var key;
    for (key in props || {}) {
      var value = props[key];
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") el.textContent = value;
      else if (key === "class") el.className = value;
      else if (key.slice(0, 2) === "on") el.addEventListener(key.slice(2), value);
      else if (key === "checked" || key === "disabled" || key === "value") el[key] = value;
      else el.setAttribute(key, value === true ? "" : value);
    }
    for (var i = 2; i < arguments.length; i++) add(el, arguments[i]);
    return el;
  }

  function add(el, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) { child.forEach(function (c) { add(el, c); }); return; }
    el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
  }

  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }

  function tr(text) {
    if (text === null || text === undefined) return "";
    if (typeof text === "string") return text;
    var order = [lang].concat((app.workshop && app.workshop.languages) || []);
    for (var i = 0; i < order.length; i++) if (text[order[i]]) return text[order[i]];
    for (var k in text) if (text[k]) return text[k];
    return "";
  }

  // amount and unit never apart on two lines ("12,500,000 | บาท")
  function baht(amount) { return fmt(T.baht, { amount: nf.format(amount) }).replace(/ /g, "\u00a0"); }
  function clone(value) { return value === undefined ? undefined : JSON.parse(JSON.stringify(value)); }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function uuid() {
    var c = window.crypto;
    if (c && typeof c.randomUUID === "function") return c.randomUUID();
    var b = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var hex = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20);
  }

  var announcer = document.getElementById("announce");
  function announce(text) {
    announcer.textContent = "";
    window.setTimeout(function () { announcer.textContent = text; }, 60);
  }

  function stageOf(key) {
    var stages = (app.workshop && app.workshop.stages) || [];
    for (var i = 0; i < stages.length; i++) if (stages[i].key === key) return stages[i];
    return null;
  }

  /** An item's title; a folded stage has no items here: then the title a result or comment carries. */
  function itemTitle(stage, key, known) {
    var items = stage.items || [];
    for (var i = 0; i < items.length; i++) if (items[i].key === key) return tr(items[i].title);
    return known ? tr(known) : key;
  }

  // ------------------------------------------------------------ connection

  var conn = document.getElementById("conn");
  function setConn(state) {
    conn.setAttribute("data-state", state);
    conn.textContent = T[state];
  }

  // WebSocket first (no HTTP long-polling handshake and upgrade: two round trips fewer on a slow
  // hall Wi-Fi, bench/phone.py); long-polling still, when a network lets no WebSocket through.
  var socket = boot.preview ? previewSocket() : window.io({
    auth: { workshop: boot.workshop_id }, transports: ["websocket", "polling"], tryAllTransports: true
  });

  /**
   * The console's preview (boot.preview): the same page with no server behind it.
   * `sync` answers with the workshop the page was drawn with; a ballot is
   * acknowledged and never stored anywhere.
   */
  function previewSocket() {
    var handlers = {};
    var fake = {
      connected: true,
      on: function (name, fn) { handlers[name] = fn; },
      timeout: function () { return fake; },
      emit: function (name, data, callback) {
        window.setTimeout(function () {
          if (name === "sync") callback(null, { ok: true, workshop: boot.snapshot.workshop, ballots: {}, results: {} });
          else if (name === "ballot") { callback(null, { ok: true, version: 1 }); note(data.stage, T.preview_saved, "ok"); }
          else callback(null, { ok: true, id: 0, status: "pending" });
        }, 0);
      }
    };
    window.setTimeout(function () { conn.setAttribute("data-state", "online"); }, 0);
    return fake;
  }

  socket.on("connect", function () {
    setConn("online");
    sync(true);
  });
  socket.on("disconnect", function () { setConn("offline"); });
  socket.on("connect_error", function (err) {
    if (err && err.message === "unauthorized") { setConn("refused"); return; }
    setConn(navigator.onLine === false ? "offline" : "connecting");
  });
  window.addEventListener("offline", function () { setConn("offline"); });

  socket.on("state", function (update) {
    var workshop = withStates(app.workshop, update);
    if (!workshop) { sync(false); return; }
    var hadShown = shownStages();
    app.workshop = workshop;
    render();
    // Results shown just now: fetch them (the results event only follows changes).
    var missing = (workshop.stages || []).some(function (s) {
      return s.results_shown && !hadShown[s.key] && !app.results[s.key];
    });
    if (missing) sync(false);
  });
  socket.on("results", function (entry) {
    if (!entry || !entry.key) return;
    app.results[entry.key] = entry;
    drawResults(entry.key);
    drawFold(entry.key);
  });
  socket.on("comment", function (comment) {
    if (!comment || comment.status !== "published") return;
    var list = app.comments[comment.stage] = app.comments[comment.stage] || [];
    if (list.some(function (c) { return c.id === comment.id; })) return;
    list.unshift(comment);
    drawComments(comment.stage);
  });

  /**
   * A `state` event: the whole workshop, or (partial) only each stage's state and
   * visibility, to lay over the copy this page has. Null when the page cannot
   * lay it over (no copy, other stages): then it asks for the whole with `sync`.
   */
  function withStates(current, update) {
    if (!update || !Array.isArray(update.stages)) return null;
    if (!update.partial) return update;
    var mine = (current && current.stages) || [];
    if (mine.length !== update.stages.length) return null;
    var merged = {};
    Object.keys(current).forEach(function (k) { merged[k] = current[k]; });
    merged.revision = update.revision;
    merged.stages = [];
    for (var i = 0; i < mine.length; i++) {
      var now = update.stages[i];
      if (!now || now.key !== mine[i].key) return null;
      if (now.state === "open" && mine[i].folded && !now.items) return null;  // its items: from sync
      var stage = {};
      Object.keys(mine[i]).forEach(function (k) { stage[k] = mine[i][k]; });
      stage.state = now.state;
      stage.results_shown = now.results_shown;
      if (now.items) {  // an open stage's items come with it (a folded one opened just now)
        stage.items = now.items;
        delete stage.folded;
        delete stage.items_total;
      }
      merged.stages.push(stage);
    }
    return merged;
  }

  function shownStages() {
    var shown = {};
    ((app.workshop && app.workshop.stages) || []).forEach(function (s) { if (s.results_shown) shown[s.key] = true; });
    return shown;
  }

  var syncing = false;
  function sync(thenFlush) {
    if (syncing) return;
    syncing = true;
    socket.timeout(ACK_MS).emit("sync", {}, function (err, ack) {
      syncing = false;
      if (err || !ack || !ack.ok) {
        if (socket.connected) window.setTimeout(function () { sync(thenFlush); }, 2000);
        return;
      }
      apply(ack);
      if (thenFlush) flush();
    });
  }

  function apply(snapshot) {
    app.workshop = snapshot.workshop;
    app.ballots = snapshot.ballots || {};
    app.results = snapshot.results || {};
    takeComments(snapshot.comments || [], snapshot.comments_more);
    Object.keys(app.drafts).forEach(function (key) {
      var server = app.ballots[key];
      if (server && same(server.choices, app.drafts[key]) && !app.pending[key]) delete app.drafts[key];
    });
    app.drawn = {};
    render();
  }

  /**
   * Pages and `sync` carry a stage's items only while it is open (a workshop may hold
   * 50 stages of 200 items): other stages come folded, and so do their results (the
   * leaders only). Opening a folded stage asks for it whole with `stage`.
   */
  var fetching = {};
  function fetchStage(key) {
    var stage = stageOf(key), entry = app.results[key];
    if (!stage || !(stage.folded || (entry && entry.folded)) || fetching[key]) return;
    fetching[key] = true;
    socket.timeout(ACK_MS).emit("stage", { stage: key }, function (err, ack) {
      delete fetching[key];
      if (err || !ack || !ack.ok || !ack.stage) return;
      var stages = (app.workshop && app.workshop.stages) || [];
      for (var i = 0; i < stages.length; i++) {
        if (stages[i].key !== key) continue;
        ack.stage.state = stages[i].state;  // the latest `state` this page heard says these
        ack.stage.results_shown = stages[i].results_shown;
        stages[i] = ack.stage;
      }
      if (ack.results) app.results[key] = ack.results;
      else if (app.results[key] && app.results[key].folded) delete app.results[key];
      delete app.drawn[key];
      render();
    });
  }

  function flush() {
    Object.keys(app.pending).forEach(function (key) { app.pending[key].tries = 0; send(key); });
  }

  // ---------------------------------------------------------------- voting

  function current(stage) {
    if (app.drafts[stage.key] !== undefined) return app.drafts[stage.key];
    var server = app.ballots[stage.key];
    return server ? clone(server.choices) : empty(stage);
  }

  function empty(stage) {
    switch (stage.method) {
      case "single": return { item: null };
      case "approval": return { items: [] };
      case "dots": return { dots: {} };
      case "rank": return { order: [] };
      case "score": return { scores: {} };
      case "budget": return { budget: {} };
      default: return { words: [] };
    }
  }

  /** The choices as the contract wants them, or null when nothing is chosen. */
  function cleaned(stage, choices) {
    var out = {}, keys;
    switch (stage.method) {
      case "single": return choices.item ? { item: choices.item } : null;
      case "approval": return choices.items.length ? { items: choices.items.slice() } : null;
      case "rank": return choices.order.length ? { order: choices.order.slice() } : null;
      case "dots":
      case "budget":
        keys = Object.keys(choices[stage.method]).filter(function (k) { return choices[stage.method][k] > 0; });
        keys.forEach(function (k) { out[k] = choices[stage.method][k]; });
        return keys.length ? (stage.method === "dots" ? { dots: out } : { budget: out }) : null;
      case "score":
        Object.keys(choices.scores).forEach(function (item) {
          var given = choices.scores[item];
          if (given && Object.keys(given).length) out[item] = given;
        });
        return Object.keys(out).length ? { scores: out } : null;
      default:
        keys = choices.words.map(function (w) { return w.trim(); }).filter(Boolean);
        return keys.length ? { words: keys } : null;
    }
  }

  function changed(stage, choices) {
    app.drafts[stage.key] = choices;
    var server = app.ballots[stage.key];
    if (server && !app.pending[stage.key]) {
      var clean = cleaned(stage, choices);
      if (!same(clean, server.choices)) note(stage.key, T.unsent, "wait");
      else note(stage.key, fmt(T.saved, { v: server.version }), "ok");
    }
    refreshButton(stage.key);
  }

  /** Is the ballot on screen the one the server has? */
  function isSaved(key) {
    var server = app.ballots[key];
    if (!server || app.pending[key]) return false;
    var draft = app.drafts[key];
    return draft === undefined || same(cleaned(stageOf(key) || {}, draft), server.choices);
  }

  function submit(stage) {
    var choices = cleaned(stage, current(stage));
    if (!choices) { note(stage.key, T.empty, "error"); return; }
    if (stage.method === "budget" && total(choices.budget) > stage.budget) {
      note(stage.key, fmt(T.over, { amount: baht(total(choices.budget) - stage.budget) }), "error");
      return;
    }
    var p = app.pending[stage.key];
    if (!p || !same(p.choices, choices)) p = app.pending[stage.key] = { id: uuid(), choices: choices, tries: 0 };
    else p.tries = 0;
    refreshButton(stage.key);
    send(stage.key);
  }

  function send(key) {
    var p = app.pending[key];
    if (!p) return;
    if (!socket.connected) { note(key, T.queued, "wait"); return; }
    p.tries += 1;
    note(key, p.tries > 1 ? T.retrying : T.sending, "wait");
    socket.timeout(ACK_MS).emit("ballot", { stage: key, choices: p.choices, ballot_id: p.id }, function (err, ack) {
      if (app.pending[key] !== p) return; // a newer vote took its place
      if (err) {
        if (!socket.connected) note(key, T.queued, "wait");
        else if (p.tries < MAX_TRIES) send(key);
        else note(key, T.no_answer, "error");
        return;
      }
      delete app.pending[key];
      if (ack && ack.ok) {
        app.ballots[key] = { choices: p.choices, version: ack.version };
        if (app.drafts[key] !== undefined && same(cleaned(stageOf(key) || {}, app.drafts[key]), p.choices)) {
          delete app.drafts[key];
        }
        note(key, fmt(T.saved, { v: ack.version }), "ok");
        refreshButton(key);
        return;
      }
      refreshButton(key);
      var error = (ack && ack.error) || {};
      var known = T["err_" + error.code];
      note(key, known ? fmt(known, { reason: error.message || "" })
        : fmt(T.err_other, { reason: error.message || error.code || "?" }), "error");
      if (error.code === "stage_closed") sync(false);
    });
  }

  function note(key, text, kind) {
    app.notes[key] = { text: text, kind: kind };
    if (kind === "error") unfold(key); // a refusal is never folded away
    var el = document.getElementById("ack-" + key);
    if (el) {
      el.textContent = "";
      el.appendChild(noteText(text));
      el.setAttribute("data-kind", kind);
    }
  }

  /** A note's text, its closing "(…)" kept on one line: Thai breaks "(ครั้ง|ที่ 1)" otherwise. */
  function noteText(text) {
    var m = /^([\s\S]*\S)\s+(\([^()]{1,24}\)\.?)$/.exec(text);
    return m ? h("span", null, m[1] + " ", h("span", { class: "nobr" }, m[2])) : h("span", null, text);
  }

  function refreshButton(key) {
    var button = document.getElementById("send-" + key);
    if (!button) return;
    button.textContent = buttonText(key);
    // Saved and unchanged: the button steps back (outlined) and says so until something changes.
    if (isSaved(key)) button.setAttribute("data-saved", "");
    else button.removeAttribute("data-saved");
  }

  function buttonText(key) {
    if (isSaved(key)) return T.saved_button;
    return app.ballots[key] ? T.update : T.submit;
  }

  function total(map) {
    return Object.keys(map).reduce(function (sum, k) { return sum + (map[k] || 0); }, 0);
  }

  // --------------------------------------------------------------- drawing

  var root = document.getElementById("stages");

  function visibleStages() {
    var stages = ((app.workshop && app.workshop.stages) || []).filter(function (s) { return s.state !== "draft"; });
    var open = stages.filter(function (s) { return s.state === "open"; });
    var closed = stages.filter(function (s) { return s.state !== "open"; }).reverse();
    return open.concat(closed);
  }

  function render() {
    var stages = visibleStages();
    var keep = {};
    stages.forEach(function (stage, index) {
      keep["st-" + stage.key] = true;
      var section = document.getElementById("st-" + stage.key);
      if (!section) section = buildSection(stage);
      if (root.children[index] !== section) root.insertBefore(section, root.children[index] || null);
      drawStage(stage, section);
    });
    Array.prototype.slice.call(root.children).forEach(function (child) {
      if (child.id && child.id.indexOf("st-") === 0 && !keep[child.id]) root.removeChild(child);
    });
    var waiting = document.getElementById("waiting");
    var anyOpen = stages.some(function (s) { return s.state === "open"; });
    if (!anyOpen && !waiting) {
      root.insertBefore(h("p", { id: "waiting", class: "waiting" }, T.waiting), root.firstChild);
    } else if (anyOpen && waiting) {
      waiting.parentNode.removeChild(waiting);
    }
  }

  function buildSection(stage) {
    var section = h("section", { id: "st-" + stage.key, class: "stage", "aria-labelledby": "t-" + stage.key });
    section.appendChild(h("div", { class: "stage-head" }));
    section.appendChild(h("div", { class: "ballot-box" }));
    section.appendChild(h("div", { class: "results-box" }));
    section.appendChild(h("div", { class: "talk-box" }));
    return section;
  }

  function drawStage(stage, section) {
    var server = app.ballots[stage.key];
    var signature = JSON.stringify([stage, app.drafts[stage.key] === undefined && server ? server.version : -1]);
    section.setAttribute("data-state", stage.state);
    if (app.drawn[stage.key] === signature) { drawResults(stage.key); drawFold(stage.key); return; }
    app.drawn[stage.key] = signature;

    var focusedId = document.activeElement && section.contains(document.activeElement) ? document.activeElement.id : null;
    var head = section.children[0];
    head.textContent = "";
    if (stage.state === "closed") {
      // Closed: one line with its leader; a tap opens it (a disclosure button in the heading).
      var open = !!app.unfolded[stage.key];
      if (open) fetchStage(stage.key);
      section.classList.toggle("folded", !open);
      var fold = h("button", { type: "button", class: "fold", id: "fold-" + stage.key, "aria-expanded": String(open),
        onclick: function () {
          var now = !app.unfolded[stage.key];
          app.unfolded[stage.key] = now;
          if (now) fetchStage(stage.key);
          section.classList.toggle("folded", !now);
          fold.setAttribute("aria-expanded", String(now));
        } },
        h("span", { class: "fold-title" }, h("span", { class: "pill", "data-state": "closed" }, T.closed), " ", tr(stage.title)),
        h("span", { class: "fold-winner", id: "win-" + stage.key }),
        h("span", { class: "fold-chevron", "aria-hidden": "true" }));
      add(head, h("h2", { id: "t-" + stage.key, class: "fold-h" }, fold));
    } else {
      section.classList.remove("folded");
      add(head, [
        h("p", { class: "pill", "data-state": stage.state }, T.open),
        h("h2", { id: "t-" + stage.key }, tr(stage.title))
      ]);
    }

    var box = section.children[1];
    box.textContent = "";
    if (stage.state === "open") box.appendChild(ballotForm(stage));
    else box.appendChild(readOnly(stage));

    var talk = section.children[3];
    talk.textContent = "";
    if (stage.state === "open") add(talk, [commentForm(stage), ideaForm(stage)]);
    add(talk, h("div", { id: "cm-" + stage.key, class: "comments" }));
    drawComments(stage.key);
    drawResults(stage.key);
    drawFold(stage.key);

    if (focusedId) {
      var again = document.getElementById(focusedId);
      if (again) again.focus();
    }
  }

  function hintFor(stage) {
    switch (stage.method) {
      case "single": return T.choose_one;
      case "approval":
        return stage.max_choices ? fmt(T.choose_up_to, { n: stage.max_choices }) : T.choose_any;
      case "dots":
        return fmt(T.dots_hint, { n: stage.dots, m: stage.max_per_item || stage.dots });
      case "rank": return T.rank_hint;
      case "score": return fmt(T.score_hint, { min: stage.scale.min, max: stage.scale.max });
      case "budget": return fmt(T.budget_hint, { total: baht(stage.budget) });
      default: return fmt(T.words_hint, { n: stage.max_words || 3 });
    }
  }

  /**
   * Whether a prompt already says what the hint would (spacing, case and punctuation aside):
   * it holds the hint whole, or every number of the hint and most of its letter pairs
   * ("เลือกวิสัยทัศน์ที่ท่านเห็นด้วย ไม่เกิน 2 ข้อ" says "เลือกได้ไม่เกิน 2 ข้อ"). Thai is not
   * written with spaces, so letter pairs rather than words.
   */
  function saysTheHint(prompt, hint) {
    function bare(t) { return String(t || "").toLowerCase().replace(/[\s.,!?:;()\u3002]+/g, ""); }
    var p = bare(prompt), h = bare(hint);
    if (!p || !h) return false;
    if (p.indexOf(h) >= 0) return true;
    var numbers = String(hint).match(/[0-9][0-9,]*/g) || [];
    for (var i = 0; i < numbers.length; i++) if (p.indexOf(numbers[i].replace(/,$/, "")) < 0) return false;
    var pairs = 0, found = 0;
    for (var j = 0; j + 1 < h.length; j++) {
      pairs += 1;
      if (p.indexOf(h.substr(j, 2)) >= 0) found += 1;
    }
    return numbers.length > 0 && pairs > 0 && found / pairs >= 0.6;
  }

  function ballotForm(stage) {
    var key = stage.key;
    var form = h("form", { class: "ballot", novalidate: true, id: "f-" + key });
    var hint = hintFor(stage);
    // A prompt that already says it ("Choose one.", "... up to 2") is not said twice.
    var repeats = stage.prompt && saysTheHint(tr(stage.prompt), hint);
    var fieldset = h("fieldset", { class: "question", "aria-describedby": repeats ? null : "hint-" + key });
    add(fieldset, [
      h("legend", { class: stage.prompt ? "prompt" : "sr-only" }, stage.prompt ? tr(stage.prompt) : tr(stage.title)),
      repeats ? null : h("p", { class: "hint", id: "hint-" + key }, hint)
    ]);
    var widget = WIDGETS[stage.method](stage, current(stage), false);
    add(fieldset, widget.el);
    form.appendChild(fieldset);
    var saved = app.notes[key];
    var server = app.ballots[key];
    if (!saved && server) saved = { text: fmt(T.saved, { v: server.version }), kind: "ok" };
    add(form, [
      h("div", { class: "send" },
        h("button", { type: "submit", class: "btn btn-primary btn-block", id: "send-" + key,
          "data-saved": isSaved(key) }, buttonText(key)),
        h("p", { class: "ack", id: "ack-" + key, role: "status", "aria-live": "polite",
          "data-kind": saved ? saved.kind : "" }, saved ? noteText(saved.text) : null))
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit(stage);
    });
    return form;
  }

  function readOnly(stage) {
    var server = app.ballots[stage.key];
    var wrap = h("div", { class: "ballot ballot-closed" });
    var failed = app.notes[stage.key];
    if (failed && failed.kind === "error") {
      wrap.appendChild(h("p", { class: "ack", id: "ack-" + stage.key, role: "status", "data-kind": "error" }, noteText(failed.text)));
    }
    wrap.appendChild(h("p", { class: "closed-note" }, server ? T.closed_note : T.closed_none));
    if (server) {
      var fieldset = h("fieldset", { class: "question", disabled: true });
      add(fieldset, h("legend", { class: stage.prompt ? "prompt" : "sr-only" },
        stage.prompt ? tr(stage.prompt) : tr(stage.title)));
      add(fieldset, WIDGETS[stage.method](stage, clone(server.choices), true).el);
      wrap.appendChild(fieldset);
    }
    return wrap;
  }

  /** What residents weigh an item by (cost, time frame, goal, SDG targets, indicator), behind "Details". */
  function itemDetails(stage, item, skipCost) {
    var rows = [];
    function row(label, value) { if (value) rows.push(h("dt", null, label), h("dd", null, value)); }
    if (!skipCost && item.budget) row(T.d_cost, baht(item.budget));
    if (item.horizon) row(T.d_horizon, T["horizon_" + item.horizon] || item.horizon);
    if (item.goal) row(T.d_goal, goalTitle(item.goal));
    if (item.sdgs && item.sdgs.length) {
      row(T.d_sdgs, item.sdgs.map(function (n) { return fmt(T.sdg, { n: String(n) }); }).join(", "));
    }
    if (item.indicator) row(T.d_indicator, tr(item.indicator));
    if (!rows.length) return null;
    return h("details", { class: "item-more" },
      h("summary", null, T.details, h("span", { class: "sr-only" }, ": " + tr(item.title))),
      h("dl", null, rows));
  }

  function goalTitle(key) {
    var stages = (app.workshop && app.workshop.stages) || [];
    for (var i = 0; i < stages.length; i++) {
      if (stages[i].kind !== "goals") continue;
      var items = stages[i].items || [];
      for (var j = 0; j < items.length; j++) if (items[j].key === key) return tr(items[j].title);
    }
    return key;
  }

  function itemText(item, extraClass) {
    return h("span", { class: "item-text" + (extraClass ? " " + extraClass : "") },
      h("span", { class: "item-title" }, tr(item.title)),
      item.description ? h("span", { class: "item-desc" }, tr(item.description)) : null);
  }

  // ---------------------------------------------------------------- widgets

  var WIDGETS = {
    single: function (stage, choices, ro) {
      var list = h("div", { class: "choices" });
      (stage.items || []).forEach(function (item) {
        list.appendChild(h("label", { class: "choice" },
          h("input", {
            type: "radio", name: "r-" + stage.key, id: "c-" + stage.key + "-" + item.key, value: item.key,
            checked: choices.item === item.key, disabled: ro,
            onchange: function () { changed(stage, { item: item.key }); }
          }),
          itemText(item)));
        add(list, itemDetails(stage, item));
      });
      return { el: list };
    },

    approval: function (stage, choices, ro) {
      var max = stage.max_choices || (stage.items || []).length;
      var chosen = choices.items.slice();
      var list = h("div", { class: "choices" });
      var counter = h("p", { class: "counter", "aria-live": "polite" });
      var boxes = [];
      function update() {
        counter.textContent = fmt(T.chosen, { n: chosen.length, max: max });
        boxes.forEach(function (box) {
          var blocked = !ro && !box.checked && chosen.length >= max;
          box.disabled = ro || blocked;
          box.parentNode.classList.toggle("is-blocked", blocked);
        });
      }
      (stage.items || []).forEach(function (item) {
        var box = h("input", {
          type: "checkbox", id: "c-" + stage.key + "-" + item.key, value: item.key,
          checked: chosen.indexOf(item.key) >= 0,
          onchange: function () {
            if (box.checked && chosen.indexOf(item.key) < 0) chosen.push(item.key);
            if (!box.checked) chosen = chosen.filter(function (k) { return k !== item.key; });
            update();
            changed(stage, { items: chosen.slice() });
          }
        });
        boxes.push(box);
        list.appendChild(h("label", { class: "choice choice-check" }, box, itemText(item)));
        add(list, itemDetails(stage, item));
      });
      var wrap = h("div", null, ro ? null : counter, list);
      update();
      return { el: wrap };
    },

    dots: function (stage, choices, ro) {
      var dots = Object.assign({}, choices.dots);
      var perItem = stage.max_per_item || stage.dots;
      var counter = h("p", { class: "counter counter-big", "aria-live": "polite" });
      var rows = h("div", { class: "dot-rows" });
      var controls = [];
      function left() { return stage.dots - total(dots); }
      function update() {
        counter.textContent = fmt(T.dots_left, { n: left() });
        controls.forEach(function (c) { c(); });
      }
      (stage.items || []).forEach(function (item) {
        var count = h("span", { class: "dot-count", id: "n-" + stage.key + "-" + item.key });
        var pips = h("span", { class: "pips", "aria-hidden": "true" });
        var minus = h("button", { type: "button", class: "step", id: "m-" + stage.key + "-" + item.key,
          "aria-label": fmt(T.remove_dot, { item: tr(item.title) }) }, "−");
        var plus = h("button", { type: "button", class: "step", id: "p-" + stage.key + "-" + item.key,
          "aria-label": fmt(T.add_dot, { item: tr(item.title) }) }, "+");
        function change(delta) {
          var now = dots[item.key] || 0;
          if (delta > 0 && (now >= perItem || left() <= 0)) return;
          if (delta < 0 && now <= 0) return;
          dots[item.key] = now + delta;
          if (!dots[item.key]) delete dots[item.key];
          update();
          announce(fmt(T.dots_on, { item: tr(item.title), n: dots[item.key] || 0 }) + ". " +
            fmt(T.dots_left, { n: left() }));
          changed(stage, { dots: Object.assign({}, dots) });
        }
        minus.addEventListener("click", function () { change(-1); });
        plus.addEventListener("click", function () { change(1); });
        controls.push(function () {
          var n = dots[item.key] || 0;
          count.textContent = String(n);
          minus.setAttribute("aria-disabled", String(n <= 0));
          plus.setAttribute("aria-disabled", String(n >= perItem || left() <= 0));
          pips.textContent = "";
          if (perItem <= 10) for (var i = 0; i < perItem; i++) pips.appendChild(h("span", { class: i < n ? "pip on" : "pip" }));
        });
        rows.appendChild(h("div", { class: "dot-row" + (ro ? " ro" : "") },
          itemText(item),
          h("div", { class: "stepper", role: "group", "aria-label": fmt(T.dots_on, { item: tr(item.title), n: "" }).replace(/[:\s]+$/, "") },
            ro ? null : minus,
            h("span", { class: "dot-value" }, count, pips),
            ro ? null : plus),
          itemDetails(stage, item)));
      });
      update();
      return { el: h("div", null, ro ? null : counter, rows) };
    },

    rank: function (stage, choices, ro) {
      var order = choices.order.slice();
      var wrap = h("div", { class: "rank" });
      function draw(focusId) {
        wrap.textContent = "";
        var listId = "rl-" + stage.key;
        wrap.appendChild(h("h3", { class: "rank-h", id: listId }, T.my_ranking));
        var ol = h("ol", { class: "rank-list", "aria-labelledby": listId });
        if (!order.length) wrap.appendChild(h("p", { class: "rank-empty" }, T.rank_empty));
        order.forEach(function (key, index) {
          var title = itemTitle(stage, key);
          var li = h("li", { class: "rank-item" },
            h("span", { class: "rank-pos", "aria-hidden": "true" }, String(index + 1)),
            h("span", { class: "rank-title" }, title));
          if (!ro) {
            li.appendChild(h("span", { class: "rank-btns" },
              iconButton("up", key, T.move_up, title, index === 0, function () { move(index, -1, "up"); }),
              iconButton("down", key, T.move_down, title, index === order.length - 1, function () { move(index, 1, "down"); }),
              iconButton("remove", key, T.remove, title, false, function () { remove(index); })));
          }
          ol.appendChild(li);
        });
        if (order.length) wrap.appendChild(ol);
        var rest = (stage.items || []).filter(function (item) { return order.indexOf(item.key) < 0; });
        if (!ro && rest.length) {
          var poolId = "rp-" + stage.key;
          wrap.appendChild(h("h3", { class: "rank-h", id: poolId }, T.not_ranked));
          var ul = h("ul", { class: "rank-pool", "aria-labelledby": poolId });
          rest.forEach(function (item) {
            ul.appendChild(h("li", { class: "rank-item" }, itemText(item), itemDetails(stage, item),
              h("button", { type: "button", class: "btn btn-small", id: "ra-" + stage.key + "-" + item.key,
                "aria-label": T.add_rank + ": " + tr(item.title),
                onclick: function () {
                  var at = rest.indexOf(item);
                  var next = rest[at + 1] || rest[at - 1];
                  order.push(item.key);
                  commit(next ? "ra-" + stage.key + "-" + next.key : "ru-" + stage.key + "-" + item.key);
                  announce(fmt(T.position, { item: tr(item.title), n: order.length }));
                } }, h("span", { "aria-hidden": "true" }, "+"), T.add_rank)));
          });
          wrap.appendChild(ul);
        }
        if (focusId) {
          var target = document.getElementById(focusId);
          if (target) target.focus();
        }
      }
      function iconButton(kind, key, label, title, off, action) {
        // The icon is drawn by live.css: arrow glyphs are not in Sarabun and vary by phone.
        return h("button", { type: "button", class: "icon-btn icon-" + kind, id: "r" + kind[0] + "-" + stage.key + "-" + key,
          "aria-label": label + ": " + title, title: label, "aria-disabled": String(off),
          onclick: function () { if (!off) action(); } },
          h("span", { class: "ico ico-" + kind, "aria-hidden": "true" }));
      }
      function move(index, delta, kind) {
        var key = order[index];
        order.splice(index, 1);
        order.splice(index + delta, 0, key);
        commit("r" + kind[0] + "-" + stage.key + "-" + key);
        announce(fmt(T.position, { item: itemTitle(stage, key), n: index + delta + 1 }));
      }
      function remove(index) {
        var key = order[index];
        order.splice(index, 1);
        var next = order[index] || order[index - 1];
        commit(next ? "rr-" + stage.key + "-" + next : "ra-" + stage.key + "-" + key);
        announce(fmt(T.removed, { item: itemTitle(stage, key) }));
      }
      function commit(focusId) {
        draw(focusId);
        changed(stage, { order: order.slice() });
      }
      draw(null);
      return { el: wrap };
    },

    score: function (stage, choices, ro) {
      var scores = clone(choices.scores);
      var wrap = h("div", { class: "score-items" });
      var low = stage.scale.min, high = stage.scale.max;
      (stage.items || []).forEach(function (item) {
        var box = h("fieldset", { class: "score-item" });
        box.appendChild(h("legend", { class: "score-legend" }, tr(item.title)));
        if (item.description) box.appendChild(h("p", { class: "item-desc" }, tr(item.description)));
        add(box, itemDetails(stage, item));
        var radios = [];
        (stage.criteria || []).forEach(function (criterion) {
          var crit = h("fieldset", { class: "crit" }, h("legend", { class: "crit-legend" }, tr(criterion.label)));
          var scale = h("div", { class: "scale" });
          for (var v = low; v <= high; v++) {
            (function (value) {
              var given = scores[item.key] && scores[item.key][criterion.key];
              var radio = h("input", {
                type: "radio", class: "sr-radio", name: "s-" + stage.key + "-" + item.key + "-" + criterion.key,
                id: "s-" + stage.key + "-" + item.key + "-" + criterion.key + "-" + value,
                value: String(value), checked: given === value, disabled: ro,
                onchange: function () {
                  scores[item.key] = scores[item.key] || {};
                  scores[item.key][criterion.key] = value;
                  changed(stage, { scores: clone(scores) });
                  if (clear) clear.hidden = false;
                }
              });
              radios.push(radio);
              scale.appendChild(h("label", { class: "scale-opt" }, radio, h("span", null, String(value))));
            })(v);
          }
          crit.appendChild(scale);
          box.appendChild(crit);
        });
        var clear = null;
        if (!ro) {
          clear = h("button", { type: "button", class: "link-btn", id: "x-" + stage.key + "-" + item.key,
            "aria-label": T.clear + ": " + tr(item.title),
            onclick: function () {
              delete scores[item.key];
              radios.forEach(function (r) { r.checked = false; });
              clear.hidden = true;
              changed(stage, { scores: clone(scores) });
              announce(T.cleared);
            } }, T.clear);
          clear.hidden = !scores[item.key];
          box.appendChild(clear);
        }
        wrap.appendChild(box);
      });
      return { el: wrap };
    },

    budget: function (stage, choices, ro) {
      var amounts = Object.assign({}, choices.budget);
      var counter = h("p", { class: "counter counter-big", "aria-live": "polite" });
      var rows = h("div", { class: "budget-rows" });
      var inputs = [];
      function left() { return stage.budget - total(amounts); }
      function update() {
        var rest = left();
        counter.textContent = rest >= 0 ? fmt(T.remaining, { amount: baht(rest) }) : fmt(T.over, { amount: baht(-rest) });
        counter.setAttribute("data-kind", rest >= 0 ? "" : "error");
        var send = document.getElementById("send-" + stage.key);
        if (send) send.setAttribute("aria-disabled", String(rest < 0));
        inputs.forEach(function (f) { f(); });
      }
      (stage.items || []).forEach(function (item) {
        var id = "b-" + stage.key + "-" + item.key;
        var costId = item.budget ? "bc-" + stage.key + "-" + item.key : null;
        var echo = h("span", { class: "budget-echo", "aria-hidden": "true" });
        var refusalId = "br-" + stage.key + "-" + item.key;
        var refusal = h("span", { class: "budget-refused", id: refusalId, role: "alert" });
        var cap = item.budget ? Math.min(item.budget, stage.budget) : stage.budget;
        var input = h("input", {
          type: "number", id: id, class: "money", inputmode: "numeric", min: "0", max: String(cap), step: "1",
          value: amounts[item.key] ? String(amounts[item.key]) : "", disabled: ro,
          "aria-describedby": (costId ? costId + " " : "") + refusalId, placeholder: "0"
        });
        /** Refused on the spot: more than what is left of the budget, or than the item's own cost. */
        function read() {
          var n = Math.floor(Number(input.value));
          if (!isFinite(n) || n < 0) n = 0;
          var mine = amounts[item.key] || 0;
          var room = Math.max(stage.budget - (total(amounts) - mine), 0);
          var said = "";
          if (item.budget && n > item.budget && item.budget <= room) {
            said = fmt(T.refused_cost, { amount: baht(item.budget) });
          } else if (n > room) {
            said = fmt(T.refused_left, { amount: baht(room) });
          }
          refusal.textContent = said;
          if (said) {
            input.value = mine ? String(mine) : "";  // the amount typed is not taken
            return;
          }
          if (n) amounts[item.key] = n; else delete amounts[item.key];
          update();
          changed(stage, { budget: Object.assign({}, amounts) });
        }
        input.addEventListener("input", read);
        input.addEventListener("change", read);
        inputs.push(function () {
          var n = amounts[item.key] || 0;
          echo.textContent = n ? baht(n) : "";
          input.setAttribute("aria-invalid", String(left() < 0 && n > 0));
        });
        var full = null;
        if (!ro && item.budget) {
          full = h("button", { type: "button", class: "btn btn-small", "aria-label": T.full_cost + ": " + tr(item.title),
            onclick: function () {
              var room = stage.budget - (total(amounts) - (amounts[item.key] || 0));
              input.value = String(Math.max(0, Math.min(item.budget, room)));
              read();
              announce(counter.textContent);
            } }, T.full_cost);
        }
        rows.appendChild(h("div", { class: "budget-row" },
          h("label", { class: "item-title", for: id }, tr(item.title)),
          item.description ? h("span", { class: "item-desc" }, tr(item.description)) : null,
          costId ? h("span", { class: "cost", id: costId }, fmt(T.cost, { amount: baht(item.budget) })) : null,
          itemDetails(stage, item, true),
          h("span", { class: "money-row" }, input, h("span", { class: "unit", "aria-hidden": "true" }, "฿"), full),
          echo, refusal));
      });
      update();
      return { el: h("div", null, ro ? null : counter, rows) };
    },

    words: function (stage, choices, ro) {
      var max = stage.max_words || 3;
      var words = choices.words.slice();
      var wrap = h("div", { class: "words" });
      for (var i = 0; i < max; i++) {
        (function (index) {
          var id = "w-" + stage.key + "-" + index;
          var input = h("input", { type: "text", id: id, maxlength: "40", autocomplete: "off",
            value: words[index] || "", disabled: ro,
            oninput: function () {
              words[index] = input.value;
              changed(stage, { words: words.slice() });
            } });
          wrap.appendChild(h("div", { class: "word-row" },
            h("label", { for: id }, fmt(T.word_n, { n: index + 1 })), input));
        })(i);
      }
      return { el: wrap };
    }
  };

  // ------------------------------------------------------- results, talk

  function drawResults(key) {
    var section = document.getElementById("st-" + key);
    var stage = stageOf(key);
    if (!section || !stage) return;
    var box = section.children[2];
    var entry = app.results[key];
    box.textContent = "";
    if (!stage.results_shown || !entry) return;
    var headId = "rh-" + key;
    box.appendChild(h("h3", { class: "results-h", id: headId }, T.results));
    var items = (entry.items || []).slice(0, 10);
    if (!entry.ballots || !items.length) { box.appendChild(h("p", { class: "muted" }, T.no_results)); return; }
    var counted = fmt(T.ballots, { n: nf.format(entry.ballots) });
    var pot = stage.method === "budget" && entry.units && typeof entry.units.left === "number" ? entry.units : null;
    if (pot) counted += " · " + fmt(T.u_left, { amount: baht(pot.left), pot: baht(pot.pot) });
    box.appendChild(h("p", { class: "muted" }, counted));
    var ol = h("ol", { class: "bars", "aria-labelledby": headId });
    items.forEach(function (item) {
      var score = item.score === null || item.score === undefined ? null : item.score;
      var fill = h("span", { class: "bar-fill" });
      fill.style.width = (score === null ? 0 : Math.max(0, Math.min(100, score))) + "%";
      var funded = stage.method === "budget" && item.units ? item.units.funded : null;
      ol.appendChild(h("li", { class: "bar-row", "data-rank": String(item.rank) },
        h("span", { class: "bar-rank" }, h("span", { class: "sr-only" }, fmt(T.rank_n, { n: "" })), String(item.rank)),
        h("span", { class: "bar-title" }, stage.method === "words" ? (item.title || item.key) : itemTitle(stage, item.key, item.title)),
        h("span", { class: "bar-track", "aria-hidden": "true" }, fill),
        h("span", { class: "bar-score" }, unitsText(stage, item)),
        funded === null || funded === undefined ? null
          : h("span", { class: "bar-funded" + (funded ? " is-funded" : "") }, funded ? T.u_funded : T.u_not_funded)));
    });
    box.appendChild(ol);
  }

  /** One item's result in the units a resident would say aloud (results "units"). */
  function unitsText(stage, item) {
    var u = item.units || {};
    function pc(v) { return v === null || v === undefined ? "–" : nf1.format(v); }
    switch (stage.method) {
      case "single": case "approval": case "words":
        return fmt(T.u_ballots, { p: pc(u.percent), n: nf.format(u.ballots || 0) });
      case "dots":
        return fmt(T.u_dots, { p: pc(u.percent), n: nf.format(u.dots || 0) });
      case "rank":
        return u.average_position === null || u.average_position === undefined ? fmt(T.u_points, { pts: nf.format(u.points || 0) })
          : fmt(T.u_rank, { pos: nf1.format(u.average_position), pts: nf.format(u.points || 0) });
      case "score":
        if (u.mean === null || u.mean === undefined) return "–";
        var parts = (stage.criteria || []).filter(function (c) {
          return u.criteria && u.criteria[c.key] !== null && u.criteria[c.key] !== undefined;
        }).map(function (c) { return fmt(T.u_criterion, { label: tr(c.label) || c.key, mean: nf1.format(u.criteria[c.key]) }); });
        var onScale = fmt(T.u_score, { mean: nf1.format(u.mean), max: nf.format((u.scale || stage.scale || { max: 5 }).max) });
        return parts.length > 1 ? onScale + " (" + parts.join(" · ") + ")" : onScale;
      case "budget":
        return fmt(T.u_budget, { amount: baht(Math.round(u.average || 0)), p: pc(u.percent_of_pot) });
    }
    return item.score === null || item.score === undefined ? "–" : nf1.format(item.score);
  }

  var COMMENTS_FIRST = 5;

  /** Published comments from a snapshot (newest first), kept with those that came live. */
  function takeComments(list, more) {
    var seen = {};
    var byStage = {};
    function keep(c) {
      if (!c || seen[c.id]) return;
      seen[c.id] = true;
      (byStage[c.stage] = byStage[c.stage] || []).push(c);
    }
    list.forEach(keep);
    Object.keys(app.comments).forEach(function (k) { app.comments[k].forEach(keep); });
    Object.keys(byStage).forEach(function (k) { byStage[k].sort(function (a, b) { return b.id - a.id; }); });
    app.comments = byStage;
    if (more !== undefined) app.commentsMore = !!more;
  }

  function oldestComment() {
    var oldest = null;
    Object.keys(app.comments).forEach(function (k) {
      app.comments[k].forEach(function (c) { if (oldest === null || c.id < oldest) oldest = c.id; });
    });
    return oldest;
  }

  /** "Show more comments": the next few of this stage, asking the server for older ones when needed. */
  function moreComments(key, button) {
    var wanted = (app.commentsShown[key] || COMMENTS_FIRST) + 10;
    app.commentsShown[key] = wanted;
    var have = (app.comments[key] || []).length;
    var before = oldestComment();
    if (have >= wanted || !app.commentsMore || before === null || !socket.connected) {
      drawComments(key, true);
      return;
    }
    button.setAttribute("aria-busy", "true");
    socket.timeout(ACK_MS).emit("comments", { before: before }, function (err, ack) {
      if (!err && ack && ack.ok) takeComments(ack.comments || [], ack.more);
      drawComments(key, true);
    });
  }

  function drawComments(key, focusMore) {
    var box = document.getElementById("cm-" + key);
    var stage = stageOf(key);
    if (!box || !stage) return;
    var list = app.comments[key] || [];
    box.textContent = "";
    if (!list.length) return;
    box.appendChild(h("h3", { class: "results-h" }, T.others_said));
    var ul = h("ul", { class: "comment-list" });
    var shown = app.commentsShown[key] || COMMENTS_FIRST;
    list.slice(0, shown).forEach(function (c) {
      ul.appendChild(h("li", null,
        c.item ? h("span", { class: "comment-about" }, itemTitle(stage, c.item)) : null,
        h("span", { class: "comment-text" }, c.text),
        h("span", { class: "comment-group" }, groupLabel(c.group))));
    });
    box.appendChild(ul);
    if (list.length > shown || app.commentsMore) {
      var more = h("button", { type: "button", class: "link-btn more-comments", id: "cmore-" + key,
        onclick: function () { moreComments(key, more); } }, T.more_comments);
      box.appendChild(more);
      if (focusMore) more.focus();
    } else if (focusMore && ul.children[shown - 10]) {
      ul.children[shown - 10].setAttribute("tabindex", "-1");
      ul.children[shown - 10].focus();
    }
  }

  function unfold(key) {
    app.unfolded[key] = true;
    var section = document.getElementById("st-" + key);
    var fold = document.getElementById("fold-" + key);
    if (section) section.classList.remove("folded");
    if (fold) fold.setAttribute("aria-expanded", "true");
  }

  /** A closed stage's one line: its leader (when its results are shown). */
  function drawFold(key) {
    var el = document.getElementById("win-" + key);
    var stage = stageOf(key);
    if (!el || !stage) return;
    var entry = app.results[key];
    var top = entry && stage.results_shown && entry.ballots ? (entry.items || []).filter(function (i) { return i.rank === 1; }) : [];
    el.textContent = top.length ? fmt(T.winner, {
      title: top.slice(0, 2).map(function (i) { return stage.method === "words" ? i.key : itemTitle(stage, i.key, i.title); }).join(" · ")
    }) : "";
  }

  function groupLabel(key) {
    var groups = (app.workshop && app.workshop.groups) || [];
    for (var i = 0; i < groups.length; i++) if (groups[i].key === key) return tr(groups[i].label);
    return "";
  }

  function commentForm(stage) {
    if (stage.allow_comments === false) return null;
    var key = stage.key;
    var status = h("p", { class: "ack", role: "status", "aria-live": "polite" });
    var text = h("textarea", { id: "ct-" + key, rows: "3", maxlength: "1000" });
    var about = null;
    if ((stage.items || []).length) {
      about = h("select", { id: "ca-" + key }, h("option", { value: "" }, T.whole_question));
      stage.items.forEach(function (item) { about.appendChild(h("option", { value: item.key }, tr(item.title))); });
    }
    var form = h("form", { class: "talk", novalidate: true },
      h("h3", { class: "talk-h" }, T.comments),
      about ? h("label", { for: "ca-" + key }, T.comment_about) : null, about,
      h("label", { for: "ct-" + key }, T.comment_label), text,
      h("button", { type: "submit", class: "btn" }, T.send_comment), status);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = text.value.trim();
      if (!body) { say(status, T.text_needed, "error"); return; }
      talk("comment", { stage: key, item: about && about.value ? about.value : null, text: body }, status, function (ack) {
        text.value = "";
        say(status, ack.status === "published" ? T.comment_published : T.comment_pending, "ok");
      });
    });
    return h("details", { class: "talk-wrap" }, h("summary", null, T.comments), form);
  }

  function ideaForm(stage) {
    if (!stage.allow_ideas) return null;
    var key = stage.key;
    var status = h("p", { class: "ack", role: "status", "aria-live": "polite" });
    var title = h("input", { type: "text", id: "it-" + key, maxlength: "200" });
    var desc = h("textarea", { id: "id-" + key, rows: "3", maxlength: "2000" });
    var form = h("form", { class: "talk", novalidate: true },
      h("label", { for: "it-" + key }, T.idea_title), title,
      h("label", { for: "id-" + key }, T.idea_desc), desc,
      h("button", { type: "submit", class: "btn" }, T.send_idea), status);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!title.value.trim()) { say(status, T.text_needed, "error"); return; }
      talk("idea", { stage: key, title: title.value.trim(), description: desc.value.trim() || null }, status, function () {
        title.value = "";
        desc.value = "";
        say(status, T.idea_sent, "ok");
      });
    });
    return h("details", { class: "talk-wrap" }, h("summary", null, T.idea), form);
  }

  function talk(event, data, status, done) {
    if (!socket.connected) { say(status, T.offline, "error"); return; }
    say(status, T.sending, "wait");
    socket.timeout(ACK_MS).emit(event, data, function (err, ack) {
      if (err) { say(status, T.no_answer, "error"); return; }
      if (ack && ack.ok) { done(ack); return; }
      say(status, fmt(T.send_failed, { reason: (ack && ack.error && ack.error.message) || "?" }), "error");
    });
  }

  function say(el, text, kind) {
    el.textContent = text;
    el.setAttribute("data-kind", kind);
  }

  // ------------------------------------------------------------------ start

  apply(boot.snapshot);
  if (!socket.connected) setConn(navigator.onLine === false ? "offline" : "connecting");
  window.ruamkit = { socket: socket, app: app };
}());
