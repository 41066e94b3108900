// Open one ghostls view page in headless Chromium and report what a user would see.
// usage: node check_page.mjs PAGE.html SCREENSHOT.png [SELECTOR...]
// prints JSON: {ready, consoleErrors, pageErrors, requests, counts: {SELECTOR: n}, darkBackground}
import { chromium } from "playwright-core";
import { pathToFileURL } from "node:url";

const [page_path, shot, ...selectors] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});
const out = { consoleErrors: [], pageErrors: [], requests: [], counts: {} };
try {
  for (const scheme of ["light", "dark"]) {
    const context = await browser.newContext({ colorScheme: scheme, viewport: { width: 1100, height: 900 } });
    const page = await context.newPage();
    page.on("console", (m) => { if (m.type() === "error") out.consoleErrors.push(`${scheme}: ${m.text()}`); });
    page.on("pageerror", (e) => out.pageErrors.push(`${scheme}: ${e.message}`));
    page.on("request", (r) => { if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) out.requests.push(r.url()); });
    await page.goto(pathToFileURL(page_path).href);
    await page.waitForSelector("body[data-ready]", { timeout: 20000 });
    out.ready = await page.evaluate(() => document.body.dataset.ready);
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    if (scheme === "dark") out.darkBackground = bg; else out.lightBackground = bg;
    if (scheme === "light") {
      for (const s of selectors) out.counts[s] = await page.locator(s).count();
      // hover the first token so the tooltip code runs too
      const first = page.locator(".tok").first();
      if (await first.count()) { await first.hover(); out.tooltip = await page.locator("#tip").textContent(); }
      await page.screenshot({ path: shot, fullPage: true });
    } else {
      await page.screenshot({ path: shot.replace(/\.png$/, "-dark.png"), fullPage: false });
    }
    await context.close();
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(out));
