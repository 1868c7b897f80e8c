// The bell (reminders/notifications/_bell.html) on top of its native <details>: Escape closes it and
// gives focus back to the bell, a click outside closes it; after "Mark all as read" replaces the
// panel, focus goes to the panel's heading rather than being lost with the button. Opening it fires
// "bell-opened" on the panel, which (hx-trigger) loads the newest notifications; closing it loads nothing.
(function () {
  "use strict";
  function setup() {
    var details = document.getElementById("bell-details");
    if (!details) return;
    details.addEventListener("toggle", function () {
      var panel = document.getElementById("bell-panel");
      if (details.open && panel && window.htmx) window.htmx.trigger(panel, "bell-opened");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && details.open) {
        details.open = false;
        var button = document.getElementById("bell-button");
        if (button) button.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (details.open && !details.contains(event.target)) details.open = false;
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      var panel = document.getElementById("bell-panel");
      if (event.detail.target !== panel) return;
      var active = document.activeElement;
      if (!active || active === document.body || !active.isConnected) {
        var title = document.getElementById("bell-panel-title");
        if (title) title.focus();
      }
    });
  }
  document.addEventListener("DOMContentLoaded", setup);
})();
