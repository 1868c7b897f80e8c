/* The part of jQuery UI's tabs that modeltranslation's tabbed_translation_fields.js calls, served
   from this site: its default loads jQuery UI from a CDN, which the Content-Security-Policy blocks.
   Supported: $(el).tabs({active: n}), $(el).tabs("option", "active", n), the "tabsactivate" event. */
(function ($) {
  "use strict";
  function show($container, index) {
    var $items = $container.children("ul").first().children("li");
    var $panels = $container.children("div");
    if (!(index >= 0 && index < $items.length)) { index = 0; }
    $items.removeClass("ui-tabs-active ui-state-active").attr("aria-selected", "false");
    $items.eq(index).addClass("ui-tabs-active ui-state-active").attr("aria-selected", "true");
    $panels.hide().attr("aria-hidden", "true");
    $panels.eq(index).show().attr("aria-hidden", "false");
    $container.data("mtActive", index);
    $container.trigger("tabsactivate", [{ newTab: $items.eq(index), newPanel: $panels.eq(index) }]);
  }
  $.fn.tabs = function (options, name, value) {
    return this.each(function () {
      var $container = $(this);
      if (options === "option") {
        if (name === "active") { show($container, value); }
        return;
      }
      $container.addClass("ui-tabs");
      $container.children("ul").first().addClass("ui-tabs-nav").attr("role", "tablist");
      $container.children("div").addClass("ui-tabs-panel").attr("role", "tabpanel");
      $container.children("ul").first().children("li").each(function (index) {
        $(this).attr("role", "tab").find("a").on("click", function (event) {
          event.preventDefault();
          show($container, index);
        });
      });
      show($container, (options && options.active) || 0);
    });
  };
})(window.jQuery || django.jQuery);
