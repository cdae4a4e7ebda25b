// Strategy editor: drag a step by its handle (⠿) onto another step to put it there.
// The new order goes to the server as the "order:2,0,1" action of the hidden
// #reorder-steps button (htmx swaps the editor as for ↑/↓, which stay for keyboards
// and pages without JavaScript). No inline scripts (CSP).
(function () {
  "use strict";
  var dragged = null;

  function card(target) {
    return target && target.closest ? target.closest("[data-step]") : null;
  }

  function showHandles(root) {
    var scope = root && root.querySelectorAll ? root : document;
    scope.querySelectorAll("[data-step-handle], #drag-hint").forEach(function (element) {
      element.hidden = false;
    });
  }

  document.addEventListener("DOMContentLoaded", function () { showHandles(document); });
  document.addEventListener("htmx:load", function (event) { showHandles(event.target); });

  document.addEventListener("dragstart", function (event) {
    var handle = event.target.closest && event.target.closest("[data-step-handle]");
    if (!handle) return;
    dragged = card(handle);
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", dragged.getAttribute("data-step"));
    dragged.classList.add("dragging");
  });

  document.addEventListener("dragover", function (event) {
    var over = card(event.target);
    if (dragged && over && over !== dragged) {
      event.preventDefault();
      event.dataTransfer.dropEffect = "move";
    }
  });

  document.addEventListener("drop", function (event) {
    var over = card(event.target);
    if (!dragged || !over || over === dragged) return;
    event.preventDefault();
    var cards = Array.prototype.slice.call(document.querySelectorAll("[data-step]"));
    var order = cards.map(function (element) { return element.getAttribute("data-step"); });
    var from = cards.indexOf(dragged);
    var to = cards.indexOf(over);
    order.splice(to, 0, order.splice(from, 1)[0]);
    var button = document.getElementById("reorder-steps");
    button.value = "order:" + order.join(",");
    // A click (not requestSubmit): htmx takes the submitter's name and value from it.
    button.click();
  });

  document.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
  });
})();
