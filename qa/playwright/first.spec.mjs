// A first suite: a card, a 3-D Secure challenge and a wallet, each in its
// own browser context. Run it with `node --test first.spec.mjs` beside
// checkout.mjs, against `go run .` (see the README's QA guide).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import {
  answerChallenge, approveWallet, createSession, getSession, payWithCard, waitForResult,
} from './checkout.mjs';

const api = { baseURL: process.env.CHECKOUT_BASE_URL || 'http://127.0.0.1:8080', key: process.env.CHECKOUT_API_KEY };
let browser;
before(async () => {
  browser = await chromium.launch({ executablePath: process.env.CHECKOUT_CHROMIUM || '/usr/bin/chromium-headless-shell' });
});
after(() => browser?.close());

// checkout creates a session, plays it in a fresh page and returns the
// result page's status and the payment as the merchant API reports it.
async function checkout(session, play) {
  const s = await createSession(api, session);
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(s.url);
    await play(page);
    const status = await waitForResult(page);
    return { status, payment: (await getSession(api, s.id)).payment };
  } finally {
    await context.close();
  }
}

test('a card pays without a challenge', async () => {
  const { status, payment } = await checkout({ provider: 'payorder', amount: 2500, currency: 'USD' },
    (page) => payWithCard(page, { number: '4242424242424242' }));
  assert.equal(status, 'succeeded');
  assert.equal(payment.card.last4, '4242');
  assert.equal(payment.three_ds.flow, 'frictionless');
});

test('a challenge card passes with 1234', async () => {
  const { status, payment } = await checkout({ provider: 'worldline', amount: 2500, currency: 'EUR' }, async (page) => {
    await payWithCard(page, { number: '4000000000003220' });
    await answerChallenge(page, '1234'); // Worldline: the whole window; payOrder: an iframe
  });
  assert.equal(status, 'succeeded');
  assert.equal(payment.three_ds.flow, 'challenge');
});

test('a declined card fails with its reason', async () => {
  const { status, payment } = await checkout({ provider: 'antom', amount: 2500, currency: 'USD' },
    (page) => payWithCard(page, { number: '4000000000009995' }));
  assert.equal(status, 'failed');
  assert.equal(payment.decline.code, 'insufficient_funds');
});

test('the wallet approves', async () => {
  const { status, payment } = await checkout({ provider: 'alipayplus', amount: 2500, currency: 'USD', methods: ['wallet'] },
    (page) => approveWallet(page, 'approve'));
  assert.equal(status, 'succeeded');
  assert.equal(payment.method, 'wallet');
});
