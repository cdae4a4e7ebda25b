// Cartera back office behaviour. No inline scripts anywhere (CSP): everything lives here.
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // htmx: send the CSRF token with every request.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });

  document.addEventListener("click", function (event) {
    // Dismissible notices.
    var close = event.target.closest("[data-dismiss]");
    if (close) {
      var notice = close.closest(".notice");
      if (notice) notice.remove();
      return;
    }
    // Collapsible navigation on small screens.
    var toggle = event.target.closest("[data-nav-toggle]");
    if (toggle) {
      var menu = document.getElementById(toggle.getAttribute("aria-controls"));
      var open = toggle.getAttribute("aria-expanded") !== "true";
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (menu) menu.classList.toggle("is-open", open);
      return;
    }
    // Close other open dropdowns when one is used.
    document.querySelectorAll("details.dropdown[open]").forEach(function (d) {
      if (!d.contains(event.target)) d.removeAttribute("open");
    });
  });

  // Confirmation for destructive buttons: <button data-confirm="¿Seguro?">.
  document.addEventListener("submit", function (event) {
    var submitter = event.submitter;
    var form = event.target;
    var message =
      (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Each POST form carries a one-time key, made when the form is first submitted and
  // kept for this page: the server runs a submission once and answers a repeat (a double
  // click, a resend) with the first one's result (cartera/orgs/submissions.py).
  function submissionKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes); // randomUUID needs https; this does not
    return Array.prototype.map
      .call(bytes, function (b) {
        return ("0" + b.toString(16)).slice(-2);
      })
      .join("");
  }
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if ((form.getAttribute("method") || "").toLowerCase() !== "post") return;
      if (form.querySelector('input[name="_submission"]')) return;
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "_submission";
      input.value = submissionKey();
      form.appendChild(input);
    },
    true // capture: before htmx and the other handlers read the form
  );
  // A form htmx sent stays on the page: its next submission is a new one.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form");
    var input = form && form.querySelector('input[name="_submission"]');
    if (input) input.remove();
  });

  // Auto-submit filter forms when a select changes: <form data-autosubmit>.
  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-autosubmit]");
    if (form && event.target.matches("select, input[type=checkbox]")) {
      if (form.requestSubmit) form.requestSubmit();
      else form.submit();
    }
  });

  // Allocation picker on the payment form: show the invoice table only when chosen.
  function syncAllocationMode(root) {
    (root || document).querySelectorAll("[data-allocation-mode]").forEach(function (container) {
      var checked = container.querySelector('input[name="allocation_mode"]:checked');
      var pick = container.querySelector("[data-allocation-pick]");
      if (pick) pick.hidden = !checked || checked.value !== "pick";
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches('input[name="allocation_mode"]')) syncAllocationMode();
  });
  // Tables that become cards on a phone (<table class="cards">): each cell gets its
  // column header as data-label, which the stylesheet shows before the value.
  function labelCardCells(root) {
    (root || document).querySelectorAll("table.cards").forEach(function (table) {
      var heads = [];
      table.querySelectorAll("thead tr:last-child th").forEach(function (th) {
        var span = parseInt(th.getAttribute("colspan") || "1", 10);
        for (var i = 0; i < span; i++) heads.push(th.textContent.trim());
      });
      table.querySelectorAll("tbody tr, tfoot tr").forEach(function (row) {
        var index = 0;
        Array.prototype.forEach.call(row.children, function (cell) {
          if (!cell.hasAttribute("data-label") && heads[index]) {
            cell.setAttribute("data-label", heads[index]);
          }
          index += parseInt(cell.getAttribute("colspan") || "1", 10);
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    syncAllocationMode();
    labelCardCells();
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    syncAllocationMode(event.target);
    labelCardCells(event.target);
  });
})();
