// The app shell's small conveniences on top of plain HTML that works without JavaScript:
// the profile menu (a native <details>) closes on Escape, returning focus to its button,
// and on a click outside it.
(function () {
  "use strict";

  function setupProfileMenu() {
    var details = document.getElementById("profile-details");
    if (!details) return;
    var summary = details.querySelector("summary");
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && details.open) {
        details.open = false;
        summary.focus();
      }
    });
    document.addEventListener("click", function (event) {
      if (details.open && !details.contains(event.target)) details.open = false;
    });
  }

  document.addEventListener("DOMContentLoaded", setupProfileMenu);
})();
