// The help pages: htmx swaps no 4xx answer by default, but "Was this helpful?" answers a bad comment
// (400) or too many in a minute (429) with the box and its message, so within [data-helpcenter]
// those answers are swapped like any other (as reminders.js does for its pages).
(function () {
  "use strict";
  var SHOWN = { 400: true, 429: true };

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    var elt = detail.requestConfig && detail.requestConfig.elt;
    if (!elt || !elt.closest || !elt.closest("[data-helpcenter]")) return;
    if (SHOWN[detail.xhr.status]) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });
})();
