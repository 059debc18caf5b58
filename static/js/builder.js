/* RuamKit builder pages: small conveniences over forms that work without JavaScript.
 *
 * (A Remove button's data-confirm question is asked by console.js, on every console page.)
 * - After a builder form (form[data-builder]) is sent, the page that comes back opens
 *   where the facilitator was (not at the section's top): moving a row up or down, adding
 *   an item or fixing a text keeps it in view. The position is kept in sessionStorage
 *   for the next load of the same address only.
 */
(function () {
  "use strict";

  var KEY = "ruamkit.builder.scroll";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-builder]") || event.defaultPrevented) return;
    try {
      sessionStorage.setItem(KEY, JSON.stringify({ path: location.pathname, y: window.scrollY }));
    } catch (e) { /* storage off: the page opens at its anchor */ }
  });

  var kept = null;
  try {
    kept = JSON.parse(sessionStorage.getItem(KEY) || "null");
    sessionStorage.removeItem(KEY);
  } catch (e) { kept = null; }
  // A page with an error summary focuses it instead (console.js); another page opens at its top.
  if (kept && kept.path === location.pathname && !document.querySelector("[data-autofocus]")) {
    window.addEventListener("load", function () { window.scrollTo(0, kept.y || 0); });
  }
}());
