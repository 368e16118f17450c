// Drives the web kiosk (index.html) in headless Chromium for tests/benches/browser_kiosk.rs,
// speaking the line protocol of `kiosk automate`, so the benchmark drives both sides with one
// script. Needs playwright-core (bench/run installs it into .tools/npm; NODE_PATH points there)
// and a Chromium (/usr/bin/chromium, or KIOSK_BENCH_CHROMIUM).
//
//   node driver.cjs PROFILE_DIR        prints "loaded" once playwright-core is loaded, then:
//   launch URL                         starts Chromium on URL (800×1280, software rendering)
//                                      → "ready PAGE paint_ms=N": N is the time from just
//                                      before Chromium was spawned to the presentation of the
//                                      first page's first contentful paint, by the page's clock
//   press LABEL | wait PAGE [S] | view | labels | shot FILE | frame | quit   as `kiosk automate`
//
// The browser's profile lives in PROFILE_DIR and is kept between launches, as a kiosk
// browser's is. Nothing here is counted as the browser's CPU or memory: the benchmark measures
// the processes under this one.
'use strict';

const readline = require('readline');
const { chromium } = require('playwright-core');

const profile = process.argv[2];
const executablePath = process.env.KIOSK_BENCH_CHROMIUM || '/usr/bin/chromium';
let context = null;
let page = null;

const out = (line) => process.stdout.write(`${line}\n`);
const now = () => performance.timeOrigin + performance.now();

async function launch(url) {
  const spawned = now();
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 800, height: 1280 },
    deviceScaleFactor: 1,
    // No GPU here: Chromium composites and rasterizes in software, as our kiosk renders.
    args: ['--window-size=800,1280', '--disable-gpu', '--kiosk'],
  });
  page = context.pages()[0] || (await context.newPage());
  await page.goto(url, { waitUntil: 'domcontentloaded' });
  const painted = await page.evaluate(() => window.kiosk.ready);
  const name = await page.evaluate(() => window.kiosk.page());
  return `ready ${name} paint_ms=${(painted - spawned).toFixed(1)}`;
}

async function perform(command, arg) {
  switch (command) {
    case 'press': {
      const name = await page.evaluate((label) => window.kiosk.press(label), arg);
      return `ok ${name}`;
    }
    case 'wait': {
      const [want, seconds] = arg.split(' ');
      const deadline = Date.now() + 1000 * Number(seconds || 20);
      for (;;) {
        const name = await page.evaluate(() => window.kiosk.page());
        if (name === want) return `ok ${name}`;
        if (Date.now() > deadline) throw new Error(`waited ${seconds || 20}s for ${want}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    case 'view': {
      const [name, view] = await page.evaluate(() => [window.kiosk.page(), window.kiosk.view()]);
      return `ok ${name} ${view}`;
    }
    case 'labels': {
      const [name, labels] = await page.evaluate(() => [window.kiosk.page(), window.kiosk.labels()]);
      return `ok ${name} ${labels.join('|')}`;
    }
    case 'shot': {
      await page.screenshot({ path: arg });
      return `ok ${await page.evaluate(() => window.kiosk.page())}`;
    }
    case 'frame': {
      // The whole page invalidated (its background nudged), timed to the next frame.
      const [name, us] = await page.evaluate(async () => {
        const t = performance.now();
        const s = document.getElementById('screen');
        s.style.outline = s.style.outline ? '' : '0px solid transparent';
        document.body.style.backgroundColor = document.body.style.backgroundColor ? '' : '#f6f4ee';
        await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
        return [window.kiosk.page(), Math.round((performance.now() - t) * 1000)];
      });
      return `ok ${name} ${us}`;
    }
    default:
      throw new Error(`unknown command ${JSON.stringify(command)} (press, wait, view, labels, shot, frame, quit)`);
  }
}

async function main() {
  out('loaded');
  const lines = readline.createInterface({ input: process.stdin, terminal: false });
  for await (const raw of lines) {
    const line = raw.trim();
    const at = line.indexOf(' ');
    const [command, arg] = at < 0 ? [line, ''] : [line.slice(0, at), line.slice(at + 1).trim()];
    if (command === 'quit') break;
    try {
      out(command === 'launch' ? await launch(arg) : await perform(command, arg));
    } catch (e) {
      out(`err ${String(e && e.message ? e.message : e).split('\n')[0]}`);
    }
  }
  if (context) await context.close();
  process.exit(0);
}

main().catch((e) => {
  out(`err ${e && e.stack ? e.stack.split('\n')[0] : e}`);
  process.exit(1);
});
