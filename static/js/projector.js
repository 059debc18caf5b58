/* RuamKit projector page: who joined, the current question and its live results.
 *
 * Draws from the page's boot data at once, then follows `state`, `results` and
 * `participants` events; on every (re)connect it asks `sync` for the truth.
 * DOM is built with createElement/textContent only.
 */
(function () {
  "use strict";

  var TOP_ITEMS = 7;
  var TOP_WORDS = 40;

  function readJSON(id) { return JSON.parse(document.getElementById(id).textContent); }

  var T = readJSON("i18n");
  var boot = readJSON("boot");
  var lang = boot.lang;
  var locale = lang === "th" ? "th-TH" : "en-GB";
  var nf = new Intl.NumberFormat(locale);
  var nf1 = new Intl.NumberFormat(locale, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

  var view = {
    workshop: boot.workshop, participants: boot.participants, results: boot.results || {},
    screen: boot.screen || { screen: "auto", stage: null, shows: { screen: "welcome", stage: null } },
    comments: boot.comments || [], ideas: boot.ideas || []
  };
  var $ = function (id) { return document.getElementById(id); };

  function h(tag, cls, text) {
    var el = document.createElement(tag);
    if (cls) el.className = cls;
    if (text !== undefined && text !== null) el.textContent = text;
    return el;
  }

  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, function (all, name) { return name in values ? String(values[name]) : all; });
  }

  function tr(text) {
    if (text === null || text === undefined) return "";
    if (typeof text === "string") return text;
    var order = [lang].concat(view.workshop.languages || []);
    for (var i = 0; i < order.length; i++) if (text[order[i]]) return text[order[i]];
    for (var k in text) if (text[k]) return text[k];
    return "";
  }

  /** The stage on screen: the one the facilitator chose, or the one `auto` shows (the server says which). */
  function currentStage() {
    var shows = (view.screen && view.screen.shows) || {};
    if (shows.screen !== "stage") return null;
    var stages = view.workshop.stages || [];
    for (var i = 0; i < stages.length; i++) if (stages[i].key === shows.stage) return stages[i];
    return null;
  }

  function stageByKey(key) {
    var stages = view.workshop.stages || [];
    for (var i = 0; i < stages.length; i++) if (stages[i].key === key) return stages[i];
    return null;
  }

  function itemTitle(stage, key) {
    var items = stage.items || [];
    for (var i = 0; i < items.length; i++) if (items[i].key === key) return tr(items[i].title);
    return key;
  }

  // ------------------------------------------------------------- drawing

  var shownKey = null;

  var CHANNELS = ["hall", "online", "paper", "kiosk"];

  /** "In the hall: 12 · Online: 3 · On paper: 4": the channels this stage's votes came from. */
  function drawChannels(entry) {
    var list = $("pj-channels");
    var counts = (entry && entry.by_channel) || {};
    var shown = CHANNELS.filter(function (c) { return counts[c] > 0; });
    list.textContent = "";
    shown.forEach(function (c) {
      var li = h("li", "pj-channel", fmt(T["ch_" + c], { n: nf.format(counts[c]) }));
      li.setAttribute("data-channel", c);
      list.appendChild(li);
    });
    list.hidden = !shown.length;
  }

  function drawStage() {
    var stage = currentStage();
    var box = $("pj-results");
    var section = box.parentNode;
    section.setAttribute("data-mode", stage ? "stage" : "waiting");
    drawChannels(stage ? view.results[stage.key] : null);
    if (!stage) {
      $("pj-state").textContent = "";
      $("pj-state").removeAttribute("data-state");
      setTitle(T.waiting);
      $("pj-prompt").textContent = T.waiting_hint;
      box.textContent = "";
      shownKey = null;
      return;
    }
    $("pj-state").textContent = stage.state === "open" ? T.open : T.closed;
    $("pj-state").setAttribute("data-state", stage.state);
    setTitle(tr(stage.title));
    $("pj-prompt").textContent = tr(stage.prompt);
    var entry = view.results[stage.key];
    var mode = !stage.results_shown ? "hidden" : stage.method === "words" ? "cloud" : "bars";
    var key = stage.key + ":" + mode;
    if (shownKey !== key) { box.textContent = ""; shownKey = key; }
    box.setAttribute("data-mode", mode);
    section.setAttribute("data-mode", mode === "hidden" || !entry || !entry.ballots ? "note" : mode);
    if (mode === "hidden") drawHidden(box, entry, stage);
    else if (!entry || !entry.ballots) drawEmpty(box);
    else if (mode === "cloud") drawCloud(box, entry);
    else drawBars(box, stage, entry);
  }

  /** The question's title, a size smaller when it would take more than two lines. */
  function setTitle(text) {
    var title = $("pj-stage-title");
    if (title.textContent === text && title.getAttribute("data-fitted") === "1") return;
    title.textContent = text;
    title.classList.remove("pj-long");
    var line = parseFloat(window.getComputedStyle(title).lineHeight) || 1;
    if (title.getBoundingClientRect().height > line * 2.5) title.classList.add("pj-long");
    title.setAttribute("data-fitted", "1");
  }

  function drawHidden(box, entry, stage) {
    box.textContent = "";
    var count = h("p", "pj-count", fmt(T.ballots, { n: nf.format((entry && entry.ballots) || 0) }));
    box.appendChild(count);
    box.appendChild(h("p", "pj-note", stage.show_results === "never" ? T.never : T.hidden));
  }

  function drawEmpty(box) {
    box.textContent = "";
    box.appendChild(h("p", "pj-note", T.no_votes));
  }

  function drawBars(box, stage, entry) {
    var list = box.querySelector("ol.pj-bars");
    var count = box.querySelector(".pj-count-small");
    if (!list) {
      box.textContent = "";
      count = h("p", "pj-count-small");
      list = h("ol", "pj-bars");
      box.appendChild(count);
      box.appendChild(list);
    }
    var counted = fmt(T.ballots, { n: nf.format(entry.ballots) });
    var pot = stage.method === "budget" && entry.units && typeof entry.units.left === "number" ? entry.units : null;
    if (pot) counted += " · " + fmt(T.u_left, { amount: baht(pot.left), pot: baht(pot.pot) });
    // Live results carry the top items only; items_total counts them all.
    var all = typeof entry.items_total === "number" ? entry.items_total : (entry.items || []).length;
    // The longest this line gets, while the rows are fitted below it.
    count.textContent = all > 3 ? counted + " · " + fmt(T.top_n, { n: nf.format(all), total: nf.format(all) }) : counted;
    var rows = {};
    Array.prototype.forEach.call(list.children, function (li) { rows[li.getAttribute("data-key")] = li; });
    var top = (entry.items || []).slice(0, TOP_ITEMS);
    var keep = {};
    top.forEach(function (item, index) {
      var li = rows[item.key];
      if (!li) {
        li = h("li", "pj-bar");
        li.setAttribute("data-key", item.key);
        li.appendChild(h("span", "pj-rank"));
        var text = h("div", "pj-bar-text");
        text.appendChild(h("span", "pj-bar-title"));
        text.appendChild(h("span", "pj-bar-score"));
        li.appendChild(text);
        var track = h("div", "pj-track");
        track.appendChild(h("div", "pj-fill"));
        li.appendChild(track);
      }
      keep[item.key] = true;
      var score = item.score === null || item.score === undefined ? null : item.score;
      li.setAttribute("data-rank", String(item.rank));
      li.querySelector(".pj-rank").textContent = String(item.rank);
      li.querySelector(".pj-bar-title").textContent = itemTitle(stage, item.key);
      li.querySelector(".pj-bar-score").textContent = unitsText(stage, item);
      var funded = stage.method === "budget" && item.units ? item.units.funded : null;
      li.setAttribute("data-funded", funded === null || funded === undefined ? "" : String(funded));
      if (list.children[index] !== li) list.insertBefore(li, list.children[index] || null);
      var fill = li.querySelector(".pj-fill");
      var width = (score === null ? 0 : Math.max(0, Math.min(100, score))) + "%";
      // Let a new bar grow from zero.
      if (!fill.style.width) {
        fill.style.width = "0%";
        window.requestAnimationFrame(function () { window.requestAnimationFrame(function () { fill.style.width = width; }); });
      } else {
        fill.style.width = width;
      }
    });
    Object.keys(rows).forEach(function (key) { if (!keep[key]) list.removeChild(rows[key]); });
    var shown = fit(box, list);
    // Say so when the list is cut: the hall should not take the top five for all there is.
    count.textContent = shown < all ? counted + " · " + fmt(T.top_n, { n: nf.format(shown), total: nf.format(all) }) : counted;
  }

  function baht(amount) { return fmt(T.baht, { amount: nf.format(amount) }).replace(/ /g, "\u00a0"); }

  /** One item's result in the units the hall would say aloud (results "units"). */
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
        var said = fmt(T.u_budget, { amount: baht(Math.round(u.average || 0)), p: pc(u.percent_of_pot) });
        if (u.funded === true) said += " · " + T.u_funded;
        else if (u.funded === false) said += " · " + T.u_not_funded;
        return said;
    }
    return item.score === null || item.score === undefined ? "–" : nf1.format(item.score);
  }

  /** Show only as many rows as the screen holds (titles and prompts vary in length); how many. */
  function fit(box, list) {
    var shown = Array.prototype.slice.call(list.children);
    shown.forEach(function (li) { li.hidden = false; });
    var i;
    for (i = shown.length - 1; i >= 3 && box.scrollHeight > box.clientHeight + 1; i--) shown[i].hidden = true;
    return i + 1;
  }

  function drawCloud(box, entry) {
    box.textContent = "";
    box.appendChild(h("p", "pj-count-small", fmt(T.ballots, { n: nf.format(entry.ballots) })));
    var items = (entry.items || []).filter(function (i) { return i.value; }).slice(0, TOP_WORDS);
    var max = items.reduce(function (m, i) { return Math.max(m, i.value); }, 1);
    var cloud = h("ul", "pj-cloud");
    // Biggest in the middle: alternate sides around the most given word.
    var arranged = [];
    items.forEach(function (item, index) { if (index % 2) arranged.push(item); else arranged.unshift(item); });
    var words = arranged.map(function (item) {
      var weight = Math.sqrt(item.value / max);
      var li = h("li", "pj-word w" + Math.min(4, Math.round(weight * 4)), item.title || item.key);
      li.title = nf.format(item.value);
      cloud.appendChild(li);
      return { li: li, size: 2 + weight * 5.5, value: item.value, rank: items.indexOf(item) };
    });
    box.appendChild(cloud);
    fitCloud(cloud, words);
  }

  /** Every word whole on the screen: shrink the cloud a little, then leave out the rarest words. */
  function fitCloud(cloud, words) {
    function overflowing() {
      var frame = cloud.getBoundingClientRect();
      return words.some(function (w) {
        if (w.li.hidden) return false;
        var r = w.li.getBoundingClientRect();
        return r.top < frame.top - 1 || r.bottom > frame.bottom + 1 || r.left < frame.left - 1 || r.right > frame.right + 1;
      });
    }
    var scale = 1;
    function size() { words.forEach(function (w) { w.li.style.fontSize = (w.size * scale).toFixed(2) + "rem"; }); }
    size();
    while (scale > 0.86 && overflowing()) { scale -= 0.05; size(); }
    var rarest = words.slice().sort(function (a, b) { return b.rank - a.rank; });
    for (var i = 0; i < rarest.length - 1 && overflowing(); i++) rarest[i].li.hidden = true;
  }

  function drawPeople() {
    var counts = view.participants || { total: 0, by_group: {} };
    $("pj-total").textContent = nf.format(counts.total || 0);
    $("pj-joined-n").textContent = nf.format(counts.total || 0);
    $("pj-part-n").textContent = nf.format(counts.total || 0);
    groupBars($("pj-groups"), counts);
    if (!$("pj-part").hidden) groupBars($("pj-part-groups"), counts);
  }

  function groupBars(list, counts) {
    list.textContent = "";
    var groups = view.workshop.groups || [];
    var max = groups.reduce(function (m, g) { return Math.max(m, (counts.by_group || {})[g.key] || 0); }, 1);
    groups.forEach(function (group) {
      var n = (counts.by_group || {})[group.key] || 0;
      var li = h("li", "pj-group");
      li.setAttribute("data-group", group.key);
      li.appendChild(h("span", "pj-group-n", nf.format(n)));
      li.appendChild(h("span", "pj-group-label", tr(group.label)));
      var track = h("span", "pj-group-track");
      var fill = h("span", "pj-group-fill");
      fill.style.width = (n / max * 100) + "%";
      track.appendChild(fill);
      li.appendChild(track);
      list.appendChild(li);
    });
  }

  // ------------------------------------------------------- screens

  var WALL_SECONDS = 12;
  var wall = { kind: null, start: 0, next: 0, timer: null, drawn: "" };

  /** Put up what the facilitator chose: the welcome, a stage, the comments or ideas wall, participation. */
  function drawScreen() {
    var shows = (view.screen && view.screen.shows) || { screen: "welcome" };
    var root = $("pj");
    var auto = !view.screen || view.screen.screen === "auto";
    var screen = shows.screen;
    if (screen === "stage" && !currentStage()) screen = "welcome";
    // Automatic, before any stage: the waiting page (welcome, QR code and who joined), as always.
    if (screen === "welcome" && auto) screen = "waiting";
    root.setAttribute("data-screen", auto ? "auto" : view.screen.screen);
    root.setAttribute("data-join-paused", view.screen && view.screen.join_paused ? "true" : "false");
    root.setAttribute("data-shows", screen);
    root.setAttribute("data-stage", screen === "stage" ? shows.stage : "");
    var main = document.querySelector(".pj-stage");
    main.hidden = screen !== "stage" && screen !== "waiting";
    $("pj-wall").hidden = screen !== "comments" && screen !== "ideas";
    $("pj-part").hidden = screen !== "participation";
    if (screen === "stage" || screen === "waiting") drawStage();
    if (screen === "comments" || screen === "ideas") startWall(screen);
    else stopWall();
    drawPeople();
  }

  function stopWall() {
    if (wall.timer) window.clearInterval(wall.timer);
    wall.timer = null;
    wall.kind = null;
    wall.drawn = "";
  }

  /** The wall turns a page every WALL_SECONDS, newest first, and starts again from the newest. */
  function startWall(kind) {
    if (wall.kind !== kind) {
      stopWall();
      wall.kind = kind;
      wall.start = 0;
      wall.timer = window.setInterval(function () {
        wall.start = wall.next;
        drawWall();
      }, WALL_SECONDS * 1000);
    }
    drawWall();
  }

  function wallEntries() {
    var list = wall.kind === "ideas" ? view.ideas : view.comments;
    return (list || []).slice().sort(function (a, b) { return b.id - a.id; });
  }

  function drawWall() {
    var entries = wallEntries();
    // calm: the same page of the same entries, saying the same, is left as it is (each entry
    // fades in once), whatever else the room does meanwhile (a stage opens, results come)
    var drawn = [wall.kind, wall.start].concat(entries.map(function (e) { return e.id; })).join(",");
    if (drawn === wall.drawn && sameCards(entries)) return;
    wall.drawn = drawn;
    $("pj-wall-title").textContent = wall.kind === "ideas" ? T.ideas : T.comments;
    var list = $("pj-wall-list");
    list.textContent = "";
    if (wall.start >= entries.length) wall.start = 0;
    if (!entries.length) {
      $("pj-wall-page").textContent = "";
      list.appendChild(h("li", "pj-wall-empty", wall.kind === "ideas" ? T.no_ideas : T.no_comments));
      wall.next = 0;
      return;
    }
    var box = $("pj-wall");
    var i;
    for (i = wall.start; i < entries.length; i++) {
      var li = wall.kind === "ideas" ? ideaCard(entries[i]) : commentCard(entries[i]);
      list.appendChild(li);
      if (list.children.length > 1 && box.scrollHeight > box.clientHeight + 1) {
        list.removeChild(li);
        break;
      }
    }
    wall.next = i >= entries.length ? 0 : i;
    var shown = fmt(T.page, { n: nf.format(wall.start + 1) + "\u2013" + nf.format(i), total: nf.format(entries.length) });
    $("pj-wall-page").textContent = entries.length > i - wall.start ? shown : "";
  }

  /** Whether the wall's cards on screen say what they would say if drawn now (titles may change). */
  function sameCards(entries) {
    var shown = $("pj-wall-list").children;
    for (var i = 0; i < shown.length; i++) {
      var entry = entries[wall.start + i];
      if (!entry) return false;
      var card = wall.kind === "ideas" ? ideaCard(entry) : commentCard(entry);
      if (card.textContent !== shown[i].textContent) return false;
    }
    return shown.length > 0;
  }

  function groupLabel(key) {
    var groups = view.workshop.groups || [];
    for (var i = 0; i < groups.length; i++) if (groups[i].key === key) return tr(groups[i].label);
    return key || "";
  }

  /** Where an entry belongs: "stage title › item title". */
  function entryPlace(stageKey, itemKey) {
    var stage = stageByKey(stageKey);
    var place = h("p", "pj-wall-place");
    place.appendChild(h("span", "pj-wall-stage", stage ? tr(stage.title) : stageKey));
    if (itemKey && stage) {
      place.appendChild(h("span", "pj-wall-sep", " \u203a "));
      place.appendChild(h("span", "pj-wall-item", itemTitle(stage, itemKey)));
    }
    return place;
  }

  function commentCard(comment) {
    var li = h("li", "pj-wall-entry");
    li.setAttribute("data-id", String(comment.id));
    li.appendChild(h("p", "pj-wall-text", comment.text));
    var meta = entryPlace(comment.stage, comment.item);
    meta.appendChild(h("span", "pj-wall-group", groupLabel(comment.group)));
    li.appendChild(meta);
    return li;
  }

  function ideaCard(idea) {
    var li = h("li", "pj-wall-entry pj-wall-idea");
    li.setAttribute("data-id", String(idea.id));
    li.appendChild(h("p", "pj-wall-idea-title", idea.title));
    if (idea.description) li.appendChild(h("p", "pj-wall-text", idea.description));
    var meta = entryPlace(idea.stage, null);
    meta.appendChild(h("span", "pj-wall-group", groupLabel(idea.group)));
    li.appendChild(meta);
    return li;
  }

  function draw() {
    drawScreen();
  }

  // ------------------------------------------------------------ socket

  var status = $("pj-conn");
  var socket = window.io({ auth: { projector: boot.key } });

  // `refresh` keeps the stage on screen; a (re)connect starts afresh.
  function sync(refresh) {
    socket.timeout(8000).emit("sync", {}, function (err, ack) {
      if (err || !ack || !ack.ok) {
        if (socket.connected && !refresh) window.setTimeout(sync, 2000);
        return;
      }
      view.workshop = ack.workshop;
      view.participants = ack.participants || view.participants;
      view.results = ack.results || {};
      if (ack.screen) view.screen = ack.screen;
      if (ack.comments) view.comments = ack.comments;
      if (ack.ideas) view.ideas = ack.ideas;
      if (!refresh) shownKey = null;
      draw();
    });
  }

  // Broadcasts are delivered at most once: one lost while the message queue
  // was down (several server processes) is never sent again. Asking for the
  // truth every 10 seconds heals that, at the cost of one small request.
  window.setInterval(function () {
    if (socket.connected) sync(true);
  }, 10000);

  socket.on("connect", function () {
    status.textContent = "";
    status.removeAttribute("data-state");
    sync(false);
  });
  socket.on("disconnect", function () {
    status.textContent = T.offline;
    status.setAttribute("data-state", "offline");
  });
  socket.on("connect_error", function () {
    status.textContent = T.offline;
    status.setAttribute("data-state", "offline");
  });
  socket.on("state", function (update) {
    var workshop = withStates(view.workshop, update);
    if (!workshop) { sync(true); return; }
    view.workshop = workshop;
    if (!update.partial) sync(true); // items changed: an idea was approved
    drawScreen();
  });
  socket.on("screen", function (screen) {
    if (!screen || typeof screen.screen !== "string") return;
    view.screen = screen;
    drawScreen();
  });
  socket.on("comment", function (comment) {
    if (!comment || typeof comment.id !== "number") return;
    for (var i = 0; i < view.comments.length; i++) if (view.comments[i].id === comment.id) return;
    view.comments.push(comment);
    // calm: the newest comes in at the top when the wall is on its first page
    if (wall.kind === "comments" && wall.start === 0) drawWall();
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
      var stage = {};
      Object.keys(mine[i]).forEach(function (k) { stage[k] = mine[i][k]; });
      stage.state = now.state;
      stage.results_shown = now.results_shown;
      merged.stages.push(stage);
    }
    return merged;
  }
  socket.on("results", function (entry) {
    if (!entry || !entry.key) return;
    view.results[entry.key] = entry;
    var stage = currentStage();
    if (stage && stage.key === entry.key && $("pj").getAttribute("data-shows") === "stage") drawStage();
  });
  socket.on("participants", function (counts) {
    view.participants = counts;
    drawPeople();
  });

  draw();
  // Sarabun arrives after the first drawing (font-display: swap): measure again with it.
  if (document.fonts && document.fonts.ready) {
    document.fonts.ready.then(function () {
      $("pj-stage-title").removeAttribute("data-fitted");
      shownKey = null;
      wall.drawn = ""; // how many entries fit a page changes with the font
      drawScreen();
    });
  }
  window.ruamkit = { socket: socket, view: view };
}());
