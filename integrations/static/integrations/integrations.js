// Connect and edit forms: a field that applies to one choice of another (a custom API's header name,
// only for header auth) is shown only for that choice. Without JavaScript every field is shown, and
// the server ignores the ones that don't apply.
(function () {
  "use strict";
  function update(form) {
    form.querySelectorAll("[data-depends-on]").forEach(function (input) {
      var source = form.elements.namedItem(input.getAttribute("data-depends-on"));
      var wanted = (input.getAttribute("data-when") || "").split(" ");
      var field = input.closest(".int-field");
      if (!source || !field) return;
      field.hidden = wanted.indexOf(source.value) === -1;
    });
  }
  function start() {
    document.querySelectorAll("[data-integration-form]").forEach(function (form) {
      update(form);
      form.addEventListener("change", function () { update(form); });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
