#!/usr/bin/env bash
# Installs what the browser tests need on a fresh Debian machine and prints
# the Playwright driver directory:
#   - Debian's chromium-headless-shell (/usr/bin/chromium-headless-shell):
#     the Chromium of Debian's `chromium` package built as the headless
#     shell, which is what Playwright itself runs for headless Chromium; it
#     plays the same pages for about half the CPU of the full browser in
#     headless mode. Tools that download their own browser cannot reach the
#     network here;
#   - the Playwright driver 1.52.0 that playwright-go v0.5200.x speaks to: a
#     folder holding `node` (a link to the system node) and `package/`
#     (npm's playwright-core@1.52.0);
#   - a Japanese font (Debian's fonts-ipafont-gothic) for the ja pages;
#   - beside it, `axe-core/` (npm's axe-core, pinned with its integrity),
#     which the accessibility checks inject into pages (e2e TestScreens);
#   - Debian's openssl, which the signed-return tests check against (web
#     TestSignedReturns);
#   - qa/playwright/node_modules/playwright-core, a link to the driver's
#     package/, for the JavaScript kit's example spec.
# It fails, naming what is missing, when it cannot install something.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
driver_version=1.52.0
axe_version=4.14.1
axe_integrity=sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ==
driver_dir=${PLAYWRIGHT_DRIVER_PATH:-$root/.cache/playwright-driver-$driver_version}
chromium=${CHECKOUT_CHROMIUM:-/usr/bin/chromium-headless-shell}

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
	apt_install chromium-headless-shell
fi
[ -x "$chromium" ] || { say "no browser at $chromium"; exit 1; }

# A Japanese and an Arabic font: without them the browser draws the ja and
# ar pages (and their screenshots, e2e TestScreens -screens) as empty boxes.
if ! fc-list :lang=ja 2>/dev/null | grep -q .; then
	apt_install fontconfig fonts-ipafont-gothic
fi
fc-list :lang=ja | grep -q . || { say "no Japanese font (Debian: fonts-ipafont-gothic)"; exit 1; }
if ! fc-list :lang=ar 2>/dev/null | grep -q .; then
	apt_install fontconfig fonts-dejavu-core
fi
fc-list :lang=ar | grep -q . || { say "no Arabic font (Debian: fonts-dejavu-core)"; exit 1; }

# openssl: web TestSignedReturns checks return signatures with it, and
# runs the README's shell verification (Debian's base image lacks it).
if ! command -v openssl >/dev/null; then
	apt_install openssl
fi
command -v openssl >/dev/null || { say "no openssl"; exit 1; }

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

# axe-core, beside the driver: the e2e tests read axe-core/axe.min.js.
axe_dir=$driver_dir/axe-core
installed=""
if [ -f "$axe_dir/package.json" ]; then
	installed=$(node -p "require('$axe_dir/package.json').version" 2>/dev/null || true)
fi
if [ "$installed" != "$axe_version" ]; then
	say "installing axe-core@$axe_version from npm into $axe_dir"
	tmp_axe=$(mktemp -d)
	# npm pack checks the tarball against the registry's integrity; we check
	# the registry's answer against the pinned one.
	got=$(cd "$tmp_axe" && npm pack --silent --json "axe-core@$axe_version" | node -e \
		'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].integrity))') ||
		{ rm -rf "$tmp_axe"; say "could not download axe-core@$axe_version from npm"; exit 1; }
	if [ "$got" != "$axe_integrity" ]; then
		rm -rf "$tmp_axe"
		say "axe-core@$axe_version has integrity $got, want $axe_integrity"
		exit 1
	fi
	rm -rf "$axe_dir"
	mkdir -p "$tmp_axe/x"
	tar -xzf "$tmp_axe/axe-core-$axe_version.tgz" -C "$tmp_axe/x"
	mv "$tmp_axe/x/package" "$axe_dir"
	rm -rf "$tmp_axe"
fi
[ -s "$axe_dir/axe.min.js" ] || { say "no axe-core at $axe_dir/axe.min.js"; exit 1; }

ln -sf "$(command -v node)" "$driver_dir/node"
# The JavaScript kit's example spec (qa/playwright, run by its spec_test.go)
# imports playwright-core: the driver's package/ is npm's
# playwright-core@1.52.0, so link it rather than download it again.
mkdir -p "$root/qa/playwright/node_modules"
ln -sfn "$driver_dir/package" "$root/qa/playwright/node_modules/playwright-core"
"$driver_dir/node" "$driver_dir/package/cli.js" --version >/dev/null || { say "the driver in $driver_dir does not run"; exit 1; }
echo "$driver_dir"
