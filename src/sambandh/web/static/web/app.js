// Sambandh's own small script: keyboard shortcuts and the search dropdown.
(function () {
  "use strict";

  function isTyping(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    var search = document.getElementById("global-search");
    var results = document.getElementById("global-search-results");
    // "/" focuses the global search, unless the user is typing somewhere.
    if (event.key === "/" && !isTyping(event.target) && !event.ctrlKey && !event.metaKey && search) {
      event.preventDefault();
      search.focus();
      search.select();
      return;
    }
    if (!results || !search) return;
    var inSearch = event.target === search || results.contains(event.target);
    if (!inSearch) return;
    if (event.key === "Escape") {
      results.innerHTML = "";
      search.focus();
      return;
    }
    // Arrow keys move between the search box and the hits.
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      var links = Array.prototype.slice.call(results.querySelectorAll("a"));
      if (!links.length) return;
      event.preventDefault();
      var index = links.indexOf(document.activeElement);
      if (event.key === "ArrowDown") {
        links[Math.min(index + 1, links.length - 1)].focus();
      } else if (index <= 0) {
        search.focus();
      } else {
        links[index - 1].focus();
      }
    }
  });

  // Close the dropdown when focus or a click leaves the search box.
  document.addEventListener("click", function (event) {
    var form = document.querySelector(".global-search");
    var results = document.getElementById("global-search-results");
    if (form && results && !form.contains(event.target)) results.innerHTML = "";
  });

  // An inline editor opened by keyboard puts the caret in its input.
  document.addEventListener("htmx:load", function (event) {
    var target = event.detail && event.detail.elt;
    if (!target || !target.classList || !target.classList.contains("field-row")) return;
    if (target.classList.contains("editing")) {
      var input = target.querySelector("input:not([type=hidden]), select, textarea");
      if (input) input.focus();
    } else if (document.activeElement === document.body) {
      // Back from an editor that was just replaced: keep the keyboard where it was.
      var edit = target.querySelector(".edit-field");
      if (edit) edit.focus();
    }
  });
})();
