// The split-screen side panel: code, diffs, JSON, images and files from Javari's replies.
//
// DOM contract with the chat page
// - <div class="chat-layout" data-sidebar-default="open|closed"> holds <section class="chat-main"> (the
//   conversation) and the partial chat/_sidebar.html, <aside class="sidebar" id="sidebar">. The default is
//   the user's sidebar_default_open preference; it applies on a wide screen only (a phone starts closed,
//   as the open panel covers the conversation there). sidebar.css lays the two out.
// - The panel's state is <aside data-state="open|closed">; CSS animates on it. Don't set it yourself: use the API.
// - Any [data-sidebar-toggle] element toggles the panel; this script keeps its aria-expanded and
//   aria-controls="sidebar" right. [data-sidebar-close] (the panel's × button) closes it. Escape closes
//   it too, unless the key was meant for an open <dialog> or a menu (<details open>) outside the panel.
// - Focus: opening by a click or a key moves focus to the panel's heading; closing gives it back to the
//   element that opened the panel if focus was inside the panel. A narrow screen keeps Tab inside the panel.
// - A message carries its artifacts as JSON, the list javari.markdown.extract_artifacts returns:
//   <… class="message" data-artifacts='[{"kind": "code", …}, …]'> (any element with data-artifacts);
//   a click on [data-open-artifact="i"] inside it shows that message's artifacts with artifact i selected.
// - An artifact is {kind: "code"|"diff"|"json"|"image"|"file", title, language, content, html, toolbar,
//   lines, auto_open}. The server renders the panel's view of code, diffs and JSON (javari/panel.py):
//   `html` is the body (highlighted code, a diff's two tables, a JSON tree) and `toolbar` its buttons;
//   both are inserted as HTML, so they must be the server's escaped output from extract_artifacts,
//   nothing else. This script keeps only state: the tab, the diff view (split/unified, remembered), which
//   JSON nodes are open, focus. An artifact without `html` (one given through the JS API) is shown as
//   text; image and file addresses must be http(s) or site-relative ("/media/…") or they are not used.
// - Translated strings come from the aside's data-text-* attributes (rendered by the partial).
//
// JS API (for chat.js):
//   JavariSidebar.show(artifact, options)              one artifact
//   JavariSidebar.showAll(artifacts, index, options)   a message's artifacts as tabs, `index` selected
//   JavariSidebar.open(options) / .close() / .toggle() / .isOpen()
//   JavariSidebar.autoOpen(artifacts)  when a reply finishes: shows the first artifact with auto_open true,
//       without taking focus. On a narrow screen it loads it but leaves the conversation visible and marks
//       the toggle ([data-sidebar-new]) instead of covering the reply just received. Returns true if it opened.
//   options: {focus: false} opens without moving focus; {opener: element} is where focus returns on close;
//   {open: false} loads the panel without opening it.
//
// Needs codeblocks.js (window.JavariCopy) for its Copy buttons.
(function () {
  "use strict";

  var NARROW = window.matchMedia("(max-width: 899.98px)");
  var DIFF_VIEW_KEY = "javari.sidebar.diffView"; // "split" | "unified", kept in localStorage
  var FOCUSABLE = "a[href], button:not([disabled]), summary, [tabindex]:not([tabindex='-1']), input, select, textarea";

  var current = { artifacts: [], index: 0 };
  var opener = null;
  var parsed = new WeakMap(); // message element -> {source, artifacts}

  function panel() { return document.getElementById("sidebar"); }

  function text(name, replacements) {
    var node = panel();
    var value = (node && node.getAttribute("data-text-" + name)) || "";
    Object.keys(replacements || {}).forEach(function (key) {
      value = value.replace("__" + key + "__", replacements[key]);
    });
    return value;
  }

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined && content !== null) node.textContent = String(content);
    return node;
  }

  function isSafeUrl(url) {
    url = String(url || "").trim();
    if (/^\/(?![\/\\])/.test(url)) return true;
    return /^https?:\/\/[^\/\\\s]/i.test(url);
  }

  // The view last picked; before any pick, side by side where there is room for two columns.
  function storedDiffView() {
    var stored = null;
    try {
      stored = window.localStorage.getItem(DIFF_VIEW_KEY);
    } catch (error) { /* storage can be disabled */ }
    if (stored === "split" || stored === "unified") return stored;
    return NARROW.matches ? "unified" : "split";
  }

  function storeDiffView(view) {
    try {
      window.localStorage.setItem(DIFF_VIEW_KEY, view);
    } catch (error) { /* not remembered: fine */ }
  }

  // Status messages for screen readers live outside the aside: a closed panel is hidden, and so would be they.
  function announce(message) {
    window.JavariCopy.announce(message); // codeblocks.js keeps the page's one polite live region
  }

  // Open and close

  function isOpen() {
    var node = panel();
    return !!node && node.getAttribute("data-state") === "open";
  }

  function syncControls() {
    var open = isOpen();
    document.querySelectorAll("[data-sidebar-toggle]").forEach(function (toggle) {
      toggle.setAttribute("aria-expanded", String(open));
      toggle.setAttribute("aria-controls", "sidebar");
      if (open) toggle.removeAttribute("data-sidebar-new");
    });
    // A phone: the open panel covers the page, which must not scroll underneath.
    document.documentElement.classList.toggle("sidebar-covers-page", open && NARROW.matches);
  }

  function setState(open) {
    var node = panel();
    if (!node) return;
    node.setAttribute("data-state", open ? "open" : "closed");
    syncControls();
  }

  function focusHeading() {
    var heading = document.getElementById("sidebar-title");
    if (heading) heading.focus({ preventScroll: true });
  }

  function open(options) {
    options = options || {};
    var node = panel();
    if (!node) return;
    if (!isOpen()) {
      var active = document.activeElement;
      opener = options.opener || (active && active !== document.body && !node.contains(active) ? active : null);
      setState(true);
    } else if (options.opener) {
      opener = options.opener;
    }
    if (options.focus !== false) focusHeading();
  }

  function close() {
    var node = panel();
    if (!node || !isOpen()) return;
    var focusWasInside = node.contains(document.activeElement);
    setState(false);
    var target = opener && opener.isConnected ? opener : document.querySelector("[data-sidebar-toggle]");
    opener = null;
    if (focusWasInside && target) target.focus({ preventScroll: true });
  }

  function toggle(options) {
    if (isOpen()) close();
    else open(options);
  }

  // What the panel shows

  function isArtifact(artifact) {
    return !!artifact && typeof artifact === "object" && typeof artifact.kind === "string";
  }

  function showAll(artifacts, index, options) {
    options = options || {};
    artifacts = (Array.isArray(artifacts) ? artifacts : []).filter(isArtifact);
    if (!artifacts.length) return;
    current = { artifacts: artifacts, index: Math.min(Math.max(parseInt(index, 10) || 0, 0), artifacts.length - 1) };
    render();
    if (options.open !== false) open(options);
  }

  function show(artifact, options) {
    showAll([artifact], 0, options);
  }

  function autoOpen(artifacts) {
    if (!Array.isArray(artifacts)) return false;
    var index = -1;
    for (var i = 0; i < artifacts.length; i += 1) {
      if (isArtifact(artifacts[i]) && artifacts[i].auto_open) { index = i; break; }
    }
    if (index < 0) return false;
    var title = String(artifacts[index].title || "");
    if (NARROW.matches && !isOpen()) {
      showAll(artifacts, index, { open: false });
      document.querySelectorAll("[data-sidebar-toggle]").forEach(function (t) { t.setAttribute("data-sidebar-new", ""); });
      announce(text("ready", { TITLE: title }));
      return false;
    }
    var wasOpen = isOpen();
    showAll(artifacts, index, { focus: false });
    if (!wasOpen) announce(text("opened", { TITLE: title }));
    return true;
  }

  function render() {
    var node = panel();
    if (!node) return;
    var artifact = current.artifacts[current.index];
    var heading = document.getElementById("sidebar-title");
    var tabs = node.querySelector(".sidebar__tabs");
    var toolbar = node.querySelector(".sidebar__toolbar");
    var body = node.querySelector(".sidebar__body");
    heading.textContent = artifact ? String(artifact.title || "") || text("heading") : text("heading");
    renderTabs(tabs, body);
    toolbar.replaceChildren();
    body.replaceChildren();
    body.scrollTop = 0;
    if (!artifact) return;
    if (artifact.kind !== "image" && artifact.kind !== "file" && typeof artifact.html === "string" && artifact.html) {
      // Rendered and escaped by the server (javari/panel.py): this script only inserts it.
      toolbar.innerHTML = typeof artifact.toolbar === "string" ? artifact.toolbar : "";
      body.innerHTML = artifact.html;
      setDiffView(storedDiffView());
    } else {
      var view = { image: renderImage, file: renderFile }[artifact.kind] || renderText;
      view(artifact, toolbar, body);
    }
    toolbar.hidden = !toolbar.childElementCount;
  }

  function renderTabs(tabs, body) {
    tabs.replaceChildren();
    var several = current.artifacts.length > 1;
    tabs.hidden = !several;
    if (!several) {
      body.removeAttribute("role");
      body.removeAttribute("aria-labelledby");
      return;
    }
    current.artifacts.forEach(function (artifact, i) {
      var tab = el("button", "sidebar__tab", artifact.title || artifact.kind);
      var selected = i === current.index;
      tab.type = "button";
      tab.id = "sidebar-tab-" + i;
      tab.title = String(artifact.title || "");
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-selected", String(selected));
      tab.setAttribute("aria-controls", "sidebar-body");
      tab.tabIndex = selected ? 0 : -1;
      tab.setAttribute("data-sidebar-tab", String(i));
      tabs.appendChild(tab);
    });
    body.setAttribute("role", "tabpanel");
    body.setAttribute("aria-labelledby", "sidebar-tab-" + current.index);
    // The selected tab in view in the strip (scrolled by hand: scrollIntoView could scroll the page too).
    var strip = tabs.getBoundingClientRect();
    var selected = tabs.children[current.index].getBoundingClientRect();
    if (selected.left < strip.left) tabs.scrollLeft -= strip.left - selected.left + 12;
    else if (selected.right > strip.right) tabs.scrollLeft += selected.right - strip.right + 12;
  }

  function selectTab(index, focus) {
    var count = current.artifacts.length;
    current.index = (index + count) % count;
    render();
    if (focus) {
      var tab = document.getElementById("sidebar-tab-" + current.index);
      if (tab) tab.focus();
    }
  }

  // State of the server's views: which diff table shows (CSS reads data-view), which JSON nodes are open.

  function setDiffView(view) {
    var node = panel();
    var holder = node && node.querySelector(".sidebar__diff");
    if (!holder) return;
    holder.setAttribute("data-view", view);
    node.querySelectorAll("[data-diff-view]").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.getAttribute("data-diff-view") === view));
    });
  }

  function foldJson(open) {
    var tree = panel().querySelector(".json-tree");
    if (!tree) return;
    // Collapsing keeps the top level open: collapsed, the document would be one line saying how big it is.
    tree.querySelectorAll("details").forEach(function (d, i) { d.open = open || i === 0; });
  }

  function copyCurrent(button) {
    var artifact = current.artifacts[current.index];
    if (!window.JavariCopy || !artifact) return;
    window.JavariCopy.text(String(artifact.content || "")).then(function () {
      window.JavariCopy.flash(button, text("copied"));
    }, function () {});
  }

  // Artifacts given through the JS API without the server's view: text, an image, a file link.

  function copyButton() {
    var button = el("button", "button button-ghost button-small sidebar__copy", text("copy"));
    button.type = "button";
    button.setAttribute("data-sidebar-copy", "");
    return button;
  }

  function renderText(artifact, toolbar, body) {
    var source = String(artifact.content || "");
    toolbar.appendChild(copyButton());
    if (artifact.kind === "json") {
      try {
        JSON.parse(source);
      } catch (error) {
        body.appendChild(el("p", "sidebar__notice", text("invalid-json")));
      }
    }
    var pre = el("pre", "highlight sidebar__code");
    pre.tabIndex = 0;
    pre.appendChild(el("code", null, source));
    body.appendChild(pre);
  }

  function renderImage(artifact, toolbar, body) {
    var src = String(artifact.content || "");
    if (!isSafeUrl(src)) return;
    var link = el("a", "button button-ghost button-small", text("open-image"));
    link.href = src;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    toolbar.appendChild(link);
    var figure = el("figure", "sidebar__figure");
    var image = el("img");
    image.src = src;
    image.alt = String(artifact.title || "");
    image.loading = "lazy";
    image.decoding = "async";
    figure.appendChild(image);
    body.appendChild(figure);
  }

  function renderFile(artifact, toolbar, body) {
    var url = String(artifact.content || "");
    var name = String(artifact.title || url);
    var line = el("p", "sidebar__file");
    if (isSafeUrl(url)) {
      var link = el("a", null, name);
      link.href = url;
      link.title = text("open-file");
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      line.appendChild(link);
    } else {
      line.textContent = name;
    }
    body.appendChild(line);
  }

  // Messages

  function artifactsOf(message) {
    var source = message.getAttribute("data-artifacts") || "[]";
    var cached = parsed.get(message);
    if (cached && cached.source === source) return cached.artifacts;
    var artifacts = [];
    try {
      artifacts = JSON.parse(source);
    } catch (error) {
      artifacts = [];
    }
    if (!Array.isArray(artifacts)) artifacts = [];
    parsed.set(message, { source: source, artifacts: artifacts });
    return artifacts;
  }

  // Events, all delegated: messages and toggles may be streamed in or swapped by htmx, the toolbar re-rendered.

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target || !target.closest) return;
    var toggleButton = target.closest("[data-sidebar-toggle]");
    if (toggleButton) {
      toggle({ opener: toggleButton });
      return;
    }
    if (target.closest("[data-sidebar-close]")) {
      close();
      return;
    }
    var node = panel();
    var inPanel = node && node.contains(target);
    var tab = target.closest("[data-sidebar-tab]");
    if (tab) {
      selectTab(parseInt(tab.getAttribute("data-sidebar-tab"), 10), true);
      return;
    }
    if (inPanel) {
      var copy = target.closest("[data-sidebar-copy]");
      if (copy) { copyCurrent(copy); return; }
      var viewButton = target.closest("[data-diff-view]");
      if (viewButton) {
        var view = viewButton.getAttribute("data-diff-view") === "unified" ? "unified" : "split";
        storeDiffView(view);
        setDiffView(view);
        return;
      }
      if (target.closest("[data-json-expand]")) { foldJson(true); return; }
      if (target.closest("[data-json-collapse]")) { foldJson(false); return; }
    }
    var trigger = target.closest("[data-open-artifact]");
    var message = trigger && trigger.closest("[data-artifacts]");
    if (!message) return;
    var artifacts = artifactsOf(message);
    var index = parseInt(trigger.getAttribute("data-open-artifact"), 10);
    if (!isArtifact(artifacts[index])) return;
    showAll(artifacts, index, { opener: trigger });
  });

  document.addEventListener("keydown", function (event) {
    var node = panel();
    if (!node || !isOpen()) return;
    if (event.key === "Escape") {
      if (event.defaultPrevented) return;
      var target = event.target;
      var elsewhere = target && target.closest && target.closest("dialog[open], details[open]");
      if (elsewhere && !node.contains(elsewhere)) return; // the dialog's or the menu's own Escape
      event.preventDefault();
      close();
      return;
    }
    var tab = event.target.closest && event.target.closest("[data-sidebar-tab]");
    if (tab && /^(ArrowLeft|ArrowRight|Home|End)$/.test(event.key)) {
      event.preventDefault();
      var last = current.artifacts.length - 1;
      var next = { ArrowLeft: current.index - 1, ArrowRight: current.index + 1, Home: 0, End: last }[event.key];
      selectTab(next, true);
      return;
    }
    if (event.key === "Tab" && NARROW.matches) trapFocus(event, node);
  });

  // On a narrow screen the open panel covers the page: Tab cycles inside it.
  function trapFocus(event, node) {
    var items = Array.prototype.filter.call(node.querySelectorAll(FOCUSABLE), function (item) {
      return item.getClientRects().length > 0;
    });
    if (!items.length) return;
    var first = items[0];
    var last = items[items.length - 1];
    var active = document.activeElement;
    if (!node.contains(active)) {
      event.preventDefault();
      first.focus();
    } else if (event.shiftKey && (active === first || active === document.getElementById("sidebar-title"))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && active === last) {
      event.preventDefault();
      first.focus();
    }
  }

  function init() {
    var node = panel();
    if (!node || node.hasAttribute("data-ready")) return;
    document.documentElement.classList.add("has-sidebar");
    var layout = node.closest(".chat-layout");
    // The latest reply's artifacts are there when the panel opens, so it is not empty on a page reload.
    var messages = document.querySelectorAll("[data-artifacts]");
    if (messages.length) {
      var artifacts = artifactsOf(messages[messages.length - 1]).filter(isArtifact);
      var first = 0;
      for (var i = 0; i < artifacts.length; i += 1) {
        if (artifacts[i].auto_open) { first = i; break; }
      }
      if (artifacts.length) showAll(artifacts, first, { open: false });
    }
    var openByDefault = !!layout && layout.getAttribute("data-sidebar-default") === "open" && !NARROW.matches;
    node.setAttribute("data-state", openByDefault ? "open" : "closed");
    node.setAttribute("data-ready", "");
    syncControls();
  }

  NARROW.addEventListener("change", syncControls);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();

  window.JavariSidebar = {
    show: show,
    showAll: showAll,
    open: open,
    close: close,
    toggle: toggle,
    isOpen: isOpen,
    autoOpen: autoOpen
  };
})();
