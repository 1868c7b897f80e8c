// The app shell's small conveniences on top of plain HTML that works without JavaScript:
// the profile menu (a native <details>) closes on Escape, returning focus to its button,
// and on a click outside it; the modal dialog htmx fills; the credits bar's announcements.
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

  // The modal: one <dialog id="modal"> whose content htmx loads (hx-target="#modal"). It opens when
  // the content arrives, its title takes focus; Escape (native), its close button or a click on the
  // backdrop close it, and focus goes back to what opened it (found again by id if htmx replaced it).
  function setupModal() {
    var dialog = document.getElementById("modal");
    if (!dialog) return;
    var opener = null;
    document.body.addEventListener("htmx:beforeRequest", function (event) {
      if (event.detail.target === dialog && !dialog.open) opener = event.detail.elt;
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target !== dialog) return;
      if (!dialog.open) dialog.showModal();
      var title = dialog.querySelector("#modal-title");
      if (title) title.focus();
    });
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close();
    });
    dialog.addEventListener("close", function () {
      var target = opener;
      if (target && !target.isConnected) target = target.id ? document.getElementById(target.id) : null;
      opener = null;
      if (target) target.focus();
    });
  }

  // The credits bar is swapped whole when credits change; a separate polite live region
  // (#credits-status) says the new balance, once per change.
  function setupCreditsAnnouncer() {
    var status = document.getElementById("credits-status");
    var bar = document.getElementById("credits-bar");
    if (!status || !bar) return;
    var last = bar.getAttribute("data-announcement");
    document.body.addEventListener("htmx:afterSettle", function () {
      var current = document.getElementById("credits-bar");
      var text = current && current.getAttribute("data-announcement");
      if (text && text !== last) {
        status.textContent = text;
        last = text;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", setupProfileMenu);
  document.addEventListener("DOMContentLoaded", setupModal);
  document.addEventListener("DOMContentLoaded", setupCreditsAnnouncer);
})();
