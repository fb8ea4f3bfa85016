// Package bbmsl is the adapter for BBMSL's PayAPI online tokenization
// (Hong Kong): saved cards. The shopper types a card once on BBMSL's hosted
// add-card page (3-D Secure runs there), and the merchant then charges the
// token server to server with tokenization/sale, or tokenization/recurring
// after a recurring sale. The wire contract it shares with the sandbox
// (providers/bbmsl/sandbox) is WIRE.md in this folder; the facts behind it
// are PROVIDERS.md section 2 and seed 001, whose JSON examples are in
// testdata/.
//
// The adapter implements checkout.Provider (saved_card payments in HKD and
// USD, captured at once), checkout.CardVault (AddCard, SavedCards,
// DeleteSavedCard), checkout.Canceler (void) and checkout.Notifier.
//
// Every call is a POST of {"request":"<business JSON as a string>",
// "signature":"<base64 SHA256withRSA>"} whose signature covers exactly the
// bytes of the request string as sent, made with the merchant's private
// key. Answers are unsigned JSON with a responseCode ("0000" is success);
// each code gets its meaning in one function (meaningOf), each order state
// its outcome in another (mapOrder). Amounts travel as major-unit JSON
// numbers with two decimals, converted from minor units through strings,
// never floats (FormatAmount, ParseAmount).
//
// The calls:
//
//  1. AddCard: tokenization/add-token with userId = the customer key,
//     callbackUrl {success: ReturnURL, fail and cancel: CancelURL, notify}
//     and lang (zh-HK for Chinese locales, en otherwise); data is the page.
//  2. SavedCards: tokenization/query-token; active tokens only, each card
//     read from the masked number (BIN, last four), the card brand and the
//     expiry. DeleteSavedCard: tokenization/delete-token ("token not found"
//     is success).
//  3. Pay: tokenization/sale with merchantReference = our payment id (the
//     idempotency key), tokenId, currency, amount, email, callbackUrl.notify,
//     isRecurring = SetupRecurring and the line items (one line for the
//     total when they do not add up); with ParentProviderRef,
//     tokenization/recurring with parentOrderId instead. The ProviderRef is
//     order.id, which is what a later recurring charge sends as
//     parentOrderId.
//  4. Inquire and Continue: an order query by merchantReference
//     (hosted-checkout/query unless Config.QueryPath says otherwise).
//  5. Cancel: tokenization/void by merchantReference.
//  6. Notification: verifies BBMSL's signature over the other fields in
//     either canonical form before it reads anything.
//
// The payment's ProviderData holds "order_id" (also the ProviderRef),
// "order_status", "transaction_status" and "response_code": the last seen;
// never card data.
//
// What is verified, from the seed, or inferred:
//
//   - [V] (PROVIDERS.md 2; BBMSLHK/woocommerce-bbmsl-gateway,
//     common-repository/bbmsl-payment-gateway and
//     BBMSLHK/online-gateway-demoapp-android): hosts and paths; the
//     envelope and its signature; PKCS#8 keys and the bare-base64 key form;
//     add-token's fields and its data URL; query-token's list of {tokenId,
//     userId, maskedPan, cardBrand, cardSubBrand, expiryDate}; delete-token,
//     void, recurring and hosted-checkout/query fields; the order and
//     transaction statuses; responseCode "0000"; the messages "invalid
//     signature" and "no public key"; the notification's fields, its
//     signature over the sorted k=v string in two variants, and the "OK"
//     acknowledgement; userId being case-insensitive.
//   - [S] (seed 001): the sale request (priceData nested in each line item,
//     as the example has it), Number(9,2) amounts, String(64) ids, HKD and
//     USD, and the sale answer with order and transaction.
//   - [I] (inferred, shared with the sandbox by WIRE.md): the rest of the
//     responseCode catalogue (1001 invalid signature, 1002 no public key,
//     1003 invalid parameter, 2001 order not found, 2002 duplicate
//     merchantReference, 2003 token not found, 2004 invalid parent order,
//     2005 invalid order status, 50NN declines after the ISO 8583 answer,
//     9999 system error); that responses are unsigned; that a decline comes
//     as its code with the order (OPEN) and transaction (DECLINED, with
//     responseCode); that hosted-checkout/query finds token orders; that a
//     query or void answers the sale transaction in its current status; the
//     token status field and the YYYYMM expiryDate; recurring's optional
//     currency; notification "currency" and "responseCode" fields and the
//     DECLINED and VOIDED notifications; card types beyond VISA, MASTER,
//     MASTERCARD and ECMC.
//
// Outcomes: a transaction SUCCESS is succeeded, DECLINED or FAILURE failed
// with a decline code, VOIDED canceled, REFUNDED refunded, anything else
// pending. A sale PayAPI refused before making anything (1001, 1002, 1003,
// 2003, 2004) is failed with processing_error: nothing was charged. A
// duplicate merchantReference with another request (2002), an unknown
// code, a timeout, a 5xx, a non-JSON or code-less body, or an answer about
// another order, amount or currency is an error: the outcome is unknown and
// the Service resolves it by inquiry, where "order not found" is pending
// until Config.NotFoundAfter (10 minutes) and failed after.
//
// The adapter never logs. Its errors carry the operation, the HTTP status
// and the responseCode (only when it looks like one), never message texts,
// bodies, card data or keys.
package bbmsl
