// The new API key's panel on Security & Keys (shown once, after the create form's redirect): take
// focus so it is announced, and offer a Copy button. Without JavaScript the read-only field can still
// be selected and copied. The button carries its translated messages in data attributes.
(function () {
  "use strict";

  function setup() {
    var heading = document.getElementById("new-api-key-heading");
    if (heading) heading.focus();
    var button = document.querySelector("#new-api-key [data-copy]");
    var field = button && document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById("new-api-key-status");
    if (!button || !field || !status || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(
        function () {
          status.textContent = button.getAttribute("data-copied");
        },
        function () {
          field.select();
          status.textContent = button.getAttribute("data-copy-failed");
        }
      );
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setup);
  else setup();
})();
