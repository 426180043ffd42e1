// 一件事: page behaviour kept out of the templates, because the content security policy
// allows no inline script or on* attribute (docs/operations.md). Every page works without
// this file; it only adds comfort.
(function () {
  "use strict";
  // The language switch submits its form as soon as a language is chosen
  // (without JavaScript, the <noscript> button does it).
  var select = document.getElementById("lang-select");
  if (select && select.form) {
    select.addEventListener("change", function () { select.form.submit(); });
  }

  // File inputs: a large "选择文件" button in Chinese and the chosen file's name beside it,
  // whatever the browser's own language. Without JavaScript the native control stays.
  var counter = 0;
  function enhanceFile(input) {
    if (input.dataset.enhanced) { return; }
    input.dataset.enhanced = "1";
    if (!input.id) { counter += 1; input.id = "file-input-" + counter; }
    var wrap = document.createElement("span");
    wrap.className = "file-pick";
    var button = document.createElement("button");
    button.type = "button";
    button.className = "button file-button";
    var labels = input.labels && input.labels.length ? input.labels[0].textContent.trim() : "";
    button.textContent = input.multiple ? "选择文件（可多选）" : "选择文件";
    if (labels) { button.setAttribute("aria-label", "选择文件：" + labels); }
    var name = document.createElement("span");
    name.className = "file-name";
    name.setAttribute("aria-live", "polite");
    name.textContent = "未选择文件";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    wrap.appendChild(button);
    wrap.appendChild(name);
    input.tabIndex = -1;
    input.setAttribute("aria-hidden", "true");
    button.addEventListener("click", function () { input.click(); });
    input.addEventListener("change", function () {
      var names = [];
      for (var i = 0; i < input.files.length; i += 1) { names.push(input.files[i].name); }
      name.textContent = names.length ? "已选择：" + names.join("、") : "未选择文件";
      name.classList.toggle("chosen", names.length > 0);
    });
  }
  var files = document.querySelectorAll("input[type=file]");
  for (var i = 0; i < files.length; i += 1) { enhanceFile(files[i]); }

  // A table that scrolls inside its box on a phone can be scrolled with the keyboard too.
  var tables = document.querySelectorAll("main table");
  for (var j = 0; j < tables.length; j += 1) {
    var t = tables[j];
    if (t.scrollWidth > t.clientWidth + 1 && !t.hasAttribute("tabindex")) {
      t.tabIndex = 0;
    }
  }
})();
