// The waiting page: asks for the page again every 2 s and, when the
// payment's status has changed, swaps the new content in and announces it
// in the page's aria-live region (WCAG 2.2.1 and 4.1.3: no self-refresh
// that moves focus or reloads under the shopper). Without JavaScript the
// page's "Check again" link does the same.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var live = document.getElementById("status-live");
  var current = document.querySelector("[data-testid=result-status]");
  if (!live || !current || !window.fetch || !window.DOMParser) return;
  var tries = 0;
  function poll() {
    if (++tries > 900) return; // 30 minutes: reconciliation has long answered
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        var doc = html && new DOMParser().parseFromString(html, "text/html");
        var next = doc && doc.querySelector("[data-testid=result-status]");
        if (!next || next.dataset.status === current.dataset.status) {
          setTimeout(poll, 2000);
          return;
        }
        var main = document.querySelector("main");
        var fresh = doc.querySelector("main");
        var title = doc.querySelector("title");
        if (title) document.title = title.textContent;
        main.replaceWith(fresh);
        // The live region outlives the swap: a new one would not be read.
        live.textContent = live.dataset.updated + " " + next.textContent;
        fresh.appendChild(live);
        document.dispatchEvent(new CustomEvent("opencheckout:status", { detail: next.dataset.status }));
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 2000);
})();
