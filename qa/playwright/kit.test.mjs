// Unit tests of checkout.mjs that need no browser and no server of ours: the
// request createSession sends and the error it throws, and what check names.
// spec_test.go runs them with the example spec.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { check, createSession, DEFAULT_SUCCESS_URL } from './checkout.mjs';

/** Serves one canned answer and records the request. */
async function fakeAPI(status, answer, fn) {
  const seen = {};
  const srv = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; }).on('end', () => {
      Object.assign(seen, { method: req.method, url: req.url, headers: req.headers, body: JSON.parse(body) });
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise((r) => { srv.listen(0, '127.0.0.1', r); });
  try {
    return await fn({ baseURL: `http://127.0.0.1:${srv.address().port}/`, key: 'sk_test_unit' }, seen);
  } finally {
    srv.close();
  }
}

test('createSession sends the API names and the key', async () => {
  await fakeAPI(201, { id: 'cs_1', url: 'http://x/c/cs_1' }, async (api, seen) => {
    const s = await createSession(api, {
      amount: 2500, currency: 'USD', provider: 'bbmsl', methods: ['saved_card'], customer: { reference: 'c-1' },
      threeDS: 'challenge_requested', captureMode: 'manual', reference: 'order-1', locale: 'de', metadata: { a: 'b' },
    }, { idempotencyKey: 'k-1' });
    assert.equal(s.id, 'cs_1');
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/v1/checkout/sessions');
    assert.equal(seen.headers.authorization, 'Bearer sk_test_unit');
    assert.equal(seen.headers['idempotency-key'], 'k-1');
    assert.deepEqual(seen.body, {
      amount: 2500, currency: 'USD', provider: 'bbmsl', payment_methods: ['saved_card'], customer: { reference: 'c-1' },
      three_ds: 'challenge_requested', capture_mode: 'manual', merchant_reference: 'order-1', locale: 'de',
      metadata: { a: 'b' }, success_url: DEFAULT_SUCCESS_URL,
    });
  });
});

test('createSession throws the status and the error code', async () => {
  const answer = { error: { type: 'invalid_request_error', code: 'parameter_invalid', param: 'currency', message: 'no' } };
  await fakeAPI(422, answer, async (api) => {
    await assert.rejects(createSession(api, { amount: 1, currency: 'XX' }), (err) => {
      assert.match(err.message, /422 parameter_invalid \(currency\)/);
      assert.equal(err.status, 422);
      assert.equal(err.code, 'parameter_invalid');
      return true;
    });
  });
});

test('check names each field that differs', () => {
  const scenario = { id: 'p/s', outcome: { status: 'succeeded', payment_status: 'succeeded', three_ds: 'frictionless', eci: '05', liability_shift: true } };
  const payment = { status: 'succeeded', decline: null, three_ds: { flow: 'frictionless', eci: '05', liability_shift: true } };
  check(scenario, { sessionId: 'cs_1', status: 'succeeded', session: { payment } });
  assert.throws(() => check(scenario, {
    sessionId: 'cs_1',
    status: 'failed',
    session: { payment: { status: 'failed', decline: { code: 'card_declined' }, three_ds: { flow: 'frictionless', eci: '07', liability_shift: false } } },
  }), (err) => {
    for (const field of ['status', 'payment_status', 'eci', 'liability_shift']) {
      assert.match(err.message, new RegExp(`\\b${field}: got`));
    }
    assert.doesNotMatch(err.message, /three_ds: got/); // equal
    assert.doesNotMatch(err.message, /decline_code: got/); // not listed
    return true;
  });
  // status and payment_status are always compared: absent means none.
  assert.throws(() => check({ id: 'p/t', outcome: { status: 'failed' } }, { sessionId: 'cs_3', status: 'failed', session: { payment: { status: 'failed' } } }),
    /payment_status: got "failed", want ""/);
  const notSaved = { id: 'bbmsl/x', outcome: { status: '', card_saved: false } };
  check(notSaved, { sessionId: 'cs_2', status: '', session: { payment: null }, cardSaved: false });
  assert.throws(() => check(notSaved, { sessionId: 'cs_2', status: 'succeeded', session: { payment: { status: 'succeeded' } }, cardSaved: true }),
    /card_saved: got true, want false/);
});
