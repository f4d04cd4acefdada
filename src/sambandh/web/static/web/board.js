// The deals board: drag a card onto another column to move it. Every card also has a
// "Move to" form that works with the keyboard (and without this script); dragging simply
// picks the stage in that form and submits it through htmx. A move to a lost stage comes
// back as a form in the board's dialog, asking for the reason.
(function () {
  "use strict";
  var dragged = null;

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

  // The deal a request moved: read from the request's own form, so a late settle of an
  // earlier move never takes the focus to the wrong card.
  function movedDealId(detail) {
    var elt = detail && detail.requestConfig && detail.requestConfig.elt;
    var form = elt && elt.closest ? elt.closest("form[data-deal-id]") : null;
    return form ? form.dataset.dealId : null;
  }

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
      var dealId = movedDealId(event.detail);
      // Give the moved card's list the focus back only when the redraw took it away (the
      // Move button is gone): never from a control the user has gone on to since.
      var active = document.activeElement;
      if (dealId && (!active || active === document.body || !active.isConnected)) {
        var select = document.querySelector("#board [data-deal-id='" + dealId + "'] select");
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
