// The chat page: send a message, read the reply as it streams (server-sent events over a POST),
// stop it, regenerate or retry it, and tell the credits bar and the side panel when it ends.
//
// The server's events (chat/events.py): "start" {reply, user_message, title, sources, sources_html
// when the reply is grounded in the help center, and for a conversation this message started: url,
// title_html, delete_html, list_item_html}, "token" {t}, "done" {status,
// html, artifacts, balance, error, ...}. A refusal before the stream (an empty message, too few
// credits, the spending cap) is JSON with a 4xx status: {error, detail, fix_url?, fix_label?}.
//
// A new conversation's first message goes to data-start-url: the server writes the conversation
// with the message (a refused one leaves none), and the start event brings its parts of the page
// (title with Rename, Delete, list entry), rendered by the server, swapped in and given to htmx.
//
// Scrolling: a conversation opens at its latest message; while the view is at the end it follows
// the reply as it grows; once the person scrolls up it stays put and "Jump to latest" shows.
(function () {
  "use strict";

  var form = document.getElementById("chat-composer");
  if (!form) return;
  var input = document.getElementById("chat-input");
  var list = document.getElementById("chat-messages");
  var sendButton = document.getElementById("chat-send");
  var stopButton = document.getElementById("chat-stop");
  var errorBox = document.getElementById("chat-error");
  var status = document.getElementById("chat-status");
  var counter = document.getElementById("chat-counter");
  var fixLink = document.getElementById("chat-error-fix");
  var jumpButton = document.getElementById("chat-jump");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var text = form.dataset;
  var replyId = null;
  var busy = false;
  // Whether the view keeps to the latest message as the conversation grows.
  var following = true;
  // Closer than this to the end (px) counts as at the end: a last line half in view still follows.
  var END_SLACK = 80;

  function say(message) { if (status) status.textContent = message; }

  // refusal: {detail, fix_url?, fix_label?}; its fix, when it names one, becomes the box's link.
  function showError(detail, refusal) {
    errorBox.hidden = false;
    errorBox.querySelector(".chat-error-text").textContent = detail;
    var fix = refusal && refusal.fix_url && refusal.fix_label;
    fixLink.hidden = !fix;
    if (fix) {
      fixLink.setAttribute("href", refusal.fix_url);
      fixLink.textContent = refusal.fix_label;
    }
  }

  // A top-up opens in the modal, over the conversation and its unsent text; other fixes are pages.
  fixLink.addEventListener("click", function (event) {
    if (!window.htmx || fixLink.getAttribute("href") !== fixLink.dataset.modalUrl) return;
    event.preventDefault();
    window.htmx.ajax("GET", fixLink.dataset.modalUrl, { target: "#modal", swap: "innerHTML", source: fixLink });
  });

  // --- Scrolling ---------------------------------------------------------------------------------

  // How far (px) the latest message's end lies below what can be read: the top of the composer,
  // which sticks to the bottom of the window over the page. Zero or less: it is in view.
  function hiddenBelow() {
    var last = list.lastElementChild;
    if (!last) return 0;
    var limit = Math.min(form.getBoundingClientRect().top, window.innerHeight);
    return last.getBoundingClientRect().bottom - limit;
  }

  // "At the end" means the latest message is in view, not that the window is scrolled to its very
  // bottom: a short conversation under a flash message is at its end with the page header in view.
  function atEnd() { return hiddenBelow() <= END_SLACK; }

  function updateJump() { jumpButton.hidden = atEnd(); }

  // Scroll only as far as brings the latest message's end into view: never further, so a page a little
  // taller than the window (a flash message above the chat) keeps its header, nav and credits bar.
  function scrollToLatest() {
    following = true;
    var by = hiddenBelow();
    if (by > 0) window.scrollBy(0, Math.ceil(by) + 8);
    updateJump();
  }

  // New content: follow it when following, else offer the jump (the view stays where it is).
  function contentGrew() {
    if (following) scrollToLatest(); else updateJump();
  }

  window.addEventListener("scroll", function () {
    following = atEnd();
    updateJump();
  }, { passive: true });

  jumpButton.addEventListener("click", function () {
    scrollToLatest();
    // The button hides once at the end: focus goes on to the message box, not to the page's start.
    input.focus({ preventScroll: true });
  });

  // Late layout (highlighted code, fonts, the side panel) changes the height: keep to the end.
  if (window.ResizeObserver) new ResizeObserver(contentGrew).observe(list);

  function clearError() { errorBox.hidden = true; }

  function setBusy(value) {
    busy = value;
    sendButton.hidden = value;
    stopButton.hidden = !value;
    stopButton.disabled = false;
    if (value) { stopButton.focus(); } else if (document.activeElement === stopButton) { input.focus(); }
  }

  function updateCounter() {
    if (!counter) return;
    var max = parseInt(counter.dataset.max, 10);
    var left = max - input.value.length;
    counter.textContent = left < 500 ? String(left) : "";
    counter.classList.toggle("char-counter-over", left < 0);
  }

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content) node.textContent = content;
    return node;
  }

  function messageNode(role, author) {
    var empty = document.getElementById("chat-empty");
    if (empty) empty.remove();
    var item = element("li", "chat-message chat-message-" + role);
    item.appendChild(element("p", "chat-message-author", author));
    item.appendChild(element("div", "chat-message-body"));
    list.appendChild(item);
    return item;
  }

  function removeRegenerateButtons() {
    list.querySelectorAll("[data-regenerate]").forEach(function (button) { button.remove(); });
  }

  function regenerateButton(label) {
    var button = element("button", "button button-ghost button-small chat-regenerate", label);
    button.type = "button";
    button.setAttribute("data-regenerate", "");
    return button;
  }


  // Read "event: x\ndata: {...}\n\n" blocks from a fetch body and hand each to onEvent.
  async function readEvents(response, onEvent) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      var end;
      while ((end = buffer.indexOf("\n\n")) !== -1) {
        var block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        var name = "message";
        var data = "";
        block.split("\n").forEach(function (line) {
          if (line.indexOf("event: ") === 0) name = line.slice(7);
          else if (line.indexOf("data: ") === 0) data += line.slice(6);
        });
        onEvent(name, data ? JSON.parse(data) : null);
      }
    }
  }

  // Swap in a fresh conversation list (a new conversation, a new title) and mark the current one.
  async function refreshList() {
    var current = document.getElementById("chat-conversation-list");
    if (!current) return;
    var response = await fetch(text.listUrl, { credentials: "same-origin", headers: { "HX-Request": "true" } });
    if (!response.ok) return;
    var holder = document.createElement("div");
    holder.innerHTML = await response.text();
    var fresh = holder.firstElementChild;
    if (!fresh) return;
    fresh.querySelectorAll("a").forEach(function (link) {
      if (link.getAttribute("href") === location.pathname) link.setAttribute("aria-current", "page");
    });
    current.replaceWith(fresh);
  }

  // Parse server-rendered HTML into its first element, ready for htmx (hx-post, hx-confirm...).
  function fromHtml(html) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    return holder.content.firstElementChild;
  }

  function activate(node) {
    if (node && window.htmx) window.htmx.process(node);
    return node;
  }

  // The first message made a conversation: this page becomes its page, with its controls and entry.
  function adoptConversation(data) {
    form.setAttribute("action", data.url + "messages/");
    text.regenerateUrl = data.url + "regenerate/";
    history.replaceState(null, "", data.url);
    var select = document.getElementById("chat-model");
    if (select) select.dataset.changeUrl = data.url + "model/";
    var heading = document.getElementById("chat-title");
    if (heading && data.title_html && !document.getElementById("chat-title-wrap")) {
      heading.replaceWith(activate(fromHtml(data.title_html)));
    }
    var actions = document.querySelector(".chat-header-actions");
    if (actions && data.delete_html && !document.getElementById("chat-delete")) {
      actions.appendChild(activate(fromHtml(data.delete_html)));
    }
    var conversations = document.getElementById("chat-conversation-list");
    if (conversations && data.list_item_html) {
      var none = conversations.querySelector(".chat-conversation-none");
      if (none) none.remove();
      conversations.querySelectorAll("a[aria-current]").forEach(function (link) { link.removeAttribute("aria-current"); });
      conversations.prepend(activate(fromHtml(data.list_item_html)));
    }
  }

  async function stream(url, body, userText, replaced) {
    clearError();
    setBusy(true);
    say(text.textWriting);
    var reply = null;
    var bodyNode = null;
    var written = "";
    try {
      var response = await fetch(url, {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-CSRFToken": csrf, "Accept": "text/event-stream" },
      });
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("text/event-stream") !== 0) {
        var refusal = await response.json().catch(function () { return { detail: text.textNetwork }; });
        throw { refusal: refusal };
      }
      if (userText !== null) input.value = "";
      updateCounter();
      removeRegenerateButtons();
      // The person just sent or asked again: show them what comes, wherever they had scrolled.
      following = true;
      await readEvents(response, function (name, data) {
        if (name === "start") {
          replyId = data.reply;
          if (data.url) adoptConversation(data);
          if (replaced) replaced.remove();
          if (data.user_message) {
            var mine = messageNode("user", text.textYou);
            mine.id = "message-" + data.user_message.id;
            mine.querySelector(".chat-message-body").innerHTML = data.user_message.html;
          }
          reply = messageNode("assistant", "Javari");
          reply.id = "message-" + data.reply;
          reply.dataset.status = "streaming";
          bodyNode = reply.querySelector(".chat-message-body");
          // The help-center sources the reply is given, known before it starts (server-rendered).
          if (data.sources_html) reply.appendChild(fromHtml(data.sources_html));
          var title = document.getElementById("chat-title");
          if (title && data.title) { title.textContent = data.title; document.title = data.title + " · Javari AI"; }
          contentGrew();
        } else if (name === "token") {
          written += data.t;
          bodyNode.textContent = written;
          contentGrew();
        } else if (name === "done") {
          finish(reply, data);
        }
      });
    } catch (problem) {
      if (problem && problem.refusal) {
        showError(problem.refusal.detail || text.textNetwork, problem.refusal);
      } else {
        showError(text.textNetwork, null);
        if (reply) reply.appendChild(regenerateButton(text.textRetry));
      }
      say("");
    } finally {
      replyId = null;
      setBusy(false);
    }
  }

  function finish(reply, data) {
    reply.dataset.status = data.status;
    var bodyNode = reply.querySelector(".chat-message-body");
    bodyNode.innerHTML = data.html;  // rendered and sanitised by the server
    if (data.artifacts && data.artifacts.length) {
      reply.dataset.artifacts = JSON.stringify(data.artifacts);
      if (window.JavariSidebar) window.JavariSidebar.autoOpen(data.artifacts);
    }
    if (data.status === "failed") {
      var failure = element("p", "chat-message-failure", data.error);
      failure.setAttribute("role", "alert");
      reply.appendChild(failure);
    } else if (data.status === "stopped") {
      reply.appendChild(element("p", "chat-message-note muted", text.textStopped));
    }
    // The footer as a page load renders it (model, cost, Regenerate), sent by the server with the
    // done event; without it (never from the chat page's own views) at least Regenerate or Retry.
    var meta = data.footer_html ? fromHtml(data.footer_html) : null;
    if (!meta) {
      meta = element("div", "chat-message-meta muted");
      meta.appendChild(regenerateButton(data.status === "failed" ? text.textRetry : text.textRegenerate));
    }
    reply.appendChild(meta);
    contentGrew();
    say(data.status === "failed" ? data.error : data.status === "stopped" ? text.textStopped : text.textDone);
    document.body.dispatchEvent(new Event("credits-changed"));
    refreshList();
  }

  async function send() {
    if (busy) return;
    var message = input.value;
    if (!message.trim()) { showError(text.textEmpty, null); input.focus(); return; }
    var body = new FormData(form);
    await stream(form.getAttribute("action") || text.startUrl, body, message, null);
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); send(); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); send(); }
  });
  input.addEventListener("input", updateCounter);

  stopButton.addEventListener("click", function () {
    if (!replyId) return;
    stopButton.disabled = true;
    fetch(text.stopUrl.replace("00000000-0000-0000-0000-000000000000", replyId), {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf },
    });
  });

  list.addEventListener("click", function (event) {
    var button = event.target.closest("[data-regenerate]");
    if (!button || busy) return;
    var last = list.querySelector(".chat-message:last-of-type");
    var replaced = last && last.classList.contains("chat-message-assistant") ? last : null;
    var body = new FormData();
    var model = document.getElementById("chat-model");
    if (model) body.append("model", model.value);
    stream(text.regenerateUrl, body, null, replaced);
  });

  var modelSelect = document.getElementById("chat-model");
  if (modelSelect) {
    modelSelect.addEventListener("change", function () {
      // A conversation not written yet takes the picked model with its first message.
      if (!modelSelect.dataset.changeUrl) return;
      var body = new FormData();
      body.append("model", modelSelect.value);
      fetch(modelSelect.dataset.changeUrl, {
        method: "POST", body: body, credentials: "same-origin", headers: { "X-CSRFToken": csrf },
      });
    });
  }

  // On a narrow screen the conversation list is a drawer the header's button opens.
  var drawerButton = document.querySelector(".chat-conversations-toggle");
  var drawer = document.getElementById("chat-conversations");
  if (drawerButton && drawer) {
    drawerButton.addEventListener("click", function () {
      var open = drawer.dataset.open !== "true";
      drawer.dataset.open = String(open);
      drawerButton.setAttribute("aria-expanded", String(open));
    });
  }

  updateCounter();

  // Open at the latest message (unless the address points at one), not at the conversation's start.
  if ("scrollRestoration" in history) history.scrollRestoration = "manual";
  if (!location.hash) {
    scrollToLatest();
    window.addEventListener("load", function () { if (following) scrollToLatest(); });
  } else {
    following = atEnd();
    updateJump();
  }
})();
