/* RuamKit helper kiosk (the room page of a hall tablet started as a kiosk from the console).
 *
 * - A resident who walks away: after data-idle seconds without a touch, key or scroll the page
 *   asks "Are you still there?"; unanswered for data-prompt seconds more, it presses "Finished:
 *   next person" itself, so the kiosk starts again, fresh and anonymous, for the next person.
 *   Ballots already sent stay counted; a choice not yet sent is dropped.
 * - A facilitator who stops the kiosks: the server's `kiosk_stopped` event reloads the page,
 *   which then says the kiosk was stopped (web/participant/views.py).
 * DOM: textContent only.
 */
(function () {
  "use strict";

  var form = document.getElementById("kiosk-next");
  var dialog = document.getElementById("kiosk-idle");
  if (!form || !dialog) return;
  var idleMs = Math.max(5, parseInt(form.getAttribute("data-idle"), 10) || 90) * 1000;
  var promptSeconds = Math.max(5, parseInt(form.getAttribute("data-prompt"), 10) || 20);
  var left = document.getElementById("kiosk-idle-left");
  var stay = document.getElementById("kiosk-stay");
  var idleTimer = null;
  var tick = null;
  var remaining = 0;
  var leaving = false;

  function restart() {
    form.submit();  // POST /j/CODE/next with its CSRF token: the server forgets this resident
  }

  function ask() {
    remaining = promptSeconds;
    left.textContent = String(remaining);
    dialog.hidden = false;
    stay.focus();
    tick = window.setInterval(function () {
      remaining -= 1;
      left.textContent = String(Math.max(remaining, 0));
      if (remaining <= 0 && !leaving) {
        leaving = true;
        window.clearInterval(tick);
        restart();
      }
    }, 1000);
  }

  function touched() {
    if (leaving) return;
    if (!dialog.hidden) return;  // only the dialog's button answers the question
    window.clearTimeout(idleTimer);
    idleTimer = window.setTimeout(ask, idleMs);
  }

  stay.addEventListener("click", function () {
    window.clearInterval(tick);
    dialog.hidden = true;
    touched();
  });
  ["pointerdown", "keydown", "input", "scroll", "touchstart"].forEach(function (name) {
    window.addEventListener(name, touched, { passive: true, capture: true });
  });
  touched();

  var live = window.ruamkit && window.ruamkit.socket;
  if (live) {
    live.on("kiosk_stopped", function () {
      leaving = true;
      window.location.reload();
    });
  }
}());
