// The reminders pages: htmx swaps no 4xx answer by default, but these pages answer a refused quick
// action (409: already completed) or a schedule the preview can't use (400) with the message to
// show, so within [data-reminders] those answers are swapped like any other (the action's own
// answer says HX-Reswap: none and carries the message out of band).
(function () {
  "use strict";
  var SHOWN = { 400: true, 404: true, 409: true };

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var elt = detail.requestConfig && detail.requestConfig.elt;
    if (!elt || !elt.closest || !elt.closest("[data-reminders]")) return;
    if (SHOWN[detail.xhr.status]) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });
})();
