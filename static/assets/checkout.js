// Checkout page helpers: 3-D Secure browser data, card input formatting,
// brand hint, and pay buttons that cannot be pressed twice. The form works
// without this script; the server validates everything again.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  // After a refused submit, focus goes to the error summary, whose
  // entries link to their fields (WCAG 3.3.1).
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
  // The card, wallet and saved-card forms all carry the browser data and
  // guard against a double submit; the card helpers apply to the card form.
  var forms = [document.getElementById("pay-form"), document.getElementById("wallet-form")]
    .concat(Array.prototype.slice.call(document.querySelectorAll("form.saved-card-pay")))
    .filter(Boolean);
  if (!forms.length) return;
  var form = forms[0];

  function set(name, value) {
    forms.forEach(function (f) {
      var input = f.elements[name];
      if (input) input.value = String(value);
    });
  }
  function collect() {
    var s = window.screen || {};
    set("browser_screen_width", s.width || 0);
    set("browser_screen_height", s.height || 0);
    set("browser_color_depth", s.colorDepth || 0);
    set("browser_tz_offset", new Date().getTimezoneOffset());
    set("browser_language", navigator.language || "");
    set("browser_java_enabled", typeof navigator.javaEnabled === "function" && navigator.javaEnabled() ? "true" : "false");
    set("browser_js_enabled", "true");
    set("browser_inner_width", window.innerWidth || 0);
    set("browser_inner_height", window.innerHeight || 0);
  }
  collect();

  function brand(d) {
    if (/^4/.test(d)) return "visa";
    if (/^(5[1-5]|2[2-7])/.test(d)) return "mastercard";
    if (/^3[47]/.test(d)) return "amex";
    if (/^(6011|65|64[4-9])/.test(d)) return "discover";
    if (/^35(2[89]|[3-8])/.test(d)) return "jcb";
    if (/^(36|38|39|30[0-5])/.test(d)) return "diners";
    if (/^62/.test(d)) return "unionpay";
    return "";
  }
  var labels = {visa: "Visa", mastercard: "Mastercard", amex: "American Express", discover: "Discover", jcb: "JCB", diners: "Diners Club", unionpay: "UnionPay"};

  var number = form.elements["card_number"];
  var hint = document.getElementById("card-brand");
  var cvc = form.elements["card_cvc"];
  if (number) {
    number.addEventListener("input", function () {
      var d = number.value.replace(/\D/g, "").slice(0, 19);
      var b = brand(d);
      var groups = b === "amex" ? [4, 6, 5] : [4, 4, 4, 4, 3];
      var out = [], i = 0;
      for (var g = 0; g < groups.length && i < d.length; g++) {
        out.push(d.slice(i, i + groups[g]));
        i += groups[g];
      }
      number.value = out.join(" ");
      if (hint) hint.textContent = labels[b] || "";
      if (cvc) cvc.maxLength = b === "amex" ? 4 : 3;
    });
  }

  var expiry = form.elements["card_expiry"];
  if (expiry) {
    expiry.addEventListener("input", function (e) {
      if (e.inputType && e.inputType.indexOf("delete") === 0) return;
      var d = expiry.value.replace(/\D/g, "").slice(0, 4);
      if (d.length === 1 && d > "1") d = "0" + d;
      expiry.value = d.length >= 2 ? d.slice(0, 2) + " / " + d.slice(2) : d;
    });
  }

  forms.forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (form.dataset.submitted) {
        e.preventDefault();
        return;
      }
      collect();
      form.dataset.submitted = "1";
      var button = form.querySelector("[data-busy]");
      if (button) {
        // Disable after the browser has taken the submission.
        setTimeout(function () {
          button.disabled = true;
          button.textContent = button.dataset.busy || "Processing…";
        }, 0);
      }
    });
  });
})();
