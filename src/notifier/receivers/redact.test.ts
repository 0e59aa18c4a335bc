import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DeliveryError } from '../../shared/http-delivery.js'
import { redactParts, secretParts, sendRedacted } from './redact.js'

const URL_WITH_SECRETS = 'https://alice:pa%24%24word@hooks.example.com/services/T0/B0/XOXBTOKEN123?token=QUERYTOKEN&x=1'

test('the secret pieces of a URL are cut out of a receiver\'s answer; the message stays readable', () => {
  const parts = secretParts(URL_WITH_SECRETS)
  const echoed = 'HTTP 403: bad token QUERYTOKEN for /services/T0/B0/XOXBTOKEN123 (user alice, password pa$$word, Basic ' + Buffer.from('alice:pa$$word').toString('base64') + ')'
  const out = redactParts(echoed, parts)
  for (const secret of ['QUERYTOKEN', 'XOXBTOKEN123', 'alice', 'pa$$word', Buffer.from('alice:pa$$word').toString('base64')]) assert.ok(!out.includes(secret), `${secret} in ${out}`)
  assert.match(out, /^HTTP 403: bad token \[redacted\] for \[redacted\]/)
  // One-character values (x=1) are not worth destroying every '1' in the message for.
  assert.equal(redactParts('HTTP 500: try again in 1 s', parts), 'HTTP 500: try again in 1 s')
})

test('sendRedacted keeps the retry class and Retry-After and the safe description', async () => {
  const describe = 'team/webhook/0 (https://hooks.example.com/[redacted])'
  await assert.rejects(sendRedacted(URL_WITH_SECRETS, describe, async () => {
    throw new DeliveryError(`${describe}: HTTP 429: slow down, QUERYTOKEN`, { retryable: true, retryAfterMs: 2000 })
  }), (err: unknown) => err instanceof DeliveryError && err.retryable && err.retryAfterMs === 2000 && err.message === `${describe}: HTTP 429: slow down, [redacted]`)
  await assert.rejects(sendRedacted(URL_WITH_SECRETS, describe, async () => { throw new Error(`fetch ${URL_WITH_SECRETS} failed`) }),
    (err: unknown) => err instanceof DeliveryError && err.message === `${describe}: fetch [redacted] failed`)
})
