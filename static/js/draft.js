// 一表申请 (templates/apply/draft.html): focus the first field with an error so keyboard
// users land where the work is.
(function () {
  "use strict";
  var bad = document.querySelector(".has-error input, .has-error select");
  if (bad) { bad.focus(); }
})();
