# The two commands of the README: `make run` and `make test`.

.PHONY: run test generate check fuzz load bench

# Serve on 127.0.0.1:8080 in sandbox mode (same as `go run .`).
run:
	go run .

# The e2e journeys that run a second time with the app on PostgreSQL:
# every provider, every row of the test-card table, the dashboard's story.
PG_JOURNEYS = TestTestCardTable|TestWorldlineJourneys|TestAntomJourneys|TestWalletJourneys|TestSavedCard|TestDashboardFindsAChallengePayment

# Everything CI runs: generated code and formatting are current, vet is
# clean, then every test including the Playwright journeys in headless
# Chromium. e2e/setup.sh installs Chromium and the Playwright driver when
# they are missing.
# `go test ./...` includes web's TestGeneratedClientCompiles: a Go client
# generated from /openapi.json (oapi-codegen, fetched through the module
# proxy) must compile; with CI set, a generator that cannot be fetched
# fails the run instead of skipping. -timeout 20m: the e2e package (about
# a minute and a half on a quiet machine) has passed go test's default 10
# minutes on a busy two-core one, and a timeout shows less than a failure.
test: check
	@bash checkout/sqlstore/pgtest/install.sh
	@driver=$$(bash e2e/setup.sh) && \
	PLAYWRIGHT_DRIVER_PATH="$$driver" go test -count=1 -timeout 20m ./... && \
	echo "e2e journeys on PostgreSQL" && \
	CHECKOUT_E2E_STORE=postgres PLAYWRIGHT_DRIVER_PATH="$$driver" go test -count=1 -timeout 10m ./e2e -run '$(PG_JOURNEYS)'
	FUZZTIME=2s bash e2e/fuzz.sh

# Every fuzz target for longer (FUZZTIME per target, 30s by default).
fuzz:
	FUZZTIME=$${FUZZTIME:-30s} bash e2e/fuzz.sh

# The full load run: 200 shoppers over every provider and the card table,
# on one app and on a fleet of three instances.
load:
	@bash checkout/sqlstore/pgtest/install.sh
	go test ./e2e/load -run TestLoad -count=1 -v -load.n=200

# The benchmark: the hosted page against a plain handler, full payments per
# provider at 16 shoppers, our own server time, SQL per payment and peak
# RSS, for SQLite (synchronous FULL and NORMAL) and PostgreSQL side by side.
# The report goes to BENCH_REPORT (bench.json); BENCH_COMPARE=earlier.json
# prints an earlier run's columns beside this one's. BENCH_TIME is each
# measurement's length; BENCH_PROFILE=DIR keeps the server's CPU profiles
# of the page run and of each provider's run (go tool pprof
# DIR/sqlite-full-page.pprof, DIR/sqlite-full-payorder.pprof...), and the
# report lists where the page's and Worldline's CPU went.
BENCH_REPORT ?= bench.json
BENCH_TIME ?= 5s
bench:
	@bash checkout/sqlstore/pgtest/install.sh
	go test ./e2e/load -run '^TestBench$$' -count=1 -v -timeout 30m -perf.full -perf.time=$(BENCH_TIME) \
		-perf.report=$(abspath $(BENCH_REPORT)) $(if $(BENCH_COMPARE),-perf.compare=$(abspath $(BENCH_COMPARE))) \
		$(if $(BENCH_PROFILE),-perf.profile=$(abspath $(BENCH_PROFILE)))

# Regenerate the templ components (the _templ.go files are committed).
generate:
	go tool templ generate

check:
	@go tool templ generate >/dev/null 2>&1 || { echo "templ generate failed"; go tool templ generate; exit 1; }
	@if [ -d .git ] && [ -n "$$(git status --porcelain -- '*_templ.go')" ]; then \
		echo "generated templ code was stale; commit the regenerated files:"; git status --porcelain -- '*_templ.go'; exit 1; fi
	@unformatted=$$(gofmt -l $$(find . -name '*.go' -not -path './.cache/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	go vet ./...
