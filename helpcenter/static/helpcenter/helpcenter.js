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

// Escape closes the answers shown as you type, from the box or from one of its links, and puts the
// focus back in the box (where a second Escape clears it, as any search box does).
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || !event.target.closest) return;
    var form = event.target.closest("form.help-search");
    var list = form && form.querySelector("#help-suggestions");
    if (!list || !list.firstElementChild) return;
    list.replaceChildren();
    event.preventDefault();
    form.querySelector("input[type=search]").focus();
  });
})();
