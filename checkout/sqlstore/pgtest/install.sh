#!/usr/bin/env bash
# Installs Debian's PostgreSQL server binaries when they are missing (the
# tests start a throwaway cluster of their own with them; nothing is
# started here). With CI set, a machine where they cannot be installed
# fails the run.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null; then
	exit 0
fi
if [ -n "${CHECKOUT_TEST_DATABASE_URL:-}" ]; then
	exit 0 # the tests use that database
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
	echo "pgtest: installing Debian's postgresql" >&2
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
	# The package's own cluster is not used: the tests start theirs.
	exit 0
fi
echo "pgtest: PostgreSQL (initdb, pg_ctl) is not installed and cannot be installed here; install it or set CHECKOUT_TEST_DATABASE_URL" >&2
[ -n "${CI:-}" ] && exit 1
exit 0
