// How long a gocore report takes to show its first screen in headless
// Chromium (make bench):  node report-load.js REPORT.html RUNS
// Each run opens the page in a fresh browser page and measures, from the
// navigation's start, the time until the page's script has rendered the
// first groups (body[data-ready]) and the browser has painted them (two
// animation frames later).  Prints the runs and the median in seconds.
"use strict";
const path = require("path");
const { chromium } = require("playwright-core");
const [html, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 5);
(async () => {
  const browser = await chromium.launch({
    executablePath: process.env.GOCORE_CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const times = [];
  for (let i = 0; i < runs; i++) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const t0 = Date.now();
    await page.goto("file://" + path.resolve(html), { waitUntil: "commit", timeout: 120000 });
    await page.waitForSelector("body[data-ready='1']", { timeout: 120000 });
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    times.push((Date.now() - t0) / 1000);
    const shown = await page.locator("#groups > details.group").count();
    if (!shown) throw new Error("no group rendered");
    await page.close();
  }
  await browser.close();
  times.sort((a, b) => a - b);
  console.log(`runs ${times.map((t) => t.toFixed(3)).join(" ")} median ${times[Math.floor(times.length / 2)].toFixed(3)}`);
})().catch((e) => { console.error(String(e.stack || e)); process.exit(1); });
