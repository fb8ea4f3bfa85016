// Runs the step a payment provider asked the shopper's browser to take:
// device data collection in a hidden iframe (10 s at most), a 3-D Secure
// challenge in a visible iframe, a redirect or a redirect form. Without JavaScript each
// step shows a button instead.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // report tells our server, for the session's timeline, which step the
  // page takes (device_data.started, challenge.shown, redirect.left), then
  // carries on with next: once the server has it, or after 1.5 s at most.
  // keepalive lets the report outlive a page that navigates away.
  var stepForm = document.getElementById("step-form");
  var report = function (step, next) {
    var called = false;
    var go = function () {
      if (called) return;
      called = true;
      if (next) next();
    };
    if (!stepForm || !window.fetch) return go();
    var body = new URLSearchParams(new FormData(stepForm));
    body.set("step", step);
    fetch(stepForm.action, { method: "POST", body: body, credentials: "same-origin", keepalive: true }).then(go, go);
    setTimeout(go, 1500);
  };

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
    report("device_data.started", function () {
      setTimeout(function () { finish(""); }, 10000);
      ddc.submit();
    });
  }

  var challenge = document.getElementById("challenge-form");
  if (challenge) report("challenge.shown", function () { challenge.submit(); });

  // Inside a merchant's iframe, leaving for the provider's page takes the
  // whole window, and browsers allow that only on the shopper's click: the
  // button stays visible instead of moving on by itself.
  var framed = window.top !== window;
  var redirect = document.getElementById("redirect-form");
  var redirectLink = document.getElementById("redirect-link");
  if (framed) {
    [redirect && redirect.querySelector("button"), redirectLink].forEach(function (el) {
      if (!el) return;
      el.classList.remove("nojs-only");
      // The click leaves at once; the report goes on its own (keepalive).
      el.addEventListener("click", function () { report("redirect.left"); });
    });
  } else {
    if (redirect) report("redirect.left", function () { redirect.submit(); });
    // A top-level redirect: replace this page so Back returns to the shop's
    // checkout rather than bouncing to the provider again.
    if (redirectLink) report("redirect.left", function () { window.location.replace(redirectLink.href); });
  }

  var parentLink = document.getElementById("to-parent");
  if (parentLink) window.parent.location.href = parentLink.href;
})();
