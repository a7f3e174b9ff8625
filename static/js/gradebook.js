// Gradebook: choosing a page size applies at once (the Show button remains for pages without JS).
(function () {
  "use strict";
  var form = document.getElementById("gradebook-pages");
  if (!form) return;
  var select = form.querySelector("select[name=per_page]");
  var button = form.querySelector("button[type=submit]");
  if (button) button.hidden = true;
  select.addEventListener("change", function () { form.submit(); });
})();
