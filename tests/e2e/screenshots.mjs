// screenshots.mjs - pictures of every page the user sees, for the README and
// docs/THEMING.md: the login page (phone and desktop, light and dark), the
// waiting state, the outcome pages, a custom theme, and setup mode.
//
//   node tests/e2e/screenshots.mjs [OUTDIR]     (default docs/screenshots)
//
// Runs the real binary against the fake plex.tv, like the tests.
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import {
  BIN, FakePlex, Provider, REPO, authRequest, freePort, launchBrowser, sleep, tempDir,
} from './lib/harness.mjs';

const out = path.resolve(process.argv[2] || path.join(REPO, 'docs/screenshots'));
fs.mkdirSync(out, { recursive: true });

const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true };
const DESKTOP = { viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 };

async function shot(browser, url, file, ctxOpts, before) {
  const ctx = await browser.newContext(ctxOpts);
  const page = await ctx.newPage();
  await page.goto(url);
  if (before) await before(page, ctx);
  await page.screenshot({ path: path.join(out, file) });
  await ctx.close();
  console.log(`wrote ${path.join(out, file)}`);
}

const fake = await FakePlex.start({});
const provider = new Provider({ fake });
await provider.init();
await provider.launch();
const themed = new Provider({ fake });
await themed.init();
const logo = path.join(themed.dir, 'logo.svg');
fs.writeFileSync(logo, '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#2563eb"/><path d="M18 44V20h14a10 10 0 0 1 0 20h-6v4z" fill="#fff"/></svg>');
const css = path.join(themed.dir, 'custom.css');
fs.writeFileSync(css, ':root { --radius: 4px; }\n.card { border-top: 4px solid var(--accent); }\n');
fs.appendFileSync(themed.configPath, `[ui]\ntitle = Family Media\nmessage = Movies and shows for the Liddell family.\naccent_color = #2563eb\nlogo = ${logo}\ncustom_css = ${css}\n`);
await themed.launch();

// The authorization URL for one new sign-in at provider p.
const authUrl = (p) => `${p.base}/authorize?${new URLSearchParams(authRequest(p, { client: 'app' }).params)}`;

const browser = await launchBrowser();
try {
    for (const [name, ctx] of [['phone', PHONE], ['desktop', DESKTOP]]) {
    for (const scheme of ['light', 'dark']) {
      await shot(browser, authUrl(provider), `login-${name}-${scheme}.png`, { ...ctx, colorScheme: scheme });
    }
  }
  // The waiting state: the popup is open at the fake Plex page.
  await shot(browser, authUrl(provider), 'login-phone-waiting.png',
    { ...PHONE, colorScheme: 'light' }, async (page) => {
      await page.click('#signin');
      await page.waitForSelector('.is-waiting');
      await sleep(300);
    });
  // Outcome pages, driven through the real flow with the fake's users.
  for (const [user, file] of [['nora', 'denied'], ['alice', 'unavailable']]) {
    await shot(browser, authUrl(provider), `${file}-desktop-light.png`,
      { ...DESKTOP, colorScheme: 'light' }, async (page) => {
        if (file === 'unavailable') await fake.fault('user', 'status:503');
        const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#signin')]);
        await popup.click(`#as-${user}`);
        await page.waitForURL(/\/login\/result/, { timeout: 20000 });
        if (file === 'unavailable') await fake.reset();
      });
  }
  for (const scheme of ['light', 'dark']) {
    await shot(browser, authUrl(themed), `custom-theme-desktop-${scheme}.png`,
      { ...DESKTOP, colorScheme: scheme });
  }
  await shot(browser, authUrl(themed), 'custom-theme-phone-light.png',
    { ...PHONE, colorScheme: 'light' });

  // Setup mode: no config file.
  const port = await freePort();
  const dir = await tempDir();
  const setup = spawn(BIN, ['--port', String(port)], {
    stdio: ['ignore', fs.openSync(path.join(dir, 'setup.log'), 'a'), fs.openSync(path.join(dir, 'setup.log'), 'a')],
    env: { ...process.env, PLEX_OIDC_PLEX_API_URL: fake.url, PLEX_OIDC_PLEX_AUTH_URL: `${fake.url}/auth` },
  });
  try {
    for (let i = 0; i < 200; i++) {
      try { if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break; } catch { /* not yet */ }
      await sleep(50);
    }
    await shot(browser, `http://127.0.0.1:${port}/`, 'setup-desktop-light.png', { ...DESKTOP, colorScheme: 'light' },
      async (page) => {
        await page.click('#setup-signin');
        const [popup] = await Promise.all([page.waitForEvent('popup'), page.click('#signin')]);
        await popup.click('#as-alice');
        await page.waitForURL(/\/setup\/callback/, { timeout: 20000 });
      });
    await shot(browser, `http://127.0.0.1:${port}/setup/config?server=0123456789abcdef0123456789abcdef01234567&issuer=https%3A%2F%2Fauth.example.com&client=cloudflare&redirect_uri=https%3A%2F%2Fteam.cloudflareaccess.com%2Fcdn-cgi%2Faccess%2Fcallback`,
      'setup-config-desktop-dark.png', { ...DESKTOP, colorScheme: 'dark' });
  } finally {
    setup.kill('SIGTERM');
  }
} finally {
  await browser.close();
  await provider.stop();
  await themed.stop();
  await fake.stop();
}
