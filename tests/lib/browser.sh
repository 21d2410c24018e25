# Sourced by tests/report.sh and bench/run.sh: Debian's chromium and
# playwright-core (the version tests/browser/package-lock.json pins, never
# a browser of its own) in cache/browser.  browser_setup returns non-zero
# after saying what is missing and how to install it.
browser_setup() {
	local root=$1 b=$1/cache/browser
	if ! command -v chromium >/dev/null; then
		echo "chromium is not installed: run 'sudo apt-get install -y chromium' (or scripts/deps.sh test as root)" >&2
		return 1
	fi
	if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
		echo "node and npm are needed: run 'sudo apt-get install -y nodejs npm'" >&2
		return 1
	fi
	if ! cmp -s "$root/tests/browser/package-lock.json" "$b/package-lock.json" ||
		[ ! -d "$b/node_modules/playwright-core" ]; then
		rm -rf "$b" && mkdir -p "$b"
		cp "$root/tests/browser/package.json" "$root/tests/browser/package-lock.json" "$b/"
		if ! (cd "$b" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >npm.log 2>&1); then
			echo "npm ci of playwright-core failed:" >&2
			tail -5 "$b/npm.log" >&2
			return 1
		fi
	fi
	cp "$root"/tests/browser/*.js "$b/"
}
