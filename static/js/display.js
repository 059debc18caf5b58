/* Large text and high contrast on the resident pages, remembered on this phone.
   Buttons marked data-display="text-large" / "contrast-high" toggle a class on <html>. */
(function () {
  "use strict";
  var KEY = "ruamkit.display";
  var root = document.documentElement;
  var chosen = [];
  try { chosen = JSON.parse(window.localStorage.getItem(KEY) || "[]") || []; } catch (e) { chosen = []; }

  function apply() {
    ["text-large", "contrast-high"].forEach(function (name) {
      var on = chosen.indexOf(name) !== -1;
      root.classList.toggle(name, on);
      Array.prototype.forEach.call(document.querySelectorAll("[data-display='" + name + "']"), function (b) {
        b.setAttribute("aria-pressed", on ? "true" : "false");
      });
    });
  }

  apply();
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-display]"), function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var name = button.getAttribute("data-display");
        var at = chosen.indexOf(name);
        if (at === -1) { chosen.push(name); } else { chosen.splice(at, 1); }
        try { window.localStorage.setItem(KEY, JSON.stringify(chosen)); } catch (e) { /* private mode */ }
        apply();
      });
    });
    apply();
  });
}());
