// Small helpers to build DOM nodes and format numbers and times. Every text goes in through
// textContent / createTextNode, never innerHTML: log lines and labels are untrusted input.

/**
 * h('div', { class: 'card', onclick: fn }, 'text', child, [more, children]) → an element.
 * Attributes starting with "on" become listeners; false / null / undefined ones are left out.
 */
export function h (tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === false || value === null || value === undefined) continue
    if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value)
    else if (name === 'dataset') Object.assign(el.dataset, value)
    else el.setAttribute(name, value === true ? '' : String(value))
  }
  append(el, children)
  return el
}

function append (el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue
    if (Array.isArray(c)) append(el, c)
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
}

/** Replaces the children of `el`. */
export function fill (el, ...children) {
  el.replaceChildren()
  append(el, children)
  return el
}

const SVG_NS = 'http://www.w3.org/2000/svg'

/** Like h(), for SVG elements. */
export function s (tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag)
  for (const [name, value] of Object.entries(attrs)) if (value !== null && value !== undefined) el.setAttribute(name, String(value))
  append(el, children)
  return el
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const decimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 })

export function formatCount (n) { return integer.format(n) }
export function formatRate (n) { return n >= 100 ? integer.format(n) : decimal.format(n) }

/** "3 s ago", "4 min ago", "2 h ago"; in the future: "in 58 min". */
export function relativeTime (iso, now = Date.now()) {
  const ms = typeof iso === 'number' ? now - iso : now - Date.parse(iso)
  const future = ms < 0
  const sec = Math.round(Math.abs(ms) / 1000)
  const text = sec < 5 ? 'just now' : sec < 60 ? `${sec} s` : sec < 3600 ? `${Math.round(sec / 60)} min` : sec < 86400 ? `${Math.round(sec / 3600)} h` : `${Math.round(sec / 86400)} d`
  if (text === 'just now') return text
  return future ? `in ${text}` : `${text} ago`
}

/** "14:03:27.120" for log lines: the date is shown separately when it is not today. */
export function clockTime (ms) {
  const d = new Date(ms)
  const time = d.toLocaleTimeString('en-GB', { hour12: false }) + '.' + String(d.getMilliseconds()).padStart(3, '0')
  const today = new Date().toDateString() === d.toDateString()
  return today ? time : `${d.toLocaleDateString('en-CA')} ${time}`
}

/**
 * The parts of a stored record worth showing: the log message and the pod it came from, read
 * from the common shipper envelopes (Fluent Bit / Fluentd `log` or `message`, Vector `message`).
 */
export function describeRecord (value) {
  let doc = null
  if (typeof value === 'string' && (value.startsWith('{') || value.startsWith('['))) {
    try { doc = JSON.parse(value) } catch {}
  }
  if (doc === null || typeof doc !== 'object') return { message: value ?? '', pod: null, namespace: null, doc: null }
  const k8s = typeof doc.kubernetes === 'object' && doc.kubernetes !== null ? doc.kubernetes : {}
  const message = [doc.message, doc.log, doc.msg].find(m => typeof m === 'string') ?? value
  return { message: message.replace(/\n$/, ''), pod: k8s.pod_name ?? null, namespace: k8s.namespace_name ?? null, doc }
}

/** `text` with each case-insensitive occurrence of `needle` wrapped in <mark>. */
export function highlight (text, needle) {
  if (!needle) return [text]
  const out = []
  const lower = text.toLowerCase()
  const n = needle.toLowerCase()
  let at = 0
  for (let i = lower.indexOf(n); i >= 0 && n.length > 0; i = lower.indexOf(n, at)) {
    out.push(text.slice(at, i), h('mark', {}, text.slice(i, i + n.length)))
    at = i + n.length
  }
  out.push(text.slice(at))
  return out
}

/** An empty state: what is missing and what to do next. */
export function emptyState (title, ...body) {
  return h('div', { class: 'empty' }, h('p', { class: 'empty-title' }, title), ...body)
}
