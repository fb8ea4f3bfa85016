// The example suite of the Playwright kit: it pays through every provider and
// every scenario of the server's catalogue (GET /sandbox/scenarios), each in a
// browser context of its own, four at a time, and checks each outcome; then it
// pays by card and by wallet on a page that offers both.
//
//   CHECKOUT_DEMO_API_KEY=sk_test_qa_0123456789abcdef go run .      # in the repository
//   CHECKOUT_API_KEY=sk_test_qa_0123456789abcdef node --test         # here
//
// Environment: CHECKOUT_BASE_URL (default http://127.0.0.1:8080, what `go run .`
// serves), CHECKOUT_API_KEY (the demo merchant's test key, which `go run .`
// prints at startup, or sets from CHECKOUT_DEMO_API_KEY, which is read too),
// CHECKOUT_CHROMIUM (default /usr/bin/chromium-headless-shell, Debian's; nothing is
// downloaded), CHECKOUT_ONLY (a scenario id prefix, such as "worldline/").
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import {
  approveWallet, check, createSession, getSession, loadScenarios, payWithCard, play, waitForResult,
} from './checkout.mjs';

const baseURL = process.env.CHECKOUT_BASE_URL || 'http://127.0.0.1:8080';
const key = process.env.CHECKOUT_API_KEY || process.env.CHECKOUT_DEMO_API_KEY;
if (!key) {
  throw new Error('set CHECKOUT_API_KEY to the demo merchant\'s key: `go run .` prints it at startup '
    + '("demo merchant secret key: sk_test_…"), or start it with CHECKOUT_DEMO_API_KEY=sk_test_… and set both');
}
const api = { baseURL, key };
const only = process.env.CHECKOUT_ONLY || '';

let catalogue;
try {
  catalogue = await loadScenarios(baseURL);
} catch (err) {
  throw new Error(`no scenario catalogue at ${baseURL} (start the server with \`go run .\`): ${err.message}`);
}

let browser;
before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHECKOUT_CHROMIUM || '/usr/bin/chromium-headless-shell',
    // Lighter on a small CI machine: no GPU process, no background traffic.
    args: ['--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
});
after(async () => {
  await browser?.close();
});

describe('scenario catalogue', { concurrency: 4 }, () => {
  for (const provider of catalogue.providers) {
    for (const scenario of provider.scenarios) {
      if (!scenario.id.startsWith(only)) continue;
      test(scenario.id, { timeout: 120_000 }, async (t) => {
        const context = await browser.newContext();
        try {
          const page = await context.newPage();
          const played = await play(page, api, provider, scenario);
          t.diagnostic(`${played.sessionId}: ${played.status || '(no payment)'}`);
          check(scenario, played);
        } finally {
          await context.close();
        }
      });
    }
  }
});

// A page offering both the card and the wallet shows a method chooser: each
// helper picks its own method first.
describe('card or wallet on one page', { concurrency: 2 }, () => {
  const pay = { card: (page) => payWithCard(page, { number: '4242424242424242' }), wallet: (page) => approveWallet(page, 'approve') };
  for (const [method, act] of Object.entries(pay)) {
    if (!`both/${method}`.startsWith(only)) continue;
    test(`both/${method}`, { timeout: 120_000 }, async () => {
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        const session = await createSession(api, { amount: 2500, currency: 'USD', methods: ['card', 'wallet'] });
        await page.goto(session.url);
        await act(page);
        const status = await waitForResult(page);
        const { payment } = await getSession(api, session.id);
        if (status !== 'succeeded' || payment?.method !== method) {
          throw new Error(`paid ${payment?.method} (${status}), want ${method} (succeeded)`);
        }
      } finally {
        await context.close();
      }
    });
  }
});
