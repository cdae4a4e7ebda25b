// Call log form: show only the fieldsets of the chosen outcome (CSP: no inline JS).
(function () {
  "use strict";
  function sync(form) {
    var checked = form.querySelector('input[name="outcome"]:checked');
    var outcome = checked ? checked.value : "";
    form.querySelectorAll("fieldset[data-for]").forEach(function (fs) {
      var wanted = fs.getAttribute("data-for").split(" ");
      fs.hidden = wanted.indexOf(outcome) === -1;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-call-form]").forEach(function (form) {
      sync(form);
      form.addEventListener("change", function () { sync(form); });
    });
  });
})();
