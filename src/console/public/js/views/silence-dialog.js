// The dialog behind an alert's "Silence…" button: a silence matching all of the alert's labels
// exactly, for a chosen duration, with a comment (Alertmanager requires createdBy and comment).
import { sendJson } from '../api.js'
import { h, fill } from '../dom.js'

const DURATIONS = [['15 minutes', 15], ['1 hour', 60], ['4 hours', 240], ['1 day', 1440], ['1 week', 10080]]

export function openSilenceDialog (labels, onCreated) {
  const dialog = document.getElementById('silence-dialog')
  const error = h('p', { class: 'form-error', role: 'alert' })
  const duration = h('select', { name: 'duration' }, DURATIONS.map(([label, minutes]) => h('option', { value: minutes, selected: minutes === 60 }, label)))
  const comment = h('input', { name: 'comment', type: 'text', value: `Silenced from the console: ${labels.alertname ?? 'alert'}`, required: true })
  const author = h('input', { name: 'createdBy', type: 'text', value: localStorage.getItem('tidewatch.silencer') ?? 'console', required: true })
  const form = h('form', { method: 'dialog', class: 'form' },
    h('h2', {}, 'Silence this alert'),
    h('p', { class: 'muted' }, 'Alerts with exactly these labels stay listed but are not notified until the silence ends.'),
    h('div', { class: 'chips' }, Object.entries(labels).map(([k, v]) => h('span', { class: 'chip' }, h('span', { class: 'chip-key' }, k), '=', h('span', { class: 'chip-value' }, v)))),
    h('label', {}, 'For', duration),
    h('label', {}, 'Comment', comment),
    h('label', {}, 'Created by', author),
    error,
    h('div', { class: 'form-actions' },
      h('button', { type: 'button', class: 'button button-quiet', onclick: () => dialog.close() }, 'Cancel'),
      h('button', { type: 'submit', class: 'button button-primary' }, 'Silence')))
  form.addEventListener('submit', async ev => {
    ev.preventDefault()
    const now = Date.now()
    try {
      await sendJson('POST', '/api/v2/silences', {
        matchers: Object.entries(labels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true })),
        startsAt: new Date(now).toISOString(),
        endsAt: new Date(now + Number(duration.value) * 60_000).toISOString(),
        createdBy: author.value.trim(),
        comment: comment.value.trim()
      })
      localStorage.setItem('tidewatch.silencer', author.value.trim())
      dialog.close()
      await onCreated()
    } catch (err) {
      error.textContent = `Not silenced: ${err.message}`
    }
  })
  fill(dialog, form)
  dialog.showModal()
}
