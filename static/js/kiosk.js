// 一件事 · 自助终端 (templates/kiosk/base.html): the on-screen keypad, the print button and
// the inactivity countdown. The pages work without it: the field takes a keyboard, the
// server ends an idle session by itself and a <noscript> refresh returns to the start page.
(function () {
  "use strict";
  var body = document.body;

  // The keypad writes into the ID number field: 0-9 and X, 删除 (the last one), 清空.
  var field = document.getElementById("id_number");
  var keypad = document.getElementById("keypad");
  if (field && keypad) {
    keypad.addEventListener("click", function (event) {
      var key = event.target.closest("[data-key]");
      if (!key) { return; }
      var value = field.value;
      var k = key.getAttribute("data-key");
      if (k === "back") { value = value.slice(0, -1); }
      else if (k === "clear") { value = ""; }
      else if (value.length < 18) { value += k; }
      field.value = value;
      field.dispatchEvent(new Event("input", { bubbles: true }));
    });
  }

  var printButton = document.getElementById("print-page");
  if (printButton) {
    printButton.hidden = false;
    printButton.addEventListener("click", function () { window.print(); });
  }

  // Inactivity: after (idle - warning) seconds without a touch, "即将退出" with 继续; at
  // the end an identified session is ended (退出), anyone else goes back to the start page.
  var idle = parseInt(body.getAttribute("data-idle"), 10) || 120;
  var warning = Math.min(parseInt(body.getAttribute("data-warning"), 10) || 30, idle);
  var identified = body.getAttribute("data-identified") === "1";
  var home = body.getAttribute("data-home");
  var atHome = window.location.pathname === home && !identified;
  var dialog = document.getElementById("idle-warning");
  var count = document.getElementById("idle-count");
  var exitForm = document.getElementById("exit-form");
  var last = Date.now();
  var lastPing = Date.now();

  function csrf() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function ping() {
    // the server counts activity by requests: tell it the citizen is still here
    lastPing = Date.now();
    if (!identified || !window.fetch) { return; }
    fetch(body.getAttribute("data-keepalive"), {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": csrf(), "X-Requested-With": "fetch" }
    });
  }

  function activity() {
    last = Date.now();
    if (dialog && !dialog.hidden) { return; }
    if (Date.now() - lastPing > Math.min(20000, idle * 500)) { ping(); }
  }

  function end() {
    if (identified && exitForm) {
      exitForm.querySelector("input[name=reason]").value = "idle";
      exitForm.submit();
    } else {
      window.location.href = home;
    }
  }

  if (!atHome && dialog) {
    ["pointerdown", "keydown", "input", "scroll"].forEach(function (name) {
      document.addEventListener(name, activity, { passive: true, capture: true });
    });
    dialog.querySelector("form").addEventListener("submit", function (event) {
      event.preventDefault();
      dialog.hidden = true;
      last = Date.now();
      ping();
    });
    var ended = false;
    window.setInterval(function () {
      if (ended) { return; }
      var left = idle - Math.floor((Date.now() - last) / 1000);
      if (left <= 0) { ended = true; end(); return; }
      if (left <= warning) {
        if (dialog.hidden) {
          dialog.hidden = false;
          document.getElementById("idle-continue").focus();
        }
        count.textContent = String(left);
      }
    }, 250);
  }
})();
