// Package antom is the adapter for Antom, Alipay's card acquiring service
// (/ams/api/v1/payments/*): card payments with 3-D Secure through pay and
// Antom's hosted 3DS page, then inquiryPayment, capture, cancel, refund and
// signed notifications. The wire contract it shares with the sandbox
// (providers/antom/sandbox) is WIRE.md in this folder; the facts behind it
// are PROVIDERS.md section 3 and seed 002, whose JSON examples are in
// testdata/.
//
// A payment takes these calls:
//
//  1. POST /ams/api/v1/payments/pay (/ams/sandbox/api/... for a SANDBOX_
//     Client-Id, as the SDK's AdjustSandboxUrl does) with productCode
//     CASHIER_PAYMENT, paymentRequestId = our payment id (Antom's
//     idempotency key), the amount as a minor-unit string, the order, the
//     shopper's browser (env, terminalType WEB), the card, paymentFactor
//     {isAuthorization, captureMode AUTOMATIC|MANUAL}, paymentNotifyUrl and
//     paymentRedirectUrl. S is final (succeeded; authorized with manual
//     capture), F a decline, U PAYMENT_IN_PROCESS with a normalUrl a
//     top-level redirect to Antom's 3DS page, any other U pending.
//  2. When the browser comes back to paymentRedirectUrl, Continue ignores
//     what it brings and asks inquiryPayment (by paymentRequestId) where the
//     payment is. Inquire does the same for payments whose outcome is
//     unknown.
//  3. Capture (captureRequestId "<payment id>-capture", the full amount),
//     Cancel (by paymentRequestId) and Refund (refundRequestId = the
//     refund's idempotency key, our refund id) move an authorized or paid
//     payment on. A refund Antom holds (U REFUND_IN_PROCESS) is pending;
//     InquireRefund asks POST /ams/api/v1/payments/inquiryRefund by
//     refundRequestId where it is: refundStatus SUCCESS, PROCESSING or
//     FAIL; F REFUND_NOT_EXIST (or ORDER_NOT_EXIST) is
//     checkout.ErrRefundNotFound, so the Service sends the refund again
//     under the same refundRequestId.
//  4. Notification verifies and reads notifyPayment, notifyCapture and
//     notifyRefund (REFUND_RESULT, a RefundNotice).
//
// Every request is signed with the merchant key (providers/alipaysign:
// Client-Id, Request-Time in epoch milliseconds, Key-Version 1, Signature
// over "POST <path>\n<Client-Id>.<Request-Time>.<body>", the path being the
// API path after the sandbox rewrite, without any path of BaseURL). Every
// answer's Response-Time signature is verified with the Antom public key,
// for our Client-Id, before the answer is read; an unsigned or mis-signed
// answer, like a timeout, an HTTP status other than 200 or an unreadable
// body, is an error: the outcome is unknown.
//
// The payment's ProviderData holds "payment_id" (Antom's paymentId, also
// the ProviderRef), "status" (the last payment status seen: SUCCESS, FAIL,
// PROCESSING, CANCELLED, PENDING), "result_code" (the last result code seen)
// and, after a capture, "capture_id"; never card data.
//
// What is verified, from the seed, or inferred:
//
//   - [V] (alipay/global-open-sdk-go, Antom docs; PROVIDERS.md 3.1 to 3.5):
//     hosts, paths and the SANDBOX_ rewrite; the headers and the string to
//     sign for requests, answers and notifications (the SDK verifies every
//     answer and reads no HTTP status); the pay, inquiryPayment, capture,
//     cancel and refund shapes (SDK request and response models, including
//     PaymentResultInfo, ThreeDSResult with cavv and dsTransactionId, and
//     Transaction); paymentStatus SUCCESS, FAIL, PROCESSING, CANCELLED,
//     PENDING; S/F/U; U PAYMENT_IN_PROCESS with normalUrl; idempotency by
//     paymentRequestId with REPEAT_REQ_INCONSISTENT; ORDER_NOT_EXIST;
//     notifyPayment (PAYMENT_RESULT, PAYMENT_PENDING) and notifyCapture
//     (CAPTURE_RESULT) bodies; the exact acknowledgement body;
//     inquiryRefund (the path in every Antom SDK's INQUIRY_REFUND_PATH;
//     request refundRequestId, refundId, merchantAccountId and answer
//     result, refundId, refundRequestId, refundAmount, refundStatus,
//     refundTime: global-open-sdk-go com/alipay/api/request/pay/
//     AlipayInquiryRefundRequest.go and response/pay/
//     AlipayInquiryRefundResponse.go); refundStatus SUCCESS, PROCESSING,
//     FAIL and refundId taking precedence over refundRequestId
//     (docs.antom.com ams/ir_online, ams/ir); notifyRefund with notifyType
//     REFUND_RESULT, result, refundStatus SUCCESS or FAIL, refundRequestId,
//     refundId, refundAmount, refundTime (request/notify/AlipayRefundNotify.go,
//     docs.antom.com ams/notify_refund); refundNotifyUrl on refund
//     (AlipayRefundRequest.go);
//     enableAuthenticationUpgrade as Antom 3DS-Retry.
//   - [S] (seed 002): the card pay request with its field names and string
//     values (expiryMonth "12", expiryYear "29", goodsQuantity "10"), env and
//     browserInfo, paymentFactor.isAuthorization, the S answer, the notify
//     sample spelling the CAVV "caav"; both spellings are read.
//   - [I] (inferred, shared with the sandbox by the contract): the
//     card-specific result codes beyond PROVIDERS.md's list (CARD_EXPIRED,
//     INSUFFICIENT_BALANCE, INVALID_CVV) and their meaning; treating access
//     and signature refusals (INVALID_SIGNATURE, INVALID_CLIENT,
//     KEY_NOT_FOUND, ACCESS_DENIED, MEDIA_TYPE_NOT_ACCEPTABLE,
//     METHOD_NOT_SUPPORTED, NO_INTERFACE_DEF) and REPEAT_REQ_INCONSISTENT as
//     errors, never declines; PARAM_ILLEGAL and PROCESS_FAIL on pay as
//     processing_error declines; risk refusals (RISK_REJECT, SUSPECTED_CARD)
//     as generic declines; threeDSInteractionMode CHALLENGE/FRICTIONLESS
//     giving the flow (absent: unknown); cardBrand upper-case network names;
//     a SUCCESS CAPTURE transaction meaning captured; U REFUND_IN_PROCESS as
//     a pending refund; REFUND_NOT_EXIST as inquiryRefund's "no such
//     refund" (the Alipay+ family's spelling; Antom's result-code table was
//     not found), with ORDER_NOT_EXIST read the same way; the failure code
//     of a failed refund's notification (the sandbox sends PROCESS_FAIL; a
//     failed inquiry has no code, so its provider code is "FAIL");
//     REFUND_RESULT's EventID "REFUND_RESULT:<refundId>:<resultStatus>:<resultCode>"; ORDER_NOT_EXIST being final only after NotFoundAfter
//     (10 minutes), since a pay that timed out may still be stored; the
//     EventID built as "<notifyType>:<paymentId or captureId>:<resultStatus>:<resultCode>",
//     so Antom's retries share it and a different result does not;
//     timeZoneOffset sent as JS getTimezoneOffset minutes and the languages
//     as the browser's BCP 47 tag; referenceGoodsId being the line's
//     position; the cardholder name split into first names and a last name.
//   - 3DS preference: is3DSAuthentication is true for automatic and
//     challenge_requested, false for no_challenge_requested, with
//     enableAuthenticationUpgrade always true so that Antom can still step
//     up when the issuer requires it (no preference should cost the sale).
//     Antom's pay has no challenge-indicator field [NF]: challenge_requested
//     is sent like automatic, and the issuer decides whether to challenge.
//
// Notifications are verified over the request URI exactly as received
// (NotificationRequest.RequestURI): a proxy that rewrites the notify path
// breaks them. A PAYMENT_RESULT S is reported as authorized whatever the
// capture mode, so that a notification can never pass for a capture; the
// Service uses notifications about payments in flight only as a trigger to
// inquire.
//
// The adapter never logs. Its errors carry the operation, the HTTP status
// and Antom's result status and code (only when they are upper-case words),
// never message texts, bodies, card data or keys. Should an answer carry
// the card number where the outcome would keep it (a URL, an id), the pay
// answer is refused as unknown.
package antom
