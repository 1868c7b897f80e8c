// Copy buttons on the code blocks javari/markdown.py renders:
//   <div class="code-block"><div class="code-block__bar">…<button class="copy-button" data-copy data-copied="Copied">Copy</button></div>
//   <pre class="highlight"><code>…</code></pre></div>
// A click anywhere on the page on `.copy-button[data-copy]` (delegated, so streamed and swapped messages
// work too) copies the text of that block's <pre><code>. The button then reads its `data-copied` label
// (rendered translated by the server) for 1.5 s, and a polite live region says it once.
//
// Also the one copy helper of the page, used by sidebar.js:
//   window.JavariCopy.text(string) -> Promise   copies a string
//   window.JavariCopy.flash(button, label)      the "Copied" feedback on a button (label defaults to data-copied)
//   window.JavariCopy.announce(text)            says text in a polite live region (the side panel uses it too)
// navigator.clipboard exists only in a secure context (https or localhost); a self-hosted instance on a
// plain-http address falls back to a hidden textarea and document.execCommand("copy").
(function () {
  "use strict";

  var FLASH_MS = 1500;
  var labels = new WeakMap(); // button -> its own label, restored after the flash
  var timers = new WeakMap();
  var status = null;

  function announce(text) {
    if (!status) {
      status = document.createElement("p");
      status.className = "visually-hidden";
      status.setAttribute("role", "status");
      status.setAttribute("aria-live", "polite");
      document.body.appendChild(status);
    }
    // Emptied first, so saying the same word twice in a row is still announced.
    status.textContent = "";
    setTimeout(function () { status.textContent = text; }, 50);
  }

  function copyWithTextarea(text) {
    var active = document.activeElement;
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.top = "-1000px";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    area.remove();
    if (active && typeof active.focus === "function") active.focus({ preventScroll: true });
    return copied ? Promise.resolve() : Promise.reject(new Error("copy failed"));
  }

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return copyWithTextarea(text); });
    }
    return copyWithTextarea(text);
  }

  function flash(button, label) {
    label = label || button.getAttribute("data-copied");
    if (!label) return;
    if (!labels.has(button)) labels.set(button, button.textContent);
    button.textContent = label;
    button.classList.add("is-copied");
    announce(label);
    clearTimeout(timers.get(button));
    timers.set(button, setTimeout(function () {
      button.textContent = labels.get(button);
      button.classList.remove("is-copied");
    }, FLASH_MS));
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".copy-button[data-copy]");
    if (!button) return;
    var block = button.closest(".code-block");
    var code = block && block.querySelector("pre code");
    if (!code) return;
    copyText(code.textContent).then(function () { flash(button); }, function () {});
  });

  window.JavariCopy = { text: copyText, flash: flash, announce: announce };
})();
