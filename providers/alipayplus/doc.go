// Package alipayplus is the adapter for an Alipay+ wallet's Mini Program
// OpenAPI (the wallet side of the Alipay+ family: GCash, TNG and other
// super apps) for cashier payments: the merchant creates the order with
// pay, the shopper pays on the wallet's cashier page, and the wallet
// reports the result by notifyPayment and inquiryPayment. The wire
// contract it shares with the sandbox is WIRE.md in this folder; the facts
// behind it are PROVIDERS.md section 5 (and 3.1 for the signature) and
// seed 004.
//
// A payment takes these calls:
//
//  1. POST {PathPrefix}/v1/payments/pay with paymentRequestId = our
//     payment id (the idempotency key), the amount as a minor-unit string,
//     the order (merchant, goods from the line items, buyer, env), a
//     paymentExpiryTime (Config.PaymentExpiry, 15 minutes), our notify URL
//     and our return URL. S (SUCCESS, or REPEAT_REQUEST for an order that
//     already exists) means the order was accepted and comes with
//     redirectActionForm: the shopper's browser goes to the cashier, by a
//     top-level GET (method GET) or an auto-submitting form (method POST).
//     S without a form is pending. F is final: the order was not created,
//     and the Decline carries our code with a shopper message per wallet
//     code. U is pending.
//  2. The shopper approves, declines or cancels at the cashier. The wallet
//     notifies us and sends the browser back to our return URL; nothing the
//     browser brings back is trusted.
//  3. Continue (after the browser's return) and Inquire ask
//     inquiryPayment by paymentRequestId: SUCCESS is succeeded, FAIL is
//     failed with its code mapped like pay's, CANCELLED is failed (see
//     below), PROCESSING is pending. ORDER_NOT_EXIST means pay never
//     created the order, once the payment is older than
//     Config.NotFoundAfter (10 minutes; until then it is pending). An answer
//     about another paymentRequestId, paymentId or amount is an error.
//  4. Notification verifies a notifyPayment (the wallet's signature over
//     the notify request's URI, our Client-Id and its Request-Time) before
//     reading it, and answers the family's exact S SUCCESS acknowledgement.
//
// Every request is signed with the merchant's key (providers/alipaysign)
// over "POST <PathPrefix>/v1/payments/<api>", our Client-Id and an
// ISO-8601 Request-Time; every answer's signature (Response-Time, the same
// Client-Id) is verified with the wallet's key before it is read. An
// answer that does not verify, is not HTTP 200, or cannot be read is an
// error: the outcome is unknown and the Service inquires.
//
// The payment's ProviderData holds "payment_id" (the wallet's paymentId,
// also the ProviderRef), "payment_status" (the last state seen: ACCEPTED
// for pay's S, then SUCCESS, FAIL, PROCESSING or CANCELLED) and
// "result_code" (the last result or fail code seen).
//
// Mapping of wallet codes (mapping.go): PAYMENT_AMOUNT_EXCEED_LIMIT is
// limit_exceeded, USER_BALANCE_NOT_ENOUGH insufficient_funds,
// USER_NOT_EXIST and USER_STATUS_ABNORMAL not_supported (each with its
// own message); the merchant's configuration and protocol problems
// (INVALID_SIGNATURE, INVALID_CLIENT, INVALID_CLIENT_STATUS,
// PARTNER_NOT_EXIST, FUNCTION_NOT_MATCH, NO_INTERFACE_DEF,
// MSG_PARSE_ERROR, PARAM_ILLEGAL, ACCESS_DENIED, KEY_NOT_FOUND, ...) are
// processing_error: the order was not created, so they are final, and the
// shopper is told the wallet cannot take the payment right now.
// PROCESS_FAIL is card_declined, RISK_REJECT fraud_suspected (with a
// message that does not say so), ORDER_IS_CLOSED processing_error; any
// other F code is card_declined with a generic wallet message. Every
// Decline.Message is ours, never the wallet's resultMessage.
//
// What is verified, from the seed, or inferred:
//
//   - [V] (PROVIDERS.md 3.1, 5.2, 5.4; alipay/global-open-sdk-go): the
//     family signature and its headers, the answer's Response-Time
//     signature, the result object, inquiryPayment's request and its
//     paymentStatus values, the notifyPayment body and its exact
//     acknowledgement, ORDER_NOT_EXIST and the family's common codes.
//   - [S] (seed 004): the pay request (productCode 51051000101000000011,
//     paymentRequestId at most 64, paymentAmount with a string value,
//     order with merchant, goods, buyer and env, paymentExpiryTime,
//     paymentNotifyUrl at most 1024), its answer (paymentId, paymentTime,
//     redirectActionForm{method, redirectionUrl}), S/F/U and the pay error
//     codes, REPEAT_REQUEST being S, ISO-8601 times.
//   - [I] (inferred, shared with the sandbox by the contract): the points
//     listed next.
//
// Inferred behaviour [I]:
//
//   - the string to sign, as in the rest of the family; the signed path
//     is the path relative to BaseURL (PathPrefix + /v1/payments/...),
//     which is the request line's path on a wallet host;
//   - the answer and the notification carry the merchant's own Client-Id
//     (the id the wallet gave it), which must match ours;
//   - a notification is verified over the request URI as received and,
//     when it has a query, over its path alone;
//   - answers are HTTP 200 (anything else is an error);
//   - the return URL travels as "paymentRedirectUrl" (Antom's name for
//     it): the seed defines no return field;
//   - goods is sent as an array, one entry per line item, with
//     referenceGoodsId "1", "2", ..., goodsName, goodsQuantity and
//     goodsUnitAmount (the seed's example shows a single object);
//   - env carries terminalType "WEB", osType IOS or ANDROID when the user
//     agent says so, clientIp, userAgent and deviceLanguage;
//   - referenceMerchantId is Config.MerchantID (the ClientID when empty);
//     merchantName and merchantDisplayName are both Config.MerchantName;
//     referenceOrderId is the merchant's reference (our payment id when
//     it has none or it does not fit 64 characters); orderDescription is
//     the description, else the reference, else "Payment to <merchant>";
//   - a POST redirectActionForm without parameters becomes a form whose
//     fields are the URL's query pairs, the URL keeping its query too (a
//     cashier that reads either finds them); parameters may be a JSON
//     object or a string holding one; an empty method is GET, and GET
//     parameters are added to the URL's query; redirectUrl (Antom's
//     spelling) is read when redirectionUrl is absent;
//   - F REPEAT_REQ_INCONSISTENT is pending, not failed: an order under our
//     paymentRequestId exists (a retry that differed), and only the
//     inquiry can tell its state;
//   - CANCELLED (the shopper cancelled at the cashier) is failed with
//     card_declined, the most honest of our codes (the payment was
//     declined, by the shopper), and the message "You cancelled the
//     payment in your wallet. No money was taken.";
//   - inquiryPayment may answer paymentResult instead of, or beside,
//     paymentStatus (S success, F fail, U processing, as in the Alipay+
//     acquirer APIs); the reason of a failure is paymentResult.resultCode
//     when F, else paymentFailReason, read as a string or as an object
//     with resultCode; an unknown paymentStatus is pending; an inquiry F
//     other than ORDER_NOT_EXIST is an error (the query failed, not the
//     payment), and U is pending;
//   - the notification's event id is "<paymentId>:<resultStatus>:<resultCode>".
//
// The adapter never logs. Its errors start with "alipayplus:" and carry the
// operation, the HTTP status and cleaned result codes, never keys, bodies,
// signatures or the wallet's message texts.
package alipayplus
