// Package load is the load generator of SECURITY.md R36 with the
// reconciliation of R37: TestLoad (load_test.go), with TestReconcileFindsProblems
// and TestScanFindsCardData showing that its checks can fail. Its shoppers
// also drive make bench (TestBench, bench_test.go: the page against a plain
// handler, payments per provider, own server time, SQL per payment and
// peak RSS, for each store; see its doc comment and the README's
// Performance section).
//
// TestLoad drives one app in this process; TestLoadOnFleet (fleet_test.go)
// drives the same mix, with the same checks, through three instances on
// one PostgreSQL database behind a round-robin load balancer (e2e/fleet),
// SIGKILLs one of them once a quarter of the sessions are done and starts
// it again; see below.
//
// TestLoad starts the whole app in-process, as the e2e suite does (sandbox
// mode on 127.0.0.1:0, a temporary SQLite database, JSON logs at debug level
// to a temporary file), and drives N shoppers over real HTTP, C at a time,
// each with its own cookie jar and no JavaScript: the test plays the page
// scripts (browser data, device data collection, challenge and redirect
// forms) the way the providers' conformance tests do. Every session goes
// the whole way: created through the merchant API with the demo key, the
// hosted page, the card / wallet / saved-card form, then whatever the status
// page asks for (device data collection, a challenge answered with the code
// the shared test-card table implies, a redirect to the provider's 3-D
// Secure page, the wallet's cashier, the add-card page for a shopper's first
// saved card) until the result page, polling while it says "pending" (the
// 0119 and 0259 rows settle through reconciliation), and finally the
// merchant's confirmation through the API. The mix covers payOrder,
// Worldline and Antom cards from the shared table, the Alipay+ wallet
// (approve, decline, cancel, insufficient balance, over the limit) and BBMSL
// saved cards. Every tenth shopper double-clicks Pay (two submits at once).
//
// After the run the test fails on any HTTP error a shopper got (a 5xx, any
// 4xx, a transport error) or the app's log shows outside the sandboxes, on
// any session whose final state is not the one its card and flow imply
// (checked on the result page, through the merchant API and in the sandbox
// ledger), on a lost answer (0119, 0259) that was not settled by an inquiry,
// on any difference between what the shoppers saw and the payments table
// (missing, duplicate, conflicting duplicate, mismatch, orphan), on any
// sandbox ledger that disagrees with the database (charged once for a paid
// payment, never for a failed one, never twice), on a provider notification
// that was not acknowledged, and on any test card number or typed security
// code found in the database, its WAL or shared-memory file, or the log.
//
// A double-clicked Pay that makes a second attempt fails the run (see
// doubleClickGap in reconcile_test.go). A payment that went pending because
// a provider call timed out on a starved machine and then failed with
// nothing charged is reported, and fails the run only with -load.strict.
//
// On the fleet, every instance is a child process in live mode; every
// provider's sandbox and the merchant's webhook endpoint run in the test
// process, so their ledgers and inbox outlive any instance. A request cut
// by the kill is sent again by its shopper (a reload, the browser's
// "resubmit the form"; the merchant's client retries its POST under the
// same Idempotency-Key). A payment whose instance died before the shopper
// got its challenge or redirect can never be finished: the sandboxes then
// expire it after e2e/fleet's ActionTimeout, as providers do, and it must
// fail with nothing charged. On top of the checks above, every payment's
// merchant webhooks must arrive, each event under one webhook-id, none
// twice at the same time, although the merchant refuses the first attempt
// of every fourth; the card-data scan reads every file of the PostgreSQL
// cluster and every instance's log.
//
// It prints throughput, end-to-end p50/p95/p99 and per-step latencies with
// t.Logf (go test -v), and writes them to -load.report when set (JSON when
// the name ends in .json, text otherwise).
//
// Commands:
//
//	go test ./e2e/load -count=1 -v                                  # the short run (40 sessions), as in go test ./...
//	go test ./e2e/load -run TestLoad -count=1 -v -load.n=200        # the full run, on one app and on the fleet
//	go test ./e2e/load -run TestLoadOnFleet -count=1 -v             # the fleet alone
//	go test ./e2e/load -run TestLoad -count=1 -v -load.n=1000 -load.c=64 -load.report=load.json
//
// Flags:
//
//	-load.n       sessions in the run (default 200); without it the run is the short one
//	-load.c       concurrent shoppers (default 32)
//	-load.short   force the short run (40 sessions unless -load.n is given); also implied by -short
//	-load.report  write the figures to this file as well
//	-load.strict  fail on the reported starved-timeout case too
//
// The short run is what CI runs as part of go test ./... (it is never
// skipped). It takes about 15 s on two cores, most of it waiting: the 0259
// card makes payOrder hang for the whole provider timeout (5 s), then the
// first inquiry comes 2 s later and the pending page reloads every 2 s.
package load
