// A headless Chromium the Rust console test drives, one JSON command a line on stdin, one
// JSON answer a line on stdout. Each page id is its own browser context (its own cookies:
// one staff member, or the pickup board's TV). axe-core checks a page's accessibility in
// the browser itself.
'use strict';
const fs = require('fs');
const readline = require('readline');
const { chromium } = require('playwright-core');

const executablePath = process.env.KIOSK_CHROMIUM || '/usr/bin/chromium';
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

async function main() {
  const browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-gpu'] });
  const pages = {};
  const out = (o) => process.stdout.write(JSON.stringify(o) + '\n');
  const rl = readline.createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let cmd;
    try { cmd = JSON.parse(line); } catch (e) { out({ ok: false, error: 'not JSON: ' + line }); continue; }
    try {
      out(Object.assign({ ok: true }, await run(cmd)));
    } catch (e) {
      out({ ok: false, error: String(e && e.message || e) });
    }
  }
  await browser.close();

  async function run(c) {
    const page = pages[c.id];
    switch (c.op) {
      case 'new': {
        const context = await browser.newContext({
          viewport: { width: c.width || 1280, height: c.height || 800 },
          locale: c.locale || 'ko-KR',
          acceptDownloads: true,
          // axe-core goes in as an inline script; our pages' CSP would refuse it.
          bypassCSP: true,
        });
        pages[c.id] = await context.newPage();
        return {};
      }
      case 'goto': {
        const r = await page.goto(c.url, { waitUntil: 'load' });
        return { status: r ? r.status() : 0, url: page.url() };
      }
      case 'fill':
        await page.fill(c.selector, c.value);
        return {};
      case 'check':
        await page.check(c.selector);
        return {};
      case 'upload':
        await page.setInputFiles(c.selector, c.path);
        return {};
      case 'click': {
        // A form's submit: wait for the page it leads to.
        const [response] = await Promise.all([
          page.waitForNavigation({ waitUntil: 'load', timeout: c.timeout || 10000 }).catch(() => null),
          page.click(c.selector),
        ]);
        return { status: response ? response.status() : 0, url: page.url() };
      }
      case 'text':
        return { text: await page.innerText(c.selector) };
      case 'count':
        return { count: await page.locator(c.selector).count() };
      case 'attr':
        return { value: await page.getAttribute(c.selector, c.name) };
      case 'wait': {
        // Until `selector` holds `text` (or exists): the time it took, in ms.
        const start = Date.now();
        const deadline = start + (c.timeout || 5000);
        for (;;) {
          const loc = page.locator(c.selector);
          const n = await loc.count();
          let found = n > 0;
          if (found && c.text !== undefined) {
            const texts = await loc.allInnerTexts();
            found = texts.some((t) => t.includes(c.text));
          }
          if (found !== Boolean(c.absent)) return { ms: Date.now() - start };
          if (Date.now() > deadline) throw new Error('timed out waiting for ' + c.selector + (c.text ? ' with ' + c.text : '') + (c.absent ? ' to go' : ''));
          await page.waitForTimeout(25);
        }
      }
      case 'axe': {
        await page.addScriptTag({ content: axeSource });
        const r = await page.evaluate(async () => await window.axe.run());
        return {
          violations: r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) })),
          passes: r.passes.length,
        };
      }
      case 'eval':
        return { value: await page.evaluate(c.js) };
      case 'post': {
        // A form post from inside the page (its cookies), with exactly these fields.
        const status = await page.evaluate(async ({ url, form }) => {
          const body = new URLSearchParams(form);
          const r = await fetch(url, { method: 'POST', body, redirect: 'manual', credentials: 'same-origin' });
          return r.status;
        }, { url: c.url, form: c.form || {} });
        return { status };
      }
      case 'shot':
        await page.evaluate(() => document.fonts.ready);
        await page.screenshot({ path: c.path, fullPage: Boolean(c.full) });
        return {};
      case 'viewport':
        await page.setViewportSize({ width: c.width, height: c.height });
        return {};
      default:
        throw new Error('unknown op ' + c.op);
    }
  }
}

main().catch((e) => { process.stdout.write(JSON.stringify({ ok: false, fatal: String(e) }) + '\n'); process.exit(1); });
