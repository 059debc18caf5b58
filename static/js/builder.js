/* RuamKit builder pages: small conveniences over forms that work without JavaScript.
 *
 * - A Remove button asks first (its data-confirm text, in the page's language).
 * - A move up/down keeps the row in view: the page comes back at the same place
 *   (the position is kept in sessionStorage for the next load of this address).
 */
(function () {
  "use strict";

  var KEY = "ruamkit.builder.scroll:" + location.pathname;

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-confirm]") : null;
    if (button && !window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
  });

  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var action = submitter && submitter.value ? submitter.value : "";
    if (/^(item-)?(up|down):/.test(action)) {
      try { sessionStorage.setItem(KEY, String(window.scrollY)); } catch (e) { /* private mode */ }
    }
  });

  var kept = null;
  try { kept = sessionStorage.getItem(KEY); sessionStorage.removeItem(KEY); } catch (e) { kept = null; }
  if (kept !== null && !document.querySelector("[data-autofocus]")) {
    window.addEventListener("load", function () { window.scrollTo(0, parseInt(kept, 10) || 0); });
  }
}());
