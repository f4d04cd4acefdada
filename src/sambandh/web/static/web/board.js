// The deals board: drag a card onto another column to move it. Every card also has a
// "Move to" form that works with the keyboard (and without this script); dragging simply
// picks the stage in that form and submits it through htmx. A move to a lost stage comes
// back as a form in the board's dialog, asking for the reason.
(function () {
  "use strict";
  var dragged = null;
  var lastDealId = null;

  function column(target) {
    return target && target.closest ? target.closest(".board-column") : null;
  }

  function clearTargets() {
    document.querySelectorAll(".board-column.drop-target").forEach(function (el) {
      el.classList.remove("drop-target");
    });
  }

  document.addEventListener("dragstart", function (event) {
    var card = event.target.closest ? event.target.closest(".deal-card[draggable='true']") : null;
    if (!card) return;
    dragged = card;
    card.classList.add("dragging");
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.dealId);
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    clearTargets();
  });

  document.addEventListener("dragover", function (event) {
    var col = column(event.target);
    if (!dragged || !col) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!col.classList.contains("drop-target")) {
      clearTargets();
      col.classList.add("drop-target");
    }
  });

  document.addEventListener("drop", function (event) {
    var col = column(event.target);
    if (!dragged || !col) return;
    event.preventDefault();
    var card = dragged;
    dragged = null;
    clearTargets();
    card.classList.remove("dragging");
    if (col.dataset.stageId === card.dataset.stageId) return;
    var form = card.querySelector("form.card-move");
    if (!form) return;
    form.querySelector("select[name='stage_id']").value = col.dataset.stageId;
    form.requestSubmit();
  });

  // Remember which deal moved, to give it the focus back after the board is redrawn.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target.closest ? event.target.closest("form[data-deal-id]") : null;
    if (form) lastDealId = form.dataset.dealId;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (!target) return;
    var dialog = document.getElementById("board-dialog");
    if (target.id === "board-dialog-body" && dialog) {
      if (!dialog.open) dialog.showModal();
      var reason = dialog.querySelector("textarea[name='lost_reason']");
      if (reason) reason.focus();
      return;
    }
    if (target.id === "board" || (target.closest && target.closest("#board"))) {
      if (dialog && dialog.open) dialog.close();
      if (lastDealId) {
        var select = document.querySelector("#board [data-deal-id='" + lastDealId + "'] select");
        if (select) select.focus();
      }
    }
  });

  document.addEventListener("click", function (event) {
    var close = event.target.closest ? event.target.closest("[data-board-dialog-close]") : null;
    if (!close) return;
    var dialog = document.getElementById("board-dialog");
    if (dialog) dialog.close();
  });
})();
