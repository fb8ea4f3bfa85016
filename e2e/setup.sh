#!/usr/bin/env bash
# Installs what the browser tests need on a fresh Debian machine and prints
# the Playwright driver directory:
#   - Debian's chromium (/usr/bin/chromium); tools that download their own
#     browser cannot reach the network here;
#   - the Playwright driver 1.52.0 that playwright-go v0.5200.x speaks to: a
#     folder holding `node` (a link to the system node) and `package/`
#     (npm's playwright-core@1.52.0).
# It fails, naming what is missing, when it cannot install something.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
driver_version=1.52.0
driver_dir=${PLAYWRIGHT_DRIVER_PATH:-$root/.cache/playwright-driver-$driver_version}
chromium=${CHECKOUT_CHROMIUM:-/usr/bin/chromium}

say() { echo "e2e/setup: $*" >&2; }

apt_install() {
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		say "missing $*; install it (Debian: apt-get install $*) and run again"
		exit 1
	fi
	say "installing $* with apt-get"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

if [ ! -x "$chromium" ]; then
	apt_install chromium
fi
[ -x "$chromium" ] || { say "no browser at $chromium"; exit 1; }

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	apt_install nodejs npm
fi

installed=""
if [ -f "$driver_dir/package/package.json" ]; then
	installed=$(node -p "require('$driver_dir/package/package.json').version" 2>/dev/null || true)
fi
if [ "$installed" != "$driver_version" ]; then
	say "installing playwright-core@$driver_version from npm into $driver_dir"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && npm pack --silent "playwright-core@$driver_version" >/dev/null)
	rm -rf "$driver_dir/package"
	mkdir -p "$driver_dir"
	tar -xzf "$tmp/playwright-core-$driver_version.tgz" -C "$driver_dir"
fi
ln -sf "$(command -v node)" "$driver_dir/node"
"$driver_dir/node" "$driver_dir/package/cli.js" --version >/dev/null || { say "the driver in $driver_dir does not run"; exit 1; }
echo "$driver_dir"
