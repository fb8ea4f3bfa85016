// Runs when a session page is framed by its merchant: it tells the parent
// page our height (so the iframe fits its content) and, on a result page,
// the outcome. Messages go only to the merchant's allowed origins and never
// carry card data: a status and the session id.
(function () {
  "use strict";
  if (window.parent === window) return;
  var body = document.body;
  var origins = (body.dataset.embedders || "").split(" ").filter(Boolean);
  function send(msg) {
    origins.forEach(function (o) {
      try { window.parent.postMessage(msg, o); } catch (e) { /* not that origin */ }
    });
  }
  var last = 0;
  function size() {
    var h = document.documentElement.scrollHeight;
    if (h !== last) {
      last = h;
      send({ type: "opencheckout:resize", height: h });
    }
  }
  size();
  window.addEventListener("load", size);
  window.addEventListener("resize", size);
  setInterval(size, 500);
  function complete(status) {
    if (status && status !== "pending") {
      send({ type: "opencheckout:complete", status: status, session: body.dataset.session });
    }
  }
  var result = document.querySelector("[data-testid=result-status]");
  if (result) complete(result.dataset.status);
  // The waiting page swaps its content in place when the payment settles.
  document.addEventListener("opencheckout:status", function (e) { complete(e.detail); });
})();
