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

// Behavior & Personality: picking a preset card fills the fields it sets (its data attributes), and
// the custom instructions' counter follows what is typed, turning to an error style over the limit.
(function () {
  "use strict";

  var PRESET_FIELDS = {
    responseStyle: "response_style",
    codePreference: "code_preference",
    communicationTone: "communication_tone"
  };

  function setupPresetCards() {
    var form = document.querySelector("[data-behavior-form]");
    if (!form) return;
    // The fields on the page are what gets saved: the server need not fill them from the preset.
    var fill = form.querySelector("input[name='preset_fill']");
    if (fill) fill.value = "client";
    form.querySelectorAll("input[name='preset']").forEach(function (radio) {
      // On the radio itself, so the fields are filled before the change reaches the form (and htmx).
      radio.addEventListener("change", function () {
        if (!radio.checked) return;
        Object.keys(PRESET_FIELDS).forEach(function (key) {
          var value = radio.dataset[key];
          var field = form.elements.namedItem(PRESET_FIELDS[key]);
          if (value && field) field.value = value;
        });
      });
    });
  }

  function setupCharCounters() {
    document.querySelectorAll("textarea[data-char-limit]").forEach(function (textarea) {
      var limit = parseInt(textarea.dataset.charLimit, 10);
      var counter = document.getElementById(textarea.dataset.counter);
      var status = document.getElementById(textarea.dataset.counterStatus);
      if (!counter || !limit) return;
      var count = counter.querySelector("[data-count]");
      var over = counter.querySelector("[data-over]");
      // Grouped like the server's numbers (Spanish CLDR leaves 4-digit numbers ungrouped: "4000").
      var format = new Intl.NumberFormat(document.documentElement.lang || undefined, { useGrouping: "always" });
      var timer = null;
      function length() {
        // The server counts one character per line break (browsers post them as CR LF).
        return textarea.value.replace(/\r\n?/g, "\n").trim().length;
      }
      function update(announce) {
        var n = length();
        var excess = Math.max(0, n - limit);
        count.textContent = format.format(n) + " / " + format.format(limit);
        over.textContent = excess ? " \u00b7 " + textarea.dataset.overText.replace("__OVER__", format.format(excess)) : "";
        counter.classList.toggle("is-over", excess > 0);
        textarea.classList.toggle("is-over", excess > 0);
        // Screen readers hear the count once typing pauses, not at every key.
        clearTimeout(timer);
        if (announce === false) return;
        timer = setTimeout(function () {
          if (!status) return;
          var text = textarea.dataset.statusText
            .replace("__COUNT__", format.format(n))
            .replace("__LIMIT__", format.format(limit));
          if (excess) text += ". " + textarea.dataset.overText.replace("__OVER__", format.format(excess));
          status.textContent = text;
        }, 700);
      }
      textarea.addEventListener("input", update);
      update(false);
    });
  }

  document.addEventListener("DOMContentLoaded", setupPresetCards);
  document.addEventListener("DOMContentLoaded", setupCharCounters);

  // A form with data-confirm="Question?" asks before it is sent (an onsubmit attribute would be
  // inline script, which the Content-Security-Policy refuses). Listening in the capture phase on the
  // document runs before any listener of the form's own, so a "Cancel" stops them too.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
    if (!window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
