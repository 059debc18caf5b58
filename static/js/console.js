/* RuamKit facilitator console: small enhancements on top of pages that work without it.
 *
 * - focuses an error summary when a form comes back with errors;
 * - adds "Copy" buttons to join and projector addresses;
 * - a button with data-confirm (voiding paper ballots, leaving a workshop, a builder's
 *   Remove) asks first, in the page's language; without JavaScript it just works;
 * - counts the ballot lines typed on the paper-ballot page;
 * - shows the file field's button and file name in the page's language;
 * - on workshop pages, keeps participant, ballot, state and moderation counts live
 *   through Socket.IO (the session cookie signs the socket in);
 * - on the run sheet, sends the projector's screen forms without leaving the page,
 *   marks the screen on the projector (`screen` events, from any console), and
 *   steps to the next or previous screen with Shift+Right / Shift+Left;
 * - on the moderation page's waiting tab, adds each new comment or idea as a row
 *   with its Publish / Reject forms (`moderation_item` events).
 *
 * Text from residents or workshop files is only ever set with textContent.
 */
(function () {
  "use strict";

  var body = document.body;
  var strings = {};
  try {
    strings = JSON.parse(body.getAttribute("data-strings") || "{}");
  } catch (e) {
    strings = {};
  }

  function t(key, fallback) {
    return typeof strings[key] === "string" ? strings[key] : fallback;
  }

  function all(selector, root) {
    return Array.prototype.slice.call((root || document).querySelectorAll(selector));
  }

  function setText(selector, value, root) {
    all(selector, root).forEach(function (el) {
      el.textContent = String(value);
    });
  }

  /* ------------------------------------------------------------ forms */

  function focusErrors() {
    var summary = document.querySelector("[data-autofocus]");
    if (summary) {
      summary.focus();
    }
  }

  /* A "Line 7" link in the paper errors selects line 7 in the box. */
  function linkLines() {
    all("a[data-line]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var box = document.getElementById(link.getAttribute("href").slice(1));
        if (!box || typeof box.setSelectionRange !== "function") {
          return;
        }
        event.preventDefault();
        var wanted = parseInt(link.getAttribute("data-line"), 10);
        var lines = box.value.split("\n");
        var start = 0;
        for (var i = 0; i < wanted - 1 && i < lines.length; i++) {
          start += lines[i].length + 1;
        }
        var end = start + (lines[wanted - 1] || "").length;
        box.focus();
        box.setSelectionRange(start, end);
        var lineHeight = parseFloat(window.getComputedStyle(box).lineHeight) || 24;
        box.scrollTop = Math.max(0, (wanted - 3) * lineHeight);
      });
    });
  }

  function countLines() {
    var box = document.querySelector(".input--lines");
    var out = document.querySelector("[data-live='line-count']");
    if (!box || !out) {
      return;
    }
    function update() {
      var n = box.value.split("\n").filter(function (line) {
        var s = line.trim();
        return s !== "" && s.charAt(0) !== "#";
      }).length;
      out.textContent = n ? t("ballot_lines", "Ballots typed: {n}").replace("{n}", String(n)) : "";
    }
    box.addEventListener("input", update);
    update();
  }

  /* The browser's file button speaks the browser's language ("Choose File"): show the
     page's words on a button of our own, with the file's name, over the real input. */
  function filePickers() {
    all("input[type='file'][data-choose]").forEach(function (input) {
      var picker = document.createElement("span");
      picker.className = "file-picker";
      var button = document.createElement("span");
      button.className = "file-picker__button";
      button.setAttribute("aria-hidden", "true");
      button.textContent = input.getAttribute("data-choose");
      var name = document.createElement("span");
      name.className = "file-picker__name";
      name.setAttribute("aria-hidden", "true");
      function update() {
        var chosen = input.files && input.files.length ? input.files[0].name : "";
        name.textContent = chosen || input.getAttribute("data-none") || "";
        picker.classList.toggle("file-picker--chosen", chosen !== "");
      }
      input.parentNode.insertBefore(picker, input);
      picker.appendChild(input);
      picker.appendChild(button);
      picker.appendChild(name);
      input.classList.add("file-picker__input");
      input.addEventListener("change", update);
      update();
    });
  }

  function copyButtons() {
    if (!navigator.clipboard) {
      return;
    }
    all("[data-copy]").forEach(function (source) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn--quiet copy-button";
      button.textContent = t("copy", "Copy");
      button.addEventListener("click", function () {
        var text = typeof source.value === "string" ? source.value : source.textContent;
        navigator.clipboard.writeText(text.trim()).then(function () {
          button.textContent = t("copied", "Copied");
          window.setTimeout(function () {
            button.textContent = t("copy", "Copy");
          }, 2000);
        });
      });
      source.parentNode.insertBefore(button, source.nextSibling);
    });
  }

  /* ------------------------------------------------------------ live */

  /* Mirrors workshop/web/facilitator/present.py:actions(). */
  function allowed(state, policy, shown) {
    return {
      open: state !== "open",
      close: state === "open",
      reveal: policy !== "never" && !shown,
      hide: shown
    };
  }

  function applyStage(key, state, shown) {
    all("[data-stage]").forEach(function (card) {
      if (card.getAttribute("data-stage") !== key) {
        return;
      }
      if (state) {
        card.classList.remove("stage-card--draft", "stage-card--open", "stage-card--closed");
        if (card.classList.contains("stage-card")) {
          card.classList.add("stage-card--" + state);
        }
        all("[data-live='state']", card).forEach(function (badge) {
          badge.classList.remove("badge--draft", "badge--open", "badge--closed");
          badge.classList.add("badge--" + state);
          badge.setAttribute("data-state", state);
        });
        setText("[data-live='state-label']", (strings.states || {})[state] || state, card);
      }
      if (typeof shown === "boolean") {
        card.setAttribute("data-shown", shown ? "true" : "false");
        all("[data-live='visibility']", card).forEach(function (el) {
          el.textContent = shown ? t("shown", "Shown to residents") : t("hidden", "Hidden from residents");
          el.classList.toggle("visibility--shown", shown);
          el.classList.toggle("visibility--hidden", !shown);
        });
      }
      var current = card.querySelector("[data-live='state']");
      var nowState = current ? current.getAttribute("data-state") : state;
      var nowShown = card.getAttribute("data-shown") === "true";
      var can = allowed(nowState, card.getAttribute("data-policy"), nowShown);
      all("button[data-action]", card).forEach(function (button) {
        var action = button.getAttribute("data-action");
        button.disabled = !can[action];
        if (action === "open") {
          button.textContent = nowState === "closed" ? t("reopen", "Reopen") : t("open", "Open");
        }
      });
    });
  }

  function showBanner(message) {
    var banner = document.querySelector("[data-live='banner']");
    if (!banner) {
      return;
    }
    while (banner.firstChild) {
      banner.removeChild(banner.firstChild);
    }
    var text = document.createElement("p");
    text.textContent = message;
    var link = document.createElement("a");
    link.className = "btn btn--primary btn--small";
    link.href = window.location.pathname + window.location.search;
    link.textContent = t("refresh", "Refresh");
    banner.appendChild(text);
    banner.appendChild(link);
    banner.hidden = false;
  }

  function onParticipants(data) {
    if (!data || typeof data.total !== "number") {
      return;
    }
    setText("[data-live='participants-total']", data.total);
    var attendance = document.querySelector("[data-expected]");
    var warning = document.querySelector("[data-attendance-warning]");
    if (attendance && warning) {  // past the expected attendance: say so live (issue 14.4)
      warning.hidden = data.total <= Number(attendance.getAttribute("data-expected"));
    }
    var byGroup = data.by_group || {};
    all("[data-live='participants-group']").forEach(function (el) {
      var key = el.getAttribute("data-group");
      el.textContent = String(byGroup[key] || 0);
    });
  }

  function onResults(entry) {
    if (!entry || typeof entry.key !== "string") {
      return;
    }
    all("[data-stage]").forEach(function (card) {
      if (card.getAttribute("data-stage") !== entry.key) {
        return;
      }
      setText("[data-live='ballots']", entry.ballots, card);
      setText("[data-live='paper-ballots']", entry.paper_ballots, card);
      var rendered = card.getAttribute("data-ballots");
      if (body.getAttribute("data-page") === "results" && rendered !== null &&
          String(entry.ballots) !== rendered) {
        showBanner(t("results_new", "New ballots have come in."));
      }
    });
    applyStage(entry.key, entry.state, entry.results_shown);
  }

  function onState(workshop) {
    if (!workshop || !Array.isArray(workshop.stages)) {
      return;
    }
    workshop.stages.forEach(function (stage) {
      applyStage(stage.key, stage.state, stage.results_shown);
    });
    learnItems(workshop);
  }

  function onModeration(counts) {
    if (!counts) {
      return;
    }
    var comments = counts.comments || 0;
    var ideas = counts.ideas || 0;
    setText("[data-live='pending-comments']", comments);
    setText("[data-live='pending-ideas']", ideas);
    setText("[data-live='pending-total']", comments + ideas);
    all("[data-live='pending-pill']").forEach(function (pill) {
      pill.classList.toggle("count-pill--zero", comments + ideas === 0);
    });
    if (body.getAttribute("data-page") === "moderation") {
      // On the waiting tab, rows added live count as seen (addEntry raises these).
      var seenComments = parseInt(body.getAttribute("data-pending-comments") || "0", 10);
      var seenIdeas = parseInt(body.getAttribute("data-pending-ideas") || "0", 10);
      if (comments > seenComments || ideas > seenIdeas) {
        showBanner(t("moderation_new", "New comments or ideas are waiting."));
      }
    }
  }

  /* ------------------------------------------------------------ moderation rows */

  var SEEN = {comment: "data-pending-comments", idea: "data-pending-ideas"};
  var rowData = null;

  /* The labels, button texts and console path of the moderation page, or null elsewhere. */
  function moderationData() {
    if (rowData === null) {
      try {
        rowData = JSON.parse(body.getAttribute("data-moderation") || "null") || false;
      } catch (e) {
        rowData = false;
      }
    }
    return rowData || null;
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  function validId(id) {
    return typeof id === "number" && id > 0 && Math.floor(id) === id;
  }

  /* Mirrors workshop/web/facilitator/views.py: moderate_comment and moderate_idea (the waiting tab). */
  function moderationAction(data, kind, id, action) {
    return data.base + "/" + (kind === "idea" ? "ideas" : "comments") + "/" + String(id) + "/" +
      (action === "approve" ? "approve" : "reject") + "?show=pending";
  }

  /* "14:05" in the workshop's time zone, as the server writes it (present.clock). */
  function clock(iso, timezone) {
    var when = new Date(iso);
    if (isNaN(when.getTime())) {
      return "";
    }
    try {
      return new Intl.DateTimeFormat("en-GB", {hour: "2-digit", minute: "2-digit", hourCycle: "h23",
                                               timeZone: timezone || "Asia/Bangkok"}).format(when);
    } catch (e) {
      return "";
    }
  }

  /* A workshop text (a string or {th, en}) in the page's language. */
  function localized(value, languages) {
    if (typeof value === "string") {
      return value;
    }
    if (!value || typeof value !== "object") {
      return "";
    }
    var wanted = [document.documentElement.lang].concat(languages || []);
    for (var i = 0; i < wanted.length; i++) {
      if (typeof value[wanted[i]] === "string") {
        return value[wanted[i]];
      }
    }
    var keys = Object.keys(value);
    return keys.length && typeof value[keys[0]] === "string" ? value[keys[0]] : "";
  }

  /* Items added since the page was made (approved ideas) get their titles from `state`. */
  function learnItems(workshop) {
    var data = moderationData();
    if (!data || !workshop || !Array.isArray(workshop.stages)) {
      return;
    }
    workshop.stages.forEach(function (stage) {
      if (!stage || typeof stage.key !== "string" || !Array.isArray(stage.items)) {
        return;
      }
      var titles = data.items[stage.key] || (data.items[stage.key] = {});
      stage.items.forEach(function (item) {
        if (item && typeof item.key === "string" && !titles[item.key]) {
          titles[item.key] = localized(item.title, data.languages) || item.key;
        }
      });
    });
  }

  function entryMeta(data, entry) {
    var meta = element("p", "entry__meta");
    meta.appendChild(element("span", "", data.stages[entry.stage] || entry.stage));
    var items = data.items[entry.stage] || {};
    if (typeof entry.item === "string" && entry.item && items[entry.item]) {
      var arrow = element("span", "", "\u203a");
      arrow.setAttribute("aria-hidden", "true");
      meta.appendChild(arrow);
      meta.appendChild(element("span", "", items[entry.item]));
    }
    meta.appendChild(element("span", "tag tag--plain", data.groups[entry.group] || entry.group));
    var time = element("time", "nowrap", clock(entry.created_at, data.timezone));
    time.setAttribute("datetime", String(entry.created_at || ""));
    meta.appendChild(time);
    return meta;
  }

  function entryButton(data, kind, id, action, token) {
    var form = element("form", "inline-form");
    form.method = "post";
    form.action = moderationAction(data, kind, id, action);
    var csrf = element("input");
    csrf.type = "hidden";
    csrf.name = "csrf_token";
    csrf.setAttribute("value", token);
    var look = action === "approve" ? "btn--primary" : "btn--danger";
    var button = element("button", "btn " + look + " btn--small",
                         ((data.buttons || {})[kind] || {})[action] || action);
    button.type = "submit";
    form.appendChild(csrf);
    form.appendChild(button);
    return form;
  }

  /* The <li> of templates/facilitator/moderation.html for a comment or idea that waits. */
  function entryRow(data, kind, entry, token) {
    var row = element("li", "entry entry--new");
    row.id = kind + "-" + entry.id;
    if (data.buttons && data.select) {  // picked for "publish/reject selected", like the server's rows
      var pick = element("label", "entry__select");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.name = "ids";
      box.value = String(entry.id);
      box.setAttribute("form", "bulk-" + kind);
      pick.appendChild(box);
      pick.appendChild(document.createTextNode(" " + data.select));
      row.appendChild(pick);
    }
    row.appendChild(entryMeta(data, entry));
    if (kind === "idea") {
      row.appendChild(element("p", "entry__title", entry.title));
      if (entry.description) {
        row.appendChild(element("p", "entry__text", entry.description));
      }
    } else {
      row.appendChild(element("p", "entry__text", entry.text));
    }
    if (data.buttons) {  // none for a viewer: their role does not moderate
      var actions = element("div", "entry__actions");
      actions.appendChild(entryButton(data, kind, entry.id, "approve", token));
      actions.appendChild(entryButton(data, kind, entry.id, "reject", token));
      row.appendChild(actions);
    }
    return row;
  }

  function addEntry(kind, entry) {
    var data = moderationData();
    if (!data || body.getAttribute("data-show") !== "pending" || !entry || !validId(entry.id) ||
        entry.status !== "pending" || document.getElementById(kind + "-" + entry.id)) {
      return;
    }
    var section = document.querySelector("[data-entries='" + kind + "']");
    var tokenInput = document.querySelector("input[name='csrf_token']");
    if (!section || !tokenInput) {
      return;
    }
    var list = section.querySelector("ul.entries");
    if (!list) {
      list = element("ul", "entries");
      var empty = section.querySelector(".empty");
      if (empty) {
        section.replaceChild(list, empty);
      } else {
        section.appendChild(list);
      }
    }
    list.appendChild(entryRow(data, kind, entry, tokenInput.value));
    setText("[data-live='entries-count']", list.children.length, section);
    var seen = parseInt(body.getAttribute(SEEN[kind]) || "0", 10);
    body.setAttribute(SEEN[kind], String(seen + 1));
    setText("[data-live='arrived']", (data.arrived || {})[kind] || "");
  }

  function onModerationItem(data) {
    if (!data || (data.kind !== "comment" && data.kind !== "idea")) {
      return;
    }
    addEntry(data.kind, data[data.kind]);
  }

  /* ------------------------------------------------------- projector */

  /* Mark the chosen screen's button, and say what the projector shows now. */
  function onScreen(screen) {
    var card = document.getElementById("projector");
    if (!card || !screen || typeof screen.screen !== "string") {
      return;
    }
    card.setAttribute("data-screen", screen.screen);
    card.setAttribute("data-screen-stage", screen.stage || "");
    all("button[data-screen]").forEach(function (button) {
      var kind = button.getAttribute("data-screen");
      if (kind === "next" || kind === "previous") {
        return;
      }
      var chosen = kind === screen.screen &&
        (kind !== "stage" || button.getAttribute("data-screen-stage") === screen.stage);
      button.classList.toggle("is-chosen", chosen);
      button.setAttribute("aria-pressed", chosen ? "true" : "false");
    });
    var shows = screen.shows || screen;
    var selector = shows.screen === "stage"
      ? "button[data-screen='stage'][data-screen-stage='" + String(shows.stage).replace(/[^a-z0-9_-]/g, "") + "']"
      : "button[data-screen='" + String(shows.screen).replace(/[^a-z]/g, "") + "']";
    var named = document.querySelector(selector);
    if (named) {
      setText("[data-live='screen-now']", named.getAttribute("data-label") || "");
    }
    all("[data-live='screen-auto']").forEach(function (el) {
      el.hidden = screen.screen !== "auto";
    });
  }

  function sendScreen(form) {
    var data = new FormData(form);
    return fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin",
      headers: {"Accept": "application/json"}
    }).then(function (response) {
      return response.json().then(function (reply) {
        if (!response.ok || !reply || !reply.ok) {
          throw new Error("refused");
        }
        onScreen(reply);
      });
    });
  }

  function screenControls() {
    var forms = all("form.screen-form");
    if (!forms.length || typeof window.fetch !== "function" || typeof window.FormData !== "function") {
      return;
    }
    forms.forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        var button = form.querySelector("button");
        button.setAttribute("aria-busy", "true");
        sendScreen(form).catch(function () {
          form.submit(); // the page's own way: the server answers with a message
        }).then(function () {
          button.removeAttribute("aria-busy");
        });
      });
    });
    document.addEventListener("keydown", function (event) {
      if (!event.shiftKey || event.altKey || event.ctrlKey || event.metaKey ||
          (event.key !== "ArrowRight" && event.key !== "ArrowLeft")) {
        return;
      }
      var target = event.target;
      var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
      if (tag === "input" || tag === "textarea" || tag === "select" || (target && target.isContentEditable)) {
        return; // Shift+arrows select text there
      }
      var button = document.querySelector("button[data-screen='" + (event.key === "ArrowRight" ? "next" : "previous") + "']");
      if (button) {
        event.preventDefault();
        button.form.requestSubmit ? button.form.requestSubmit(button) : button.click();
      }
    });
  }

  function connection(connected) {
    all("[data-live='connection']").forEach(function (el) {
      el.hidden = false;
      el.setAttribute("data-connected", connected ? "true" : "false");
      el.textContent = connected ? t("live", "Live") : t("offline", "Reconnecting…");
    });
  }

  function live() {
    var workshop = body.getAttribute("data-workshop");
    if (!workshop || typeof window.io !== "function") {
      return;
    }
    var socket = window.io({auth: {role: "facilitator", workshop: parseInt(workshop, 10)}});
    function sync() {
      socket.emit("sync", {}, function (reply) {
        if (!reply || !reply.ok) {
          return;
        }
        onParticipants(reply.participants);
        onState(reply.workshop);
        onScreen(reply.screen);
        Object.keys(reply.results || {}).forEach(function (key) {
          onResults(reply.results[key]);
        });
      });
    }
    socket.on("connect", function () {
      connection(true);
      sync();
    });
    // Broadcasts are delivered at most once (one lost while the message queue was
    // down is never resent): ask for the truth every 15 seconds.
    window.setInterval(function () {
      if (socket.connected) {
        sync();
      }
    }, 15000);
    socket.on("disconnect", function () { connection(false); });
    socket.on("connect_error", function () { connection(false); });
    socket.on("participants", onParticipants);
    socket.on("results", onResults);
    socket.on("state", onState);
    socket.on("moderation", onModeration);
    socket.on("moderation_item", onModerationItem);
    socket.on("screen", onScreen);
    socket.on("queue", function (data) {
      all("[data-live='queue-down']").forEach(function (el) {
        el.hidden = !(data && data.ok === false);
      });
    });
  }

  function printButtons() {
    all("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-confirm]") : null;
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    printButtons();
    focusErrors();
    linkLines();
    countLines();
    filePickers();
    copyButtons();
    screenControls();
    live();
  });
}());
