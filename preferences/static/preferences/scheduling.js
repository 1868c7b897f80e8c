// Calendar & Scheduling: "Also move my reminders…" matters only when the time zone changes, so it is
// shown once another zone is picked (without JavaScript it is always there).
(function () {
  "use strict";
  function setup() {
    var form = document.querySelector("[data-scheduling-form]");
    if (!form) return;
    var select = form.querySelector("select[name='time_zone']");
    var row = document.getElementById("move-reminders-row");
    if (!select || !row) return;
    var saved = select.getAttribute("data-saved");
    function update() {
      var changed = select.value !== saved;
      row.hidden = !changed;
      if (!changed) row.querySelector("input").checked = false;
    }
    select.addEventListener("change", update);
    update();
  }
  document.addEventListener("DOMContentLoaded", setup);
})();
