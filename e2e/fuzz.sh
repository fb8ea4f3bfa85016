#!/usr/bin/env bash
# Runs every native Go fuzz target (SECURITY.md R40) for a short time each:
#
#   bash e2e/fuzz.sh                 # every package that has a Fuzz* function
#   bash e2e/fuzz.sh ./providers/... # only these packages
#   FUZZTIME=30s bash e2e/fuzz.sh    # longer runs (default 3s per target)
#
# For each package it builds one instrumented test binary (`go test -c
# -fuzz`, what `go test -fuzz` builds), lists its targets with
# `-test.list '^Fuzz'`, then runs each one alone with `-test.fuzz
# '^Name$'` in the package's directory and go's own fuzz cache, as `go test
# -run '^$' -fuzz '^Name$'` would, without linking the binary again for
# every target. It prints one line per target and a total, and exits
# non-zero when any target fails or a package does not build.
#
# A failing target writes its input under the package's testdata/fuzz/,
# where `go test ./...` would then run it as a seed and fail until the bug
# is fixed. So that a short local run does not leave the tree failing, new
# inputs are moved to FUZZ_CRASHERS (default: a fresh directory under
# $TMPDIR) and the summary says where; FUZZ_KEEP_CRASHERS=1 leaves them in
# testdata/fuzz to be committed as regression seeds once the bug is fixed.
#
# A run that fails only with "context deadline exceeded" and writes no
# input is Go 1.26's own deadline race (go.dev/issue/75804): the target is
# run once more, and reported as flaky, not failed, if it happens again.
#
# Other settings: FUZZMINIMIZETIME (default 10s) bounds the minimization of
# a failing input; GOFLAGS and the usual go environment apply.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 1

fuzztime=${FUZZTIME:-3s}
minimizetime=${FUZZMINIMIZETIME:-10s}
keep=${FUZZ_KEEP_CRASHERS:-0}
crashers=${FUZZ_CRASHERS:-}
logs=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-logs.XXXXXX") || exit 1
bins=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-bin.XXXXXX") || exit 1
trap 'rm -rf "$bins"' EXIT
# Where `go test -fuzz` keeps what it learned (GOCACHE/fuzz/<package>).
cache=$(go env GOCACHE)/fuzz

say() { printf '%s\n' "$*"; }

# Packages: those given, else every directory whose tests define a Fuzz*
# function (cheaper than compiling every test binary to list it).
if [ $# -gt 0 ]; then
	mapfile -t pkgs < <(go list "$@") || exit 1
else
	mapfile -t dirs < <(grep -rl --include='*_test.go' -E '^func Fuzz[A-Z0-9_]' . 2>/dev/null |
		grep -v -e '/\.cache/' -e '/node_modules/' -e '/vendor/' | xargs -r -n1 dirname | sort -u)
	pkgs=()
	for d in "${dirs[@]}"; do
		pkgs+=("$(go list "$d")") || exit 1
	done
fi
if [ ${#pkgs[@]} -eq 0 ]; then
	say "fuzz: no packages with fuzz targets"
	exit 1
fi

# snapshot lists the inputs under a package's testdata/fuzz/<target>.
snapshot() { find "$1/testdata/fuzz/$2" -type f 2>/dev/null | sort; }

# run fuzzes one target into $log, and says in $note where a failing input
# went. It returns 0 when it passed, 1 when it failed, and 2 when the only complaint is "context deadline exceeded" with
# no failing input written: Go 1.26's fuzz coordinator can report its own
# -fuzztime deadline as a failure (go.dev/issue/75804, fixed in Go 1.27).
run() {
	local pkg=$1 dir=$2 name=$3 before new
	note=""
	before=$(snapshot "$dir" "$name")
	(cd "$dir" && "$bin" -test.paniconexit0 -test.run '^$' -test.fuzz "^${name}\$" -test.fuzztime "$fuzztime" \
		-test.fuzzminimizetime "$minimizetime" -test.fuzzcachedir "$cache/$pkg") >"$log" 2>&1 && return 0
	new=$(comm -13 <(printf '%s\n' "$before") <(snapshot "$dir" "$name") | sed '/^$/d')
	if [ -z "$new" ] && grep -qx '    context deadline exceeded' "$log" && ! grep -qE -e '--- FAIL: .*/' -e '^panic:' "$log"; then
		return 2
	fi
	[ -z "$new" ] && return 1
	if [ "$keep" = 1 ]; then
		note="failing input kept in testdata: $(printf '%s ' $new)"
		return 1
	fi
	crashers=${crashers:-$(mktemp -d "${TMPDIR:-/tmp}/fuzz-crashers.XXXXXX")}
	local dest="$crashers/${pkg//\//_}/$name" file
	mkdir -p "$dest"
	for file in $new; do
		mv "$file" "$dest/"
	done
	rmdir -p "$dir/testdata/fuzz/$name" 2>/dev/null
	note="failing input moved to $dest (copy it to $dir/testdata/fuzz/$name/ to reproduce with go test -run '$name/<file>')"
	return 1
}

start=$(date +%s)
targets=0
failed=0
flaky=0
failures=()
for pkg in "${pkgs[@]}"; do
	dir=$(go list -f '{{.Dir}}' "$pkg") || { failed=$((failed + 1)); failures+=("$pkg (go list)"); continue; }
	bin="$bins/${pkg//\//_}.test"
	if ! listing=$(go test -c -fuzz . -o "$bin" "$pkg" 2>&1 && "$bin" -test.list '^Fuzz' 2>&1); then
		say "FAIL  $pkg: does not build"
		printf '%s\n' "$listing" | sed 's/^/      /' | tail -20
		failed=$((failed + 1))
		failures+=("$pkg (build)")
		continue
	fi
	mapfile -t names < <(printf '%s\n' "$listing" | grep -E '^Fuzz[A-Za-z0-9_]*$')
	for name in "${names[@]}"; do
		targets=$((targets + 1))
		log="$logs/${pkg//\//_}.$name.log"
		t0=$(date +%s)
		run "$pkg" "$dir" "$name"
		rc=$?
		if [ $rc -eq 2 ]; then
			say "retry $pkg $name: Go's fuzztime deadline race (go.dev/issue/75804), no failing input"
			run "$pkg" "$dir" "$name"
			rc=$?
		fi
		secs=$(($(date +%s) - t0))
		case $rc in
		0) say "ok    $pkg $name (${secs}s)" ;;
		2)
			flaky=$((flaky + 1))
			say "flaky $pkg $name (${secs}s): the deadline race twice, no failing input; log: $log"
			;;
		*)
			failed=$((failed + 1))
			failures+=("$pkg $name")
			say "FAIL  $pkg $name (${secs}s)"
			grep -E -v '^fuzz: elapsed|^(FAIL|exit status|ok) ' "$log" | head -30 | sed 's/^/      /'
			[ -n "$note" ] && say "      $note"
			say "      full log: $log"
			;;
		esac
	done
done

total=$(($(date +%s) - start))
say "fuzz: $targets targets in ${#pkgs[@]} packages, ${fuzztime} each, ${total}s in all; $failed failed, $flaky flaky"
for f in "${failures[@]}"; do
	say "      failed: $f"
done
[ $failed -eq 0 ] && [ $targets -gt 0 ]
