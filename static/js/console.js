/* RuamKit facilitator console: small enhancements on top of pages that work without it.
 *
 * - focuses an error summary when a form comes back with errors;
 * - adds "Copy" buttons to join and projector addresses;
 * - counts the ballot lines typed on the paper-ballot page;
 * - on workshop pages, keeps participant, ballot, state and moderation counts live
 *   through Socket.IO (the session cookie signs the socket in).
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
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
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
      var seenComments = parseInt(body.getAttribute("data-pending-comments") || "0", 10);
      var seenIdeas = parseInt(body.getAttribute("data-pending-ideas") || "0", 10);
      if (comments > seenComments || ideas > seenIdeas) {
        showBanner(t("moderation_new", "New comments or ideas are waiting."));
      }
    }
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
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrors();
    linkLines();
    countLines();
    copyButtons();
    live();
  });
}());
