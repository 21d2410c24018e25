#!/usr/bin/env bash
# gocore report: the HTML page of several test cores, loaded in Debian's
# headless chromium (driven by playwright-core, tests/browser/), checked
# against `gocore summary --json` and `overview --json` (which tests/e2e.sh
# and tests/commands.sh check against the runtime's own dumps).  A
# truncated core checks that the page shows its gaps as stderr does.
# Screenshots are kept under cache/report/.
#
# Needs the e2e caches (make e2e builds them), chromium (installed by
# scripts/deps.sh test when root) and npm (playwright-core, pinned in
# tests/browser/package-lock.json, installed into cache/browser).
set -uo pipefail
cd "$(dirname "$0")/.."
GOCORE=${GOCORE:-build/gocore}
OUT=cache/report
mkdir -p "$OUT"
pass=0 fail=0
ok() { echo "PASS $*"; pass=$((pass + 1)); }
bad() { echo "FAIL $*"; fail=$((fail + 1)); }

# shellcheck source=tests/lib/browser.sh
. tests/lib/browser.sh
if ! browser_setup "$PWD" 2>"$OUT/setup.err"; then
	echo "FAIL $(cat "$OUT/setup.err")"
	exit 1
fi
B=cache/browser

python3 tests/report_data.py --selftest >/dev/null && ok "report_data.py self-test" ||
	bad "report_data.py self-test"

# dir [label to search]
CORES=(
	"cache/e2e-go1.27/blocked"
	"cache/e2e/chans"
	"cache/e2e-go1.26/labels tenant=a"
	"cache/e2e-arm64-go1.27/chans"
	"cache/e2e-go1.27/many"
)
for entry in "${CORES[@]}"; do
	read -r dir label <<<"$entry"
	name=$(echo "$dir" | sed 's|cache/||; s|/|-|g')
	if [ ! -f "$dir/core" ] || [ ! -f "$dir/exe" ]; then
		bad "$name: $dir/core or exe missing (run make e2e first)"
		continue
	fi
	html=$OUT/$name.html
	rm -f "$html"
	"$GOCORE" report -o "$html" "$dir/core" "$dir/exe" 2>"$OUT/$name.err"
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 3 ] || [ ! -s "$html" ]; then
		bad "$name: gocore report exit $rc: $(head -3 "$OUT/$name.err")"
		continue
	fi
	"$GOCORE" summary --json "$dir/core" "$dir/exe" >"$OUT/$name.summary.json" 2>/dev/null
	"$GOCORE" overview --json "$dir/core" "$dir/exe" >"$OUT/$name.overview.json" 2>/dev/null
	"$GOCORE" threads --json "$dir/core" "$dir/exe" >"$OUT/$name.threads.json" 2>/dev/null
	"$GOCORE" waits --json "$dir/core" "$dir/exe" >"$OUT/$name.waits.json" 2>/dev/null
	# The embedded data, decoded, are the commands' own JSON.
	if python3 tests/report_data.py "$html" "$OUT/$name".{summary,overview,threads,waits}.json \
		>"$OUT/$name.data" 2>&1; then
		ok "$name: the page's data equal summary, overview, threads and waits --json ($(grep -c '^PASS' "$OUT/$name.data") checks)"
	else
		bad "$name: the page's data:"
		grep -v '^PASS' "$OUT/$name.data" | head -8 | sed 's/^/    /'
	fi
	# Self-contained: no address of anything outside the page.
	if grep -qiE '<(script|link|img|iframe)[^>]+(src|href)=|@import|url\(' "$html"; then
		bad "$name: the page refers to something outside itself"
	else
		ok "$name: no external reference in the page"
	fi
	if node "$B/check-report.js" "$html" "$OUT/$name.summary.json" "$OUT/$name.overview.json" \
		"$OUT/$name.png" $label >"$OUT/$name.check" 2>&1; then
		pass=$((pass + $(grep -c '^PASS' "$OUT/$name.check")))
		grep '^PASS' "$OUT/$name.check" | tail -2
	else
		pass=$((pass + $(grep -c '^PASS' "$OUT/$name.check")))
		fail=$((fail + 1))
		grep -v '^PASS' "$OUT/$name.check" | head -20 | sed 's/^/    /'
		echo "FAIL $name: the page's checks (above)"
	fi
done

# A truncated core: the page shows what stderr said.
src=cache/e2e-go1.27/blocked
name=truncated
if [ -f "$src/core" ]; then
	size=$(stat -c %s "$src/core")
	head -c $((size * 7 / 10)) "$src/core" >"$OUT/$name.core"
	"$GOCORE" report -o "$OUT/$name.html" "$OUT/$name.core" "$src/exe" 2>"$OUT/$name.err"
	rc=$?
	if [ $rc -ne 3 ]; then
		bad "$name: want exit 3 (gaps), got $rc: $(head -3 "$OUT/$name.err")"
	elif ! grep -q . "$OUT/$name.err"; then
		bad "$name: a truncated core but nothing on stderr"
	else
		ok "$name: exit 3, the gaps on stderr"
		GOCORE_GAPS="$OUT/$name.err" node - "$OUT/$name.html" "$OUT/$name.png" >"$OUT/$name.check" 2>&1 <<'EOF'
const fs = require("fs"), path = require("path");
const { chromium } = require(path.resolve("cache/browser/node_modules/playwright-core"));
const [html, shot] = process.argv.slice(2);
const said = fs.readFileSync(process.env.GOCORE_GAPS, "utf8").trim().split("\n");
(async () => {
  const b = await chromium.launch({ executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"] });
  const p = await b.newPage();
  const errors = [];
  p.on("pageerror", (e) => errors.push(String(e)));
  await p.goto("file://" + path.resolve(html));
  await p.waitForSelector("body[data-ready='1']");
  const visible = await p.locator("#gaps-section").isVisible();
  const text = visible ? await p.locator("#gaps").innerText() : "";
  const missing = said.filter((l) => !text.includes(l.trim()));
  await p.screenshot({ path: shot });
  await b.close();
  console.log(visible && !missing.length && !errors.length ? "PASS gaps shown as stderr said them"
    : `FAIL gaps: visible=${visible} missing=${JSON.stringify(missing.slice(0, 3))} errors=${errors}`);
  process.exit(visible && !missing.length && !errors.length ? 0 : 1);
})();
EOF
		if [ $? -eq 0 ]; then ok "$name: $(cat "$OUT/$name.check")"; else bad "$name: $(cat "$OUT/$name.check" | head -5)"; fi
	fi
else
	bad "$name: $src/core missing (run make e2e first)"
fi

# Bad -o: never over the core.
cp "$src/core" "$OUT/self.core" 2>/dev/null
before=$(md5sum <"$OUT/self.core")
"$GOCORE" report -o "$OUT/self.core" "$OUT/self.core" "$src/exe" 2>"$OUT/self.err"
rc=$?
if [ $rc -eq 4 ] && [ "$(md5sum <"$OUT/self.core")" = "$before" ] && grep -q "refusing" "$OUT/self.err"; then
	ok "report -o the core: exit 4, the core untouched"
else
	bad "report -o the core: exit $rc, $(head -2 "$OUT/self.err")"
fi
rm -f "$OUT/self.core"
"$GOCORE" report "$src/core" "$src/exe" 2>/dev/null
[ $? -eq 1 ] && ok "report without -o: exit 1" || bad "report without -o: want exit 1"

echo "report: $pass passed, $fail failed (screenshots in $OUT/)"
[ "$fail" -eq 0 ]
