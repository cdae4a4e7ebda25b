// Onboarding: suggest the currency and time zone of the chosen country (CSP-safe, no inline JS).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.querySelector("form[data-onboarding]");
    var data = document.getElementById("country-defaults");
    if (!form || !data) return;
    var defaults = JSON.parse(data.textContent);
    var country = form.querySelector('select[name="country"]');
    var currency = form.querySelector('select[name="default_currency"]');
    var tz = form.querySelector('input[name="timezone"]');
    function apply() {
      var d = defaults[country.value];
      if (!d) return;
      if (currency) currency.value = d.currency;
      if (tz && (!tz.value || tz.dataset.auto === "1")) {
        tz.value = d.timezone;
        tz.dataset.auto = "1";
      }
    }
    if (tz) tz.addEventListener("input", function () { tz.dataset.auto = "0"; });
    country.addEventListener("change", apply);
    if (currency && !currency.value) apply();
  });
})();
