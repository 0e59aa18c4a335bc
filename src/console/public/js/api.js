// Calls to the server's APIs with the API token. The token is what the user typed into the
// prompt, kept in sessionStorage (gone with the tab) and sent as `Authorization: Bearer`.
// A 401 opens the prompt; the calls that failed are simply made again by their pollers.

const TOKEN_KEY = 'tidewatch.token'
const listeners = new Set()

export class ApiError extends Error {
  constructor (status, message) {
    super(message)
    this.status = status
  }
}

export function getToken () { return sessionStorage.getItem(TOKEN_KEY) }

export function setToken (token) {
  if (token) sessionStorage.setItem(TOKEN_KEY, token)
  else sessionStorage.removeItem(TOKEN_KEY)
}

/** `listener()` runs when the server asks for a (new) token. */
export function onUnauthorized (listener) { listeners.add(listener) }

async function request (path, init = {}) {
  const headers = new Headers(init.headers)
  const token = getToken()
  if (token) headers.set('authorization', `Bearer ${token}`)
  const res = await fetch(path, { ...init, headers })
  if (res.status === 401) {
    for (const l of listeners) l()
    throw new ApiError(401, 'the server needs the API token')
  }
  if (!res.ok) throw new ApiError(res.status, await errorText(res))
  return res
}

// The log store answers {error, field}; Alertmanager's API a bare JSON string.
async function errorText (res) {
  const text = await res.text()
  try {
    const body = JSON.parse(text)
    if (typeof body === 'string') return body
    if (body && typeof body.error === 'string') return body.error
  } catch {}
  return text || `HTTP ${res.status}`
}

export async function getJson (path) {
  return await (await request(path)).json()
}

export async function sendJson (method, path, body) {
  const res = await request(path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  return text === '' ? null : JSON.parse(text)
}

/**
 * Reads an NDJSON response line by line as it streams in, calling `onLine` for each parsed
 * line, so search results show while the server is still scanning.
 */
export async function streamNdjson (path, onLine, signal) {
  const res = await request(path, { signal })
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
  let buffered = ''
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    buffered += value
    const lines = buffered.split('\n')
    buffered = lines.pop()
    for (const line of lines) if (line.trim() !== '') onLine(JSON.parse(line))
  }
  if (buffered.trim() !== '') onLine(JSON.parse(buffered))
}

/**
 * Calls `tick()` now and then every `everyMs` after each call settles (never overlapping) until
 * the returned stop function is called. Errors go to `onError` and polling goes on.
 */
export function poll (tick, everyMs, onError = () => {}) {
  let stopped = false
  let timer = null
  const loop = async () => {
    try { await tick() } catch (err) { if (!stopped) onError(err) }
    if (!stopped) timer = setTimeout(loop, everyMs)
  }
  void loop()
  return () => { stopped = true; clearTimeout(timer) }
}
