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
// - An artifact is {kind: "code"|"diff"|"json"|"image"|"file", title, language, content, html, lines,
//   auto_open}. `html` (code and diff) is inserted as HTML: it must be the server's sanitised output from
//   extract_artifacts, nothing else. Everything else goes in with textContent; image and file addresses
//   must be http(s) or site-relative ("/media/…") or they are not used.
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
  var JSON_OPEN_DEPTH = 2; // levels of a JSON document open at first
  var JSON_MAX_NODES = 5000; // past this, a JSON document is shown as text: the DOM would be too heavy
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
    var view = { code: renderCode, diff: renderDiff, json: renderJson, image: renderImage, file: renderFile }[artifact.kind] || renderCode;
    view(artifact, toolbar, body);
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

  function copyButton(getText) {
    var button = el("button", "button button-ghost button-small sidebar__copy", text("copy"));
    button.type = "button";
    button.addEventListener("click", function () {
      if (!window.JavariCopy) return;
      window.JavariCopy.text(getText()).then(function () { window.JavariCopy.flash(button, text("copied")); }, function () {});
    });
    return button;
  }

  function meta(artifact) {
    var parts = [];
    if (artifact.language) parts.push(String(artifact.language));
    return el("span", "sidebar__meta", parts.join(" · "));
  }

  // Code: the server's highlighted (sanitised) HTML, or the plain text if there is none.
  function renderCode(artifact, toolbar, body) {
    toolbar.append(meta(artifact), copyButton(function () { return String(artifact.content || ""); }));
    body.appendChild(codeBlock(artifact));
  }

  function codeBlock(artifact) {
    var pre = el("pre", "highlight sidebar__code");
    var code = el("code");
    if (artifact.html) code.innerHTML = artifact.html; // sanitised by javari/markdown.py (nh3)
    else code.textContent = String(artifact.content || "");
    pre.tabIndex = 0;
    pre.appendChild(code);
    return pre;
  }

  // Diffs: a unified diff parsed into files, hunks and rows, shown side by side or unified.

  function parseDiff(source) {
    var lines = String(source || "").replace(/\r\n?/g, "\n").split("\n");
    if (lines.length && lines[lines.length - 1] === "") lines.pop();
    var files = [];
    var file = null;
    var hunk = null;
    var oldLeft = 0;
    var newLeft = 0;
    var oldName = "";

    function startFile(name) {
      file = { name: name, hunks: [] };
      files.push(file);
      hunk = null;
    }
    function cleanName(name) {
      name = name.split("\t")[0].trim();
      return name.replace(/^[ab]\//, "");
    }

    lines.forEach(function (line) {
      var inHunk = hunk && (oldLeft > 0 || newLeft > 0);
      if (inHunk) {
        var sign = line.charAt(0);
        if (sign === "-") { hunk.rows.push({ type: "del", old: hunk.oldNo++, text: line.slice(1) }); oldLeft -= 1; return; }
        if (sign === "+") { hunk.rows.push({ type: "add", new: hunk.newNo++, text: line.slice(1) }); newLeft -= 1; return; }
        if (sign === " " || line === "") {
          hunk.rows.push({ type: "ctx", old: hunk.oldNo++, new: hunk.newNo++, text: line.slice(1) });
          oldLeft -= 1;
          newLeft -= 1;
          return;
        }
        if (sign === "\\") { hunk.rows.push({ type: "note", text: line }); return; }
        if (!hunk.numbered && !/^(@@|diff --git |--- |\+\+\+ )/.test(line)) {
          hunk.rows.push({ type: "ctx", text: line });
          return;
        }
      } else if (hunk && line.charAt(0) === "\\") {
        hunk.rows.push({ type: "note", text: line });
        return;
      }
      var match = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@(.*)$/.exec(line);
      if (match) {
        if (!file) startFile("");
        hunk = { header: line, numbered: true, rows: [], oldNo: +match[1], newNo: +match[3] };
        oldLeft = match[2] === undefined ? 1 : +match[2];
        newLeft = match[4] === undefined ? 1 : +match[4];
        file.hunks.push(hunk);
        return;
      }
      if (/^diff --git /.test(line)) {
        var names = /^diff --git a\/(.*) b\/(.*)$/.exec(line);
        startFile(names ? names[2] : line.slice(11));
        file.fromGit = true;
        return;
      }
      if (/^--- /.test(line)) { oldName = cleanName(line.slice(4)); return; }
      if (/^\+\+\+ /.test(line)) {
        var name = cleanName(line.slice(4));
        if (name === "/dev/null") name = oldName;
        if (file && file.fromGit && !file.hunks.length) file.name = name;
        else startFile(name);
        return;
      }
      if (/^[-+ ]/.test(line)) {
        // +/- lines without a hunk header ("```diff" written by hand): one hunk, no line numbers.
        if (!file) startFile("");
        hunk = { header: "", numbered: false, rows: [], oldNo: 1, newNo: 1 };
        oldLeft = Infinity;
        newLeft = Infinity;
        file.hunks.push(hunk);
        var first = line.charAt(0);
        if (first === "-") hunk.rows.push({ type: "del", text: line.slice(1) });
        else if (first === "+") hunk.rows.push({ type: "add", text: line.slice(1) });
        else hunk.rows.push({ type: "ctx", text: line.slice(1) });
      }
      // Anything else (index lines, modes, prose) is not shown.
    });
    files.forEach(function (f) {
      f.hunks.forEach(function (h) {
        if (h.numbered) return;
        h.rows.forEach(function (row) { delete row.old; delete row.new; });
      });
    });
    return files;
  }

  function numberCell(value, type) {
    var cell = el("td", "diff-num" + (type ? " diff-" + type : ""), value === undefined ? "" : value);
    return cell;
  }

  function codeCell(row, colspan) {
    var cell = el("td", "diff-code diff-" + row.type);
    if (colspan) cell.colSpan = colspan;
    var sign = { del: "-", add: "+", ctx: " ", note: "" }[row.type];
    if (sign) cell.appendChild(el("span", "diff-sign", sign));
    cell.appendChild(document.createTextNode(row.text));
    return cell;
  }

  function emptyCells(tr) {
    tr.append(el("td", "diff-num diff-empty"), el("td", "diff-code diff-empty"));
  }

  function diffTable(files, view) {
    var split = view === "split";
    var columns = split ? 4 : 3;
    var table = el("table", "diff-table diff-" + view);
    // Column widths from <col>: with table-layout: fixed the first row (spanning headers) would split them evenly.
    var columnGroup = el("colgroup");
    (split ? ["num", "code", "num", "code"] : ["num", "num", "code"]).forEach(function (kind) {
      columnGroup.appendChild(el("col", "diff-col-" + kind));
    });
    table.appendChild(columnGroup);
    var head = el("thead");
    var headRow = el("tr");
    if (split) {
      var before = el("th", null, text("before"));
      var after = el("th", null, text("after"));
      before.colSpan = 2;
      after.colSpan = 2;
      headRow.append(before, after);
    } else {
      headRow.append(el("th", null, text("line-before")), el("th", null, text("line-after")), el("th", null, text("code")));
    }
    head.appendChild(headRow);
    table.appendChild(head);
    var rowCount = 0;

    files.forEach(function (file) {
      var tbody = el("tbody");
      if (file.name) {
        var nameRow = el("tr", "diff-file");
        var nameCell = el("th", null, file.name);
        nameCell.colSpan = columns;
        nameCell.scope = "colgroup";
        nameRow.appendChild(nameCell);
        tbody.appendChild(nameRow);
      }
      file.hunks.forEach(function (hunk) {
        if (hunk.header) {
          var hunkRow = el("tr", "diff-hunk");
          var hunkCell = el("td", null, hunk.header);
          hunkCell.colSpan = columns;
          hunkRow.appendChild(hunkCell);
          tbody.appendChild(hunkRow);
        }
        if (split) appendSplitRows(tbody, hunk.rows);
        else appendUnifiedRows(tbody, hunk.rows);
        rowCount += hunk.rows.length;
      });
      table.appendChild(tbody);
    });
    return rowCount ? table : null;
  }

  function appendUnifiedRows(tbody, rows) {
    rows.forEach(function (row) {
      var tr = el("tr");
      if (row.type === "note") {
        tr.append(numberCell(), numberCell(), codeCell(row));
      } else {
        tr.append(numberCell(row.old, row.type), numberCell(row.new, row.type), codeCell(row));
      }
      tbody.appendChild(tr);
    });
  }

  // Side by side: a run of removed lines and the added lines after it share rows, paired in order.
  function appendSplitRows(tbody, rows) {
    var removed = [];
    var added = [];
    function flush() {
      for (var i = 0; i < Math.max(removed.length, added.length); i += 1) {
        var tr = el("tr");
        if (removed[i]) tr.append(numberCell(removed[i].old, "del"), codeCell(removed[i]));
        else emptyCells(tr);
        if (added[i]) tr.append(numberCell(added[i].new, "add"), codeCell(added[i]));
        else emptyCells(tr);
        tbody.appendChild(tr);
      }
      removed = [];
      added = [];
    }
    rows.forEach(function (row) {
      if (row.type === "del") {
        if (added.length) flush();
        removed.push(row);
        return;
      }
      if (row.type === "add") { added.push(row); return; }
      flush();
      var tr = el("tr");
      if (row.type === "note") {
        tr.append(numberCell(), codeCell(row, 3));
      } else {
        tr.append(numberCell(row.old), codeCell(row), numberCell(row.new), codeCell(row));
      }
      tbody.appendChild(tr);
    });
    flush();
  }

  function renderDiff(artifact, toolbar, body) {
    var files = parseDiff(artifact.content);
    var group = el("div", "sidebar__segmented");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", text("diff-view"));
    var holder = el("div", "sidebar__diff");
    holder.tabIndex = 0;

    function draw(view) {
      group.querySelectorAll("button").forEach(function (button) {
        button.setAttribute("aria-pressed", String(button.getAttribute("data-diff-view") === view));
      });
      var table = diffTable(files, view);
      holder.replaceChildren(table || el("p", "sidebar__notice", text("no-lines")));
      holder.setAttribute("data-view", view);
    }
    [["split", text("side-by-side")], ["unified", text("unified")]].forEach(function (pair) {
      var button = el("button", null, pair[1]);
      button.type = "button";
      button.setAttribute("data-diff-view", pair[0]);
      button.addEventListener("click", function () {
        storeDiffView(pair[0]);
        draw(pair[0]);
      });
      group.appendChild(button);
    });
    toolbar.append(group, copyButton(function () { return String(artifact.content || ""); }));
    body.appendChild(holder);
    draw(storedDiffView());
  }

  // JSON: a tree of <details>, built with textContent only.

  function plural(name, count) {
    var rule = "other";
    try {
      rule = new Intl.PluralRules(document.documentElement.lang || undefined).select(count);
    } catch (error) { /* "other" */ }
    return text(rule === "one" ? name + "-one" : name, { COUNT: String(count) });
  }

  function jsonValue(value) {
    if (value === null) return el("span", "json-null", "null");
    if (typeof value === "string") return el("span", "json-string", JSON.stringify(value));
    if (typeof value === "number") return el("span", "json-number", String(value));
    if (typeof value === "boolean") return el("span", "json-boolean", String(value));
    return el("span", null, String(value));
  }

  function jsonItem(key, value, last, depth, budget) {
    budget.nodes -= 1;
    if (budget.nodes < 0) throw new RangeError("too many nodes");
    var item = el("li");
    var label = [];
    if (key !== null) label.push(el("span", "json-key", JSON.stringify(key)), document.createTextNode(": "));
    var comma = last ? null : el("span", "json-punct", ",");
    if (value === null || typeof value !== "object") {
      item.className = "json-leaf";
      item.append.apply(item, label);
      item.appendChild(jsonValue(value));
      if (comma) item.appendChild(comma);
      return item;
    }
    var isArray = Array.isArray(value);
    var keys = isArray ? null : Object.keys(value);
    var count = isArray ? value.length : keys.length;
    var brackets = isArray ? ["[", "]"] : ["{", "}"];
    if (!count) {
      item.className = "json-leaf";
      item.append.apply(item, label);
      item.appendChild(el("span", "json-punct", brackets[0] + brackets[1]));
      if (comma) item.appendChild(comma);
      return item;
    }
    var details = el("details", "json-node");
    details.open = depth < JSON_OPEN_DEPTH;
    var summary = el("summary");
    summary.append.apply(summary, label);
    summary.append(
      el("span", "json-punct", brackets[0]),
      el("span", "json-collapsed", "…" + brackets[1] + (last ? "" : ",")),
      el("span", "json-count", plural(isArray ? "items" : "keys", count))
    );
    var list = el("ul");
    if (isArray) {
      value.forEach(function (child, i) { list.appendChild(jsonItem(null, child, i === count - 1, depth + 1, budget)); });
    } else {
      keys.forEach(function (name, i) { list.appendChild(jsonItem(name, value[name], i === count - 1, depth + 1, budget)); });
    }
    var end = el("div", "json-end");
    end.appendChild(el("span", "json-punct", brackets[1]));
    if (comma) end.appendChild(comma);
    details.append(summary, list, end);
    item.appendChild(details);
    return item;
  }

  function renderJson(artifact, toolbar, body) {
    var source = String(artifact.content || "");
    var data;
    var tree = null;
    var problem = "";
    try {
      data = JSON.parse(source);
    } catch (error) {
      problem = text("invalid-json");
    }
    if (!problem) {
      try {
        tree = el("ul", "json-tree");
        tree.appendChild(jsonItem(null, data, true, 0, { nodes: JSON_MAX_NODES }));
      } catch (error) {
        tree = null;
        problem = text("too-big");
      }
    }
    if (tree) {
      var expand = el("button", "button button-ghost button-small", text("expand-all"));
      var collapse = el("button", "button button-ghost button-small", text("collapse-all"));
      expand.type = "button";
      collapse.type = "button";
      expand.setAttribute("data-json-expand", "");
      collapse.setAttribute("data-json-collapse", "");
      expand.addEventListener("click", function () {
        tree.querySelectorAll("details").forEach(function (d) { d.open = true; });
      });
      collapse.addEventListener("click", function () {
        // The top level stays open: collapsed, the document would be one line saying how big it is.
        tree.querySelectorAll("details").forEach(function (d, i) { d.open = i === 0; });
      });
      toolbar.append(expand, collapse);
    }
    toolbar.appendChild(copyButton(function () { return source; }));
    if (tree) {
      body.appendChild(tree);
    } else {
      body.append(el("p", "sidebar__notice", problem), codeBlock({ content: source }));
    }
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

  // Events, all delegated: messages and toggles may be streamed in or swapped by htmx.

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
    var tab = target.closest("[data-sidebar-tab]");
    if (tab) {
      selectTab(parseInt(tab.getAttribute("data-sidebar-tab"), 10), true);
      return;
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
