// Package payorder is the adapter for the 33 Fintech "Payment Order" API, a
// front end to Access Worldpay whose 3-D Secure runs through Cardinal
// Commerce.
//
// A payment takes these calls: createPayer, createOrder (order_sn is our
// payment id, the idempotency key), two Access Worldpay Checkout sessions
// (card and CVC), checkoutOrder (which hands back the device data collection
// JWT), then, after the browser's device data collection, payOrder; after a
// challenge, the verification service; queryOrder resolves unknown outcomes.
//
// What is verified and what is inferred (see PROVIDERS.md section 1):
//
//   - Verified: the service names createPayer, createOrder, checkoutOrder,
//     payOrder and queryOrder and their documented fields; bizContent
//     encrypted with AES-128-ECB/PKCS5Padding under the merchant's key and
//     base64-encoded; "sign" = base64 SHA256withRSA (RSA-2048) over the
//     plaintext bizContent JSON, merchant key for requests, platform key for
//     responses; the {status, errorCode, errorMessage, data} wrapper; the
//     payOrder data (outcome, transactionReference, authentication, challenge)
//     and the ECI table; Access Worldpay Checkout sessions and Cardinal's
//     device data collection and challenge mechanics.
//   - Inferred (configurable where a name is involved): one endpoint
//     BaseURL+APIPath ("/api") for every service; the merchantId envelope
//     field; "sign" sent both as a header and a body field; responses sealed
//     the same way as requests; the outcome vocabulary (created, initialized,
//     challenged, authorized, refused, authenticationFailed, failed) and
//     ISO-8583 style refusal codes; the error codes; checkoutOrder returning
//     deviceDataCollection; the extra payOrder fields (returnUrl, challenge
//     window and preference, browser data); the verification service
//     (Config.VerifyService, "verifyOrder"); the Checkout "identity" being
//     Config.CheckoutID.
//
// The adapter never logs. Its errors carry the service name, HTTP status and
// gateway error code, never card data, keys or response bodies.
package payorder
