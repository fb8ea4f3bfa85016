// checkout.mjs: the Playwright kit for the hosted checkout, for
// @playwright/test and playwright-core users. It has no dependencies and
// imports nothing from Playwright: every function that drives the browser
// takes a Playwright `page`. The Go kit qa/checkoutqa has the same helpers.
//
//   import { createSession, payWithCard, answerChallenge, waitForResult } from './checkout.mjs';
//   const s = await createSession({ baseURL, key }, { provider: 'payorder', amount: 2500, currency: 'USD' });
//   await page.goto(s.url);
//   await payWithCard(page, { number: '4000000000003220' });
//   await answerChallenge(page, '1234');
//   expect(await waitForResult(page)).toBe('succeeded');
//
// Hooks used are the README's data-testid table ("Test hooks for QA").

/** The success_url createSession sends when the options name none (the API requires one). */
export const DEFAULT_SUCCESS_URL = 'https://merchant.example/qa/success';

/** How often the polling helpers look again, in milliseconds. */
const POLL = 100;

/**
 * Creates a checkout session: POST /v1/checkout/sessions with the merchant's secret key.
 * @param {{baseURL: string, key: string}} api the server's origin (such as http://127.0.0.1:8080) and a secret key (sk_test_…)
 * @param {object} opts the session's fields, in camelCase or the API's own names: amount (minor units), currency,
 *   provider, methods (payment_methods: card, wallet, saved_card), customer ({email, reference}; saved cards need a
 *   reference), threeDS, captureMode, locale, reference (merchant_reference), successURL, cancelURL; any other field
 *   (line_items, metadata, expires_at, setup_recurring, …) is sent as it is.
 * @param {{idempotencyKey?: string}} [request] an Idempotency-Key for the call
 * @returns {Promise<object>} the created session (id, url, status, …)
 * @throws {Error} naming the HTTP status and the API error's code (err.status, err.code, err.param are set too)
 */
export async function createSession(api, opts = {}, request = {}) {
  const {
    methods, threeDS, captureMode, reference, successURL, cancelURL, ...rest
  } = opts;
  const body = { success_url: DEFAULT_SUCCESS_URL, ...rest };
  if (methods !== undefined) body.payment_methods = methods;
  if (threeDS !== undefined) body.three_ds = threeDS;
  if (captureMode !== undefined) body.capture_mode = captureMode;
  if (reference !== undefined) body.merchant_reference = reference;
  if (successURL !== undefined) body.success_url = successURL;
  if (cancelURL !== undefined) body.cancel_url = cancelURL;
  for (const k of Object.keys(body)) if (body[k] === undefined || body[k] === '') delete body[k];
  const headers = {};
  if (request.idempotencyKey) headers['Idempotency-Key'] = request.idempotencyKey;
  return call(api, 'POST', '/v1/checkout/sessions', body, 201, headers);
}

/**
 * Reads a session back: GET /v1/checkout/sessions/{id}, with its status, payment_status and latest payment
 * (status, card, three_ds, decline).
 * @param {{baseURL: string, key: string}} api
 * @param {string} id the session id (cs_…)
 * @returns {Promise<object>} the session
 * @throws {Error} naming the HTTP status and the API error's code
 */
export async function getSession(api, id) {
  return call(api, 'GET', `/v1/checkout/sessions/${encodeURIComponent(id)}`, undefined, 200);
}

