// 一件事: page behaviour kept out of the templates, because the content security policy
// allows no inline script or on* attribute (docs/operations.md).
(function () {
  "use strict";
  // The language switch submits its form as soon as a language is chosen
  // (without JavaScript, the <noscript> button does it).
  var select = document.getElementById("lang-select");
  if (select && select.form) {
    select.addEventListener("change", function () { select.form.submit(); });
  }
})();
