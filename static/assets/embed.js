// embed.js: a merchant page mounts a checkout in an iframe that fits its
// content and hears how it ended.
//
//   <div id="checkout"></div>
//   <script src="https://pay.example/embed.js"></script>
//   <script>
//     OpenCheckout.mount(document.getElementById("checkout"), sessionURL, {
//       onComplete: function (e) { /* e.status: succeeded, authorized, failed, expired...; e.session */ }
//     });
//   </script>
//
// The checkout only answers to origins its merchant allowed; the parent
// only listens to the checkout's own origin. Confirm the result on your
// server (GET the session, or the webhook): a browser message is a hint.
(function () {
  "use strict";
  window.OpenCheckout = {
    mount: function (el, url, opts) {
      opts = opts || {};
      var origin = new URL(url, window.location.href).origin;
      var frame = document.createElement("iframe");
      frame.src = url;
      frame.title = "Checkout";
      frame.setAttribute("allow", "payment");
      frame.style.width = "100%";
      frame.style.border = "0";
      frame.style.minHeight = "480px";
      el.appendChild(frame);
      window.addEventListener("message", function (e) {
        if (e.origin !== origin || e.source !== frame.contentWindow || !e.data || typeof e.data.type !== "string") return;
        if (e.data.type === "opencheckout:resize" && e.data.height > 0) {
          frame.style.height = Math.min(e.data.height, 4000) + "px";
        } else if (e.data.type === "opencheckout:complete" && opts.onComplete) {
          opts.onComplete({ status: String(e.data.status), session: String(e.data.session) });
        }
      });
      return frame;
    }
  };
})();
