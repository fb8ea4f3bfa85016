// Dashboard settings: the branding preview follows the display name and
// accent colour as they are typed, and the contrast check with the
// button text is worked out as the colour changes. Without this script
// the Preview button does the same on the server; the server checks the
// colour again when it is saved.
(function () {
  "use strict";
  var name = document.getElementById("display-name");
  var color = document.getElementById("accent-color");
  var result = document.getElementById("contrast-result");
  var frame = document.getElementById("brand-preview");
  if (!name || !color || !result || !frame) return;
  var min = 4.5;

  function channel(v) {
    var s = v / 255;
    return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
  }
  // WCAG 2.x contrast of "#rrggbb" with white, or 0 when it is not a colour.
  function contrast(hex) {
    if (!/^#[0-9a-f]{6}$/.test(hex)) return 0;
    var r = parseInt(hex.slice(1, 3), 16), g = parseInt(hex.slice(3, 5), 16), b = parseInt(hex.slice(5, 7), 16);
    var l = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
    return 1.05 / (l + 0.05);
  }
  // As the server writes it: two decimals, never 4.50 below 4.5, in the
  // page's language's digits and decimal sign.
  var digits = new Intl.NumberFormat(document.documentElement.lang || "en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  function format(r) {
    var rounded = Math.round(r * 100) / 100;
    if (r < min && rounded >= min) rounded = Math.floor(r * 100) / 100;
    return digits.format(rounded);
  }
  function check() {
    var hex = color.value.trim().toLowerCase();
    var text, bad = false;
    if (hex === "") {
      text = result.dataset.none;
    } else {
      var r = contrast(hex);
      if (r === 0) {
        text = result.dataset.bad;
        bad = true;
      } else {
        bad = r < min;
        text = (bad ? result.dataset.fail : result.dataset.pass).replace("{ratio}", format(r));
      }
    }
    if (result.textContent !== text) result.textContent = text;
    result.classList.toggle("bad", bad);
  }
  var timer = 0;
  function preview() {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var q = new URLSearchParams();
      if (name.value.trim()) q.set("display_name", name.value.trim());
      var hex = color.value.trim().toLowerCase();
      if (hex) q.set("accent_color", hex);
      var src = "/dashboard/settings/preview" + (q.toString() ? "?" + q.toString() : "");
      if (frame.getAttribute("src") !== src) frame.setAttribute("src", src);
    }, 300);
  }
  color.addEventListener("input", function () { check(); preview(); });
  name.addEventListener("input", preview);
})();
