// Template editor: "Insertar" puts a variable where the cursor was in the subject or
// a text part (the last one focused; the text by default), then tells htmx the form
// changed so the preview (rendered on the server) follows. No inline scripts (CSP).
(function () {
  "use strict";
  var last = null;

  document.addEventListener("focusin", function (event) {
    var field = event.target;
    if (field.closest("form[data-template-editor]") && field.matches("textarea, input[type=text]")) {
      last = field;
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-insert]");
    if (!button) return;
    var form = document.querySelector("form[data-template-editor]");
    if (!form) return;
    var field = last || form.querySelector("textarea[name=body_text]");
    var text = button.getAttribute("data-insert");
    var start = field.selectionStart != null ? field.selectionStart : field.value.length;
    var end = field.selectionEnd != null ? field.selectionEnd : start;
    field.value = field.value.slice(0, start) + text + field.value.slice(end);
    field.focus();
    field.setSelectionRange(start + text.length, start + text.length);
    field.dispatchEvent(new Event("input", { bubbles: true }));
  });
})();
