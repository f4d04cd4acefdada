// The Export menu of a list sends the list's selection. Filters applied with htmx put their
// query string into the address bar (hx-push-url), not into the form rendered with the page:
// on submit, the form's action takes the address bar's query string.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form || !form.matches || !form.matches("form[data-export-form]")) return;
    var base = form.getAttribute("action").split("?")[0];
    form.setAttribute("action", base + window.location.search);
  }, true);
})();
