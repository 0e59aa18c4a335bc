// The console's shell: hash routes to views, the navigation with a live indicator and the count
// of firing alerts, and the API token prompt. A view is a module with `mount(root, params,
// path)` that returns a function to stop its polling when another view is shown.
import { ApiError, getJson, getToken, onUnauthorized, poll, setToken } from './api.js'
import { fill } from './dom.js'
import { startFunctionHistory, subscribeFunctions } from './function-history.js'
import * as functions from './views/functions.js'
import * as rules from './views/rules.js'
import * as events from './views/events.js'
import * as alerts from './views/alerts.js'
import * as search from './views/search.js'
import * as context from './views/context.js'

const ROUTES = { functions, rules, events, alerts, search, context }
const main = document.getElementById('main')
let unmount = () => {}

/** "#/context/logs/0/42?samePod=1" → { name: 'context', path: ['logs', '0', '42'], params } */
function parseHash (hash) {
  const [route, query = ''] = hash.replace(/^#\/?/, '').split('?')
  const [name, ...path] = route.split('/')
  return { name: ROUTES[name] ? name : 'functions', path, params: new URLSearchParams(query) }
}

function show () {
  const { name, path, params } = parseHash(location.hash)
  unmount()
  const view = ROUTES[name]
  document.title = `${view.title} · Tidewatch`
  for (const a of document.querySelectorAll('nav a[data-route]')) {
    a.toggleAttribute('aria-current', a.dataset.route === name || (name === 'context' && a.dataset.route === 'search'))
  }
  main.replaceChildren()
  main.scrollTo?.(0, 0)
  unmount = view.mount(main, params, path) ?? (() => {})
}

// generatorURLs of the form /context?topic=…&partition=…&offset=… open the context view.
function redirectContextPath () {
  if (location.pathname !== '/context') return
  const q = new URLSearchParams(location.search)
  const [topic, partition, offset] = ['topic', 'partition', 'offset'].map(k => q.get(k))
  history.replaceState(null, '', topic && partition && offset ? `/#/context/${encodeURIComponent(topic)}/${partition}/${offset}` : '/')
}

function setUpTokenPrompt () {
  const dialog = document.getElementById('token-dialog')
  const input = dialog.querySelector('input')
  const note = dialog.querySelector('.form-error')
  let open = false
  onUnauthorized(() => {
    if (open) return
    open = true
    note.textContent = getToken() ? 'That token was not accepted. Check it and try again.' : ''
    input.value = ''
    dialog.showModal()
  })
  dialog.querySelector('form').addEventListener('submit', ev => {
    ev.preventDefault()
    setToken(input.value.trim())
    open = false
    dialog.close()
    show()
  })
  dialog.addEventListener('cancel', ev => ev.preventDefault())
}

function setUpLiveIndicator () {
  const dot = document.getElementById('live')
  subscribeFunctions(state => {
    if (!state.loaded && state.error === null) return
    const ok = state.error === null
    dot.className = `live ${ok ? 'live-ok' : 'live-down'}`
    fill(dot, ok ? 'live' : state.error instanceof ApiError && state.error.status === 401 ? 'token needed' : 'reconnecting…')
  })
}

function setUpAlertCount () {
  const badge = document.getElementById('alert-count')
  poll(async () => {
    const list = await getJson('/api/v2/alerts?silenced=false&inhibited=false')
    badge.hidden = list.length === 0
    badge.textContent = String(list.length)
  }, 2000, () => { badge.hidden = true })
}

redirectContextPath()
setUpTokenPrompt()
startFunctionHistory()
setUpLiveIndicator()
setUpAlertCount()
window.addEventListener('hashchange', show)
show()
// Set once the shell is wired, so a browser test can wait for it.
document.documentElement.dataset.ready = 'true'
