// The demo shop's embedded checkout: mount it and show how it ended.
(function () {
  "use strict";
  var el = document.getElementById("checkout");
  var status = document.querySelector("[data-testid=embed-status]");
  if (!el || !window.OpenCheckout) return;
  window.OpenCheckout.mount(el, el.dataset.url, {
    onComplete: function (e) {
      status.textContent = "Checkout finished: " + e.status;
      status.dataset.status = e.status;
    }
  });
})();