async function call(api, method, path, body, want, extraHeaders = {}) {
  const headers = { Authorization: `Bearer ${api.key}`, Accept: 'application/json', ...extraHeaders };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(api.baseURL.replace(/\/+$/, '') + path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  if (res.status !== want) {
    const e = json?.error ?? {};
    const err = new Error(`checkout: ${method} ${path}: ${res.status} ${e.code ?? '(no error code)'}`
      + (e.param ? ` (${e.param})` : '') + (e.message ? `: ${e.message}` : ''));
    Object.assign(err, { status: res.status, code: e.code, param: e.param, type: e.type });
    throw err;
  }
  if (json === undefined) throw new Error(`checkout: ${method} ${path}: the answer is not JSON`);
  return json;
}

/** A valid expiry three years from now, as MM/YY. */
function futureExpiry() {
  const d = new Date();
  const mm = String(d.getMonth() + 1).padStart(2, '0');
  const yy = String((d.getFullYear() + 3) % 100).padStart(2, '0');
  return `${mm}/${yy}`;
}

/** Whether number is an American Express card (15 digits, 34 or 37), whose CVC has 4 digits. */
function isAmex(number) {
  const n = number.replace(/\D/g, '');
  return n.length === 15 && /^3[47]/.test(n);
}

/** Fills the card hooks (card-number, card-expiry, card-cvc, cardholder-name) with card and its defaults. */
async function fillCard(page, card) {
  await page.getByTestId('card-number').fill(card.number);
  await page.getByTestId('card-expiry').fill(card.expiry || futureExpiry());
  await page.getByTestId('card-cvc').fill(card.cvc || (isAmex(card.number) ? '1234' : '123'));
  await page.getByTestId('cardholder-name').fill(card.name || 'Ada Lovelace');
}

/**
 * Clicks the method's choice control when the page shows one (it does only when it offers more than one method),
 * without waiting for it when it is absent.
 */
async function chooseMethod(page, testid, field, timeout) {
  // The page is there once the method's own control is in the DOM (visible or not).
  await page.getByTestId(field).first().waitFor({ state: 'attached', timeout });
  const choice = page.locator(`[data-testid="${testid}"]:visible`);
  if (await choice.count() > 0) await choice.first().click();
}

/**
 * Pays on the hosted page with a card: chooses the card method when the page offers a choice, fills the card form
 * and clicks pay-button.
 * @param {import('playwright-core').Page} page a page showing the hosted checkout (/c/cs_…)
 * @param {{number: string, expiry?: string, cvc?: string, name?: string}} card digits (spaces allowed); expiry MM/YY,
 *   default three years from now; cvc default 123, 1234 for American Express; name default "Ada Lovelace"
 * @param {{timeout?: number}} [opts] how long to wait for the form, in ms (default 30000)
 * @returns {Promise<void>}
 */
export async function payWithCard(page, card, opts = {}) {
  const timeout = opts.timeout ?? 30_000;
  await chooseMethod(page, 'payment-method-card', 'card-number', timeout);
  await fillCard(page, card);
  await page.getByTestId('pay-button').click({ timeout });
}

/**
 * Waits until one of the candidates is visible and returns its index.
 * @param {Array<{isVisible: () => Promise<boolean>} | (() => Promise<boolean>)>} candidates
 */
async function firstVisible(candidates, timeout, what) {
  const deadline = Date.now() + timeout;
  for (;;) {
    for (const [i, c] of candidates.entries()) {
      const shown = typeof c === 'function' ? await c() : await c.isVisible().catch(() => false);
      if (shown) return i;
    }
    if (Date.now() > deadline) throw new Error(`checkout: timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, POLL));
  }
}

/**
 * Answers the 3-D Secure challenge wherever the provider shows it: inside the page's challenge-frame iframe
 * (payOrder) or in the whole window at the provider's page (Worldline, Antom), whichever appears first. It fills
 * otp-input and clicks otp-submit.
 * @param {import('playwright-core').Page} page
 * @param {string} code the one-time code (the sandboxes pass 1234; any other fails authentication)
 * @param {{timeout?: number}} [opts] how long to wait for the challenge, in ms (default 30000)
 * @returns {Promise<'iframe'|'window'>} where the challenge was
 */
export async function answerChallenge(page, code, opts = {}) {
  const timeout = opts.timeout ?? 30_000;
  const framed = page.frameLocator('[data-testid="challenge-frame"]');
  const where = [framed, page];
  const i = await firstVisible(where.map((s) => s.getByTestId('otp-input')), timeout,
    'the challenge (otp-input in challenge-frame or in the window)');
  await where[i].getByTestId('otp-input').fill(code);
  await where[i].getByTestId('otp-submit').click();
  return i === 0 ? 'iframe' : 'window';
}

/**
 * Starts a wallet payment: chooses the wallet when the page offers a choice (payment-method-wallet-option, when
 * visible) and clicks payment-method-wallet. The shopper is then at the wallet's cashier, or, when the wallet refuses
 * the payment at once (amount 999999 in the sandbox), on the result page.
 * @param {import('playwright-core').Page} page a page showing the hosted checkout
 * @param {{timeout?: number}} [opts] how long to wait for the page, in ms (default 30000)
 * @returns {Promise<void>}
 */
export async function startWallet(page, opts = {}) {
  const timeout = opts.timeout ?? 30_000;
  await chooseMethod(page, 'payment-method-wallet-option', 'payment-method-wallet', timeout);
  await page.getByTestId('payment-method-wallet').click({ timeout });
}

/**
 * Pays with the wallet: startWallet, then in the sandbox cashier wallet-approve, wallet-decline or wallet-cancel.
 * @param {import('playwright-core').Page} page a page showing the hosted checkout
 * @param {'approve'|'decline'|'cancel'} action what the shopper does in the cashier
 * @param {{timeout?: number}} [opts] how long to wait for the page and the cashier, in ms (default 30000)
 * @returns {Promise<void>}
 */
export async function approveWallet(page, action, opts = {}) {
  if (!['approve', 'decline', 'cancel'].includes(action)) {
    throw new Error(`checkout: wallet action ${JSON.stringify(action)}: want approve, decline or cancel`);
  }
  const timeout = opts.timeout ?? 30_000;
  await startWallet(page, { timeout });
  await page.getByTestId(`wallet-${action}`).click({ timeout });
}

const CARD_RETURN = /\/c\/cs_[0-9a-z]+\?(?:.*&)?card_(added|canceled)=1/;

/**
 * Adds a saved card: clicks add-saved-card, fills the provider's add-card page (the card hooks, add-card-submit),
 * answers its challenge when it shows one, and waits to be back on the checkout page.
 * @param {import('playwright-core').Page} page a page showing the hosted checkout of a saved_card session
 * @param {{number: string, expiry?: string, cvc?: string, name?: string}} card as for payWithCard
 * @param {string} [code] the challenge code, when the card asks for one
 * @param {{timeout?: number}} [opts] how long to wait for each page, in ms (default 30000)
 * @returns {Promise<boolean>} whether the provider saved the card (false: the page came back without one)
 * @throws {Error} when the page asks for a challenge and no code was given
 */
export async function addSavedCard(page, card, code, opts = {}) {
  const timeout = opts.timeout ?? 30_000;
  await page.getByTestId('add-saved-card').click({ timeout });
  await page.getByTestId('add-card-submit').waitFor({ timeout });
  await fillCard(page, card);
  await page.getByTestId('add-card-submit').click();
  const back = async () => CARD_RETURN.test(page.url());
  if (await firstVisible([back, page.getByTestId('otp-input')], timeout, 'the checkout page or a challenge') === 1) {
    if (code === undefined || code === '') throw new Error('checkout: the add-card page asks for a challenge code');
    await page.getByTestId('otp-input').fill(code);
    await page.getByTestId('otp-submit').click();
  }
  await page.waitForURL(CARD_RETURN, { timeout });
  return CARD_RETURN.exec(page.url())[1] === 'added';
}

/**
 * Pays with the saved card whose label ends in last4 (its saved-card-<id> button).
 * @param {import('playwright-core').Page} page a page showing the hosted checkout with saved cards
 * @param {string} last4 the card's last four digits
 * @param {{timeout?: number}} [opts] how long to wait for the button, in ms (default 30000)
 * @returns {Promise<void>}
 */
export async function paySavedCard(page, last4, opts = {}) {
  await page.locator('button[data-testid^="saved-card-"]').filter({ hasText: `•••• ${last4}` }).first()
    .click({ timeout: opts.timeout ?? 30_000 });
}

/**
 * Waits for the result page and returns its status (result-status's data-status: succeeded, authorized, failed,
 * pending, expired, canceled). While it says pending it keeps waiting (the page refreshes itself) until the status
 * is final or the timeout has passed; then it returns pending.
 * @param {import('playwright-core').Page} page
 * @param {{timeout?: number}} [opts] in ms (default 60000)
 * @returns {Promise<string>}
 * @throws {Error} when no result page comes within the timeout, or the server shows an error page (error-heading)
 */
export async function waitForResult(page, opts = {}) {
  const timeout = opts.timeout ?? 60_000;
  const deadline = Date.now() + timeout;
  const status = page.getByTestId('result-status');
  const errorPage = page.getByTestId('error-heading');
  await status.or(errorPage).first().waitFor({ timeout });
  if (await errorPage.count() > 0) {
    throw new Error(`checkout: the server answered an error page: ${(await errorPage.textContent())?.trim()}`);
  }
  const final = page.locator('[data-testid="result-status"]:not([data-status="pending"])');
  try {
    await final.waitFor({ timeout: Math.max(1, deadline - Date.now()) });
  } catch (err) {
    if (err?.name === 'TimeoutError') return 'pending';
    throw err;
  }
  return final.getAttribute('data-status');
}

/**
 * Loads the scenario catalogue a server serves (GET /sandbox/scenarios, the file qa/scenarios.json): per provider,
 * its method, currency and scenarios, each with what it types and its outcome.
 * @param {string} baseURL the server's origin
 * @returns {Promise<{object: string, version: number, challenge_code: string, providers: object[]}>}
 */
export async function loadScenarios(baseURL) {
  const url = `${baseURL.replace(/\/+$/, '')}/sandbox/scenarios`;
  const res = await fetch(url, { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`checkout: GET ${url}: ${res.status}`);
  const c = await res.json();
  if (c.object !== 'scenario_catalogue' || !Array.isArray(c.providers)) {
    throw new Error(`checkout: GET ${url}: not a scenario catalogue`);
  }
  return c;
}

/**
 * Plays one scenario of the catalogue: creates a session for it (the provider's method and currency, the scenario's
 * amount, three_ds and capture_mode; a fresh customer for saved cards), opens it in page, pays as the scenario
 * says (card and challenge code; wallet action, none meaning the wallet refuses at once; or add a card on the
 * provider's page then pay with it), waits for the result and reads the session back.
 * @param {import('playwright-core').Page} page a fresh page (its own browser context for saved cards)
 * @param {{baseURL: string, key: string}} api
 * @param {{provider: string, method: string, currency: string}} provider the catalogue's provider entry
 * @param {object} scenario one of its scenarios
 * @param {{timeout?: number}} [opts] the result's timeout, in ms (default 60000)
 * @returns {Promise<{sessionId: string, status: string, session: object, cardSaved?: boolean}>} status is the result
 *   page's data-status ("" when a saved-card scenario's card was not saved and nothing was paid); session is the
 *   API's session (session.payment the payment); cardSaved is set for saved-card scenarios
 */
export async function play(page, api, provider, scenario, opts = {}) {
  const created = await createSession(api, {
    provider: provider.provider,
    methods: [provider.method],
    currency: provider.currency,
    amount: scenario.amount,
    threeDS: scenario.three_ds,
    captureMode: scenario.capture_mode,
    reference: scenario.id,
    customer: provider.method === 'saved_card'
      ? { reference: `qa-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}` }
      : undefined,
  });
  await page.goto(created.url);
  let status;
  let cardSaved;
  switch (provider.method) {
    case 'card':
      await payWithCard(page, scenario.card);
      if (scenario.challenge_code) await answerChallenge(page, scenario.challenge_code);
      status = await waitForResult(page, opts);
      break;
    case 'wallet':
      // No action: the wallet refuses the payment before its cashier opens.
      if (scenario.wallet_action) await approveWallet(page, scenario.wallet_action);
      else await startWallet(page);
      status = await waitForResult(page, opts);
      break;
    case 'saved_card':
      cardSaved = await addSavedCard(page, scenario.card, scenario.challenge_code);
      status = '';
      if (cardSaved) {
        await paySavedCard(page, scenario.card.number.slice(-4));
        status = await waitForResult(page, opts);
      }
      break;
    default:
      throw new Error(`checkout: provider ${provider.provider}: unknown method ${provider.method}`);
  }
  const session = await getSession(api, created.id);
  const played = { sessionId: created.id, status, session };
  if (cardSaved !== undefined) played.cardSaved = cardSaved;
  return played;
}

/**
 * Checks what play returned against the scenario's outcome, as the Go kit's Check does: status and payment_status
 * must be equal (absent means none); decline_code, three_ds (the flow), eci, liability_shift and card_saved are
 * compared when the outcome lists them.
 * @param {object} scenario the catalogue's scenario
 * @param {{sessionId: string, status: string, session: object, cardSaved?: boolean}} played what play returned
 * @returns {void}
 * @throws {Error} naming the scenario and each field that differs, with the actual and the wanted value
 */
export function check(scenario, played) {
  const want = scenario.outcome ?? {};
  const p = played.session?.payment ?? null;
  const got = {
    status: played.status ?? '',
    payment_status: p?.status ?? '',
    decline_code: p?.decline?.code ?? '',
    three_ds: p?.three_ds?.flow ?? '',
    eci: p?.three_ds?.eci ?? '',
    liability_shift: p?.three_ds?.liability_shift ?? null,
    card_saved: played.cardSaved ?? false,
  };
  const always = new Set(['status', 'payment_status']);
  const diffs = [];
  for (const [field, value] of Object.entries(got)) {
    const listed = want[field] !== undefined && want[field] !== '';
    const wanted = want[field] ?? '';
    if ((always.has(field) || listed) && wanted !== value) {
      diffs.push(`${field}: got ${JSON.stringify(value)}, want ${JSON.stringify(wanted)}`);
    }
  }
  if (diffs.length > 0) {
    throw new Error(`checkout: scenario ${scenario.id} (session ${played.sessionId}): ${diffs.join('; ')}`);
  }
}
