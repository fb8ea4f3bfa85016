// Runs the step a payment provider asked the shopper's browser to take:
// device data collection in a hidden iframe (10 s at most), a 3-D Secure
// challenge in a visible iframe, a redirect or a redirect form. Without JavaScript each
// step shows a button instead.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  var ddc = document.getElementById("ddc-form");
  if (ddc) {
    var done = false;
    var next = document.getElementById("ddc-continue");
    var finish = function (sessionId) {
      if (done) return;
      done = true;
      next.elements["SessionId"].value = sessionId || "";
      next.elements["ddc_timed_out"].value = sessionId ? "false" : "true";
      next.submit();
    };
    var origin = ddc.dataset.origin;
    window.addEventListener("message", function (e) {
      // Only the collector we posted to may answer.
      if (e.origin !== origin) return;
      var data = e.data;
      try {
        if (typeof data === "string") data = JSON.parse(data);
      } catch (err) {
        return;
      }
      if (!data || data.MessageType !== "profile.completed") return;
      var id = data.SessionId || (data.Payload && data.Payload.SessionId) || "";
      finish(data.Status === false ? "" : id);
    });
    setTimeout(function () { finish(""); }, 10000);
    ddc.submit();
  }

  var challenge = document.getElementById("challenge-form");
  if (challenge) challenge.submit();

  // Inside a merchant's iframe, leaving for the provider's page takes the
  // whole window, and browsers allow that only on the shopper's click: the
  // button stays visible instead of moving on by itself.
  var framed = window.top !== window;
  var redirect = document.getElementById("redirect-form");
  var redirectLink = document.getElementById("redirect-link");
  if (framed) {
    [redirect && redirect.querySelector("button"), redirectLink].forEach(function (el) {
      if (el) el.classList.remove("nojs-only");
    });
  } else {
    if (redirect) redirect.submit();
    // A top-level redirect: replace this page so Back returns to the shop's
    // checkout rather than bouncing to the provider again.
    if (redirectLink) window.location.replace(redirectLink.href);
  }

  var parentLink = document.getElementById("to-parent");
  if (parentLink) window.parent.location.href = parentLink.href;
})();
