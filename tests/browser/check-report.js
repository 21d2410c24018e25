// Loads one gocore report in headless Chromium (Debian's, driven by
// playwright-core) and checks it against gocore's own JSON commands, which
// the end-to-end tests check against the runtime's dumps:
//   node check-report.js REPORT.html SUMMARY.json OVERVIEW.json SHOT.png [LABEL]
// Prints PASS/FAIL lines; exits 1 on any failure.
"use strict";
const fs = require("fs");
const path = require("path");
const { chromium } = require("playwright-core");

const [html, summaryPath, overviewPath, shot, label] = process.argv.slice(2);
const summary = JSON.parse(fs.readFileSync(summaryPath, "utf8"));
const overview = JSON.parse(fs.readFileSync(overviewPath, "utf8"));
const name = path.basename(path.dirname(html)) + "/" + path.basename(html);
let failed = 0;
function check(ok, what, detail) {
  console.log(`${ok ? "PASS" : "FAIL"} ${name}: ${what}${ok || !detail ? "" : ": " + detail}`);
  if (!ok) failed++;
}

// What the page's search should keep: every term found (case-insensitively)
// in the group's state, a frame's function or file:line, or a label.
function matches(g, terms) {
  const parts = [g.state];
  for (const f of g.frames) parts.push(f.func, `${f.file}:${f.line}`);
  const h = parts.join("\n").toLowerCase();
  return terms.every((t) => h.includes(t));
}

(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.GOCORE_CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const url = "file://" + path.resolve(html);
    const outside = [];
    // Every request the page makes but its own file is one that leaves it.
    await page.route("**/*", (route) => {
      const u = route.request().url();
      if (u === url) return route.continue();
      outside.push(u);
      return route.abort();
    });
    page.on("websocket", (ws) => outside.push(ws.url()));
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForSelector("body[data-ready='1']", { timeout: 30000 });

    // The overview.
    const text = async (sel) => ((await page.locator(sel).count()) ? (await page.locator(sel).innerText()).trim() : null);
    check((await text("#ov-go_version")) === overview.go_version, "overview Go version",
          `${await text("#ov-go_version")} != ${overview.go_version}`);
    check((await text("#ov-goarch")) === overview.goarch, "overview architecture",
          `${await text("#ov-goarch")} != ${overview.goarch}`);
    if (overview.signal)
      check((await text("#ov-signal")) === overview.signal, "overview signal",
            `${await text("#ov-signal")} != ${overview.signal}`);
    else
      check((await text("#ov-signal")) === null, "no signal shown when the core has none");
    if (overview.panic)
      check((await text("#ov-panic")) === overview.panic.trim(), "overview panic message",
            `${JSON.stringify(await text("#ov-panic"))} != ${JSON.stringify(overview.panic)}`);
    if (overview.crashing_goroutine !== null && overview.crashing_goroutine !== undefined)
      check((await text("#ov-crashing_goroutine")) === String(overview.crashing_goroutine),
            "overview crashing goroutine");

    // Groups and goroutines, as summary --json counts them.
    const total = summary.reduce((n, g) => n + g.count, 0);
    const ds = async () => page.locator("#groups").evaluate((e) => ({ ...e.dataset }));
    let d = await ds();
    check(Number(d.groups) === summary.length, "groups equal summary --json",
          `${d.groups} != ${summary.length}`);
    check(Number(d.goroutines) === total, "goroutines equal summary --json", `${d.goroutines} != ${total}`);
    const rendered = await page.locator("#groups > details.group").count();
    check(rendered === Math.min(summary.length, 200), "groups listed", `${rendered}`);
    const counts = await page.locator("#groups > details.group").evaluateAll((es) => es.map((e) => Number(e.dataset.n)));
    check(counts.every((c, i) => c === summary[i].count), "each group's count, largest first, as summary");

    // Expanding the first group shows its frames.
    const first = page.locator("#groups > details.group").first();
    await first.locator("summary").click();
    // The page builds a group's body on its toggle event, a task later.
    await first.locator(".body").waitFor({ timeout: 10000 });
    const fns = await first.locator(".frame .fn").allInnerTexts();
    const want = summary[0].frames.map((f) => f.func);
    check(fns.length === want.length && fns.every((f, i) => f.replace(/\((\.\.\.)?\)$/, "") === want[i]),
          "expanding a group shows its frames", `${JSON.stringify(fns.slice(0, 3))} vs ${JSON.stringify(want.slice(0, 3))}`);
    const titles = await first.locator(".frame .file").evaluateAll((es) => es.map((e) => e.title));
    check(titles.every((t, i) => t === `${summary[0].frames[i].file}:${summary[0].frames[i].line}`),
          "file:line's full path on hover");
    const users = await first.locator(".frame.user").count(), stds = await first.locator(".frame.std").count();
    check(users + stds === want.length, "every frame is user or runtime");
    const kinds = await first.locator(".frame").evaluateAll((es) => es.map((e) => e.classList.contains("user")));
    const wrong = want.filter((f, i) => (f.startsWith("main.") && !kinds[i]) || (f.startsWith("runtime.") && kinds[i]));
    check(wrong.length === 0, "main.* frames are the user's, runtime.* frames not", wrong.join(" "));

    // A search narrows the groups: a function only some groups have.
    const freq = new Map();
    for (const g of summary) for (const f of new Set(g.frames.map((x) => x.func))) freq.set(f, (freq.get(f) || 0) + 1);
    let term = null;
    for (const [f, n] of freq) if (n < summary.length && (!term || n < freq.get(term))) term = f;
    if (summary.length > 1 && term) {
      await page.fill("#search", term);
      await page.waitForFunction((n) => document.getElementById("groups").dataset.groups !== n, String(summary.length));
      d = await ds();
      const expect = summary.filter((g) => matches(g, [term.toLowerCase()])).length;
      check(Number(d.groups) === expect && expect < summary.length, `search '${term}' narrows the groups`,
            `${d.groups} shown, ${expect} expected`);
      await page.screenshot({ path: shot.replace(/\.png$/, "-search.png"), fullPage: false });
      await page.fill("#search", "");
      await page.waitForFunction((n) => document.getElementById("groups").dataset.groups === n, String(summary.length));
    } else {
      check(false, "search narrows the groups", "the core has a single group: pick another core");
    }
    // By state.
    const state = summary[summary.length - 1].state;
    await page.fill("#search", state);
    await page.waitForFunction(() => true);
    await page.waitForTimeout(300);
    d = await ds();
    const byState = summary.filter((g) => matches(g, state.toLowerCase().split(/\s+/))).length;
    check(Number(d.groups) === byState, `search by state '${state}'`, `${d.groups} != ${byState}`);
    await page.fill("#search", "");
    await page.waitForTimeout(300);
    if (label) {
      await page.fill("#search", label);
      await page.waitForTimeout(300);
      d = await ds();
      check(Number(d.groups) > 0 && Number(d.groups) < summary.length, `search by label '${label}' narrows`,
            `${d.groups} of ${summary.length}`);
      await page.fill("#search", "");
      await page.waitForTimeout(300);
    }

    await page.screenshot({ path: shot, fullPage: false });
    check(errors.length === 0, "no script error", errors.join("; "));
    check(outside.length === 0, "no request leaves the page", outside.join(" "));
  } finally {
    await browser.close();
  }
  process.exit(failed ? 1 : 0);
})().catch((e) => {
  console.log(`FAIL ${name}: ${e.stack || e}`);
  process.exit(1);
});
