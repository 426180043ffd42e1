// 一表申请 (templates/apply/draft.html): focus the error summary (it lists every problem
// and links to each), else the first field with an error, so keyboard users land where
// the work is.
(function () {
  "use strict";
  var bad = document.getElementById("form-errors") || document.querySelector(".has-error input, .has-error select");
  if (bad) { bad.focus(); }
})();
