// The calendar pages (reminders/templates/reminders/calendar/): progressive help, none needed.
// - [data-copy]: copies the feed address and says so in the status line.
// - [data-calendar-grid]: arrow keys move between the day links (Left/Right a day, Up/Down a week).
// - the import form: a file over the size limit is refused before it is uploaded.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field) return;
    field.select();
    var status = document.querySelector("[data-copy-status]");
    var done = function () {
      if (status) status.textContent = button.getAttribute("data-copied");
      button.textContent = button.getAttribute("data-copied");
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {});
    } else {
      done();
    }
  });

  document.addEventListener("keydown", function (event) {
    var link = event.target.closest && event.target.closest("[data-calendar-grid] .cal-day-link");
    if (!link || event.altKey || event.ctrlKey || event.metaKey) return;
    var steps = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 }[event.key];
    if (!steps) return;
    var links = Array.prototype.slice.call(link.closest("[data-calendar-grid]").querySelectorAll(".cal-day-link"));
    var next = links[links.indexOf(link) + steps];
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("form[data-max-bytes] input[type=file]")) return;
    var form = input.form;
    var limit = parseInt(form.getAttribute("data-max-bytes"), 10);
    var file = input.files && input.files[0];
    input.setCustomValidity(file && file.size > limit ? form.getAttribute("data-too-large") : "");
    input.reportValidity();
  });
})();
