import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { HandlerLoadError } from '../functions/loader.js'
import { bundleHandler } from './bundle-handler.js'
import { DOCKERFILE } from './dockerfile.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..')
const exampleHandler = path.join(repoRoot, 'examples', 'logs-handler', 'handler.ts')
const MiB = 1024 * 1024

function withDir (files: Record<string, string>, body: (dir: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-bundle-'))
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text)
  return body(dir).finally(() => fs.rmSync(dir, { recursive: true, force: true }))
}

test('the example handler bundles into one self-contained module that loads without the tidewatch package', async () => {
  const bundle = await bundleHandler(exampleHandler, { maxBytes: MiB })
  assert.equal(bundle.sourceMap, true)
  assert.deepEqual(bundle.warnings, [])
  assert.doesNotMatch(bundle.code, /from\s*["']tidewatch["']/, 'the tidewatch import is inlined')
  assert.match(bundle.code, /sourceMappingURL=data:application\/json;base64,/)
  const map = JSON.parse(Buffer.from(/base64,(\S+)/.exec(bundle.code)![1], 'base64').toString())
  assert.ok(map.sources.includes('handler.ts'), `source map paths are relative to the handler: ${map.sources.join(', ')}`)
  assert.ok(!map.sources.some((s: string) => path.isAbsolute(s)), 'no machine paths in the source map')
  await withDir({ 'handler.mjs': bundle.code }, async dir => {
    const mod = await import(pathToFileURL(path.join(dir, 'handler.mjs')).href)
    assert.deepEqual(mod.default.outputs, ['notification-manager'])
    assert.equal(typeof mod.default.handle, 'function')
  })
})

test('bundled CommonJS dependencies can still require node builtins', async () => {
  await withDir({
    'dep.cjs': "const path = require('node:path')\nmodule.exports = { base: f => path.basename(f) }\n",
    'handler.ts': "import { defineFunction } from 'tidewatch'\nimport dep from './dep.cjs'\nexport default defineFunction({ outputs: ['out'], async handle (ctx, data) { await ctx.send(dep.base(String(data)), 'out') } })\n"
  }, async dir => {
    const bundle = await bundleHandler(path.join(dir, 'handler.ts'), { maxBytes: MiB, cwd: dir })
    const out = path.join(dir, 'out')
    fs.mkdirSync(out)
    fs.writeFileSync(path.join(out, 'handler.mjs'), bundle.code)
    const mod = await import(pathToFileURL(path.join(out, 'handler.mjs')).href)
    const sent: unknown[] = []
    await mod.default.handle({ send: async (p: unknown) => { sent.push(p) } }, '/var/log/app.log')
    assert.deepEqual(sent, ['app.log'])
  })
})

test('esbuild errors fail the bundle with the handler named and each problem as file:line:column', async () => {
  await withDir({
    'handler.ts': "import { missing } from './nowhere.js'\nimport leftPad from 'left-pad-that-is-not-installed'\nexport default async () => { missing(leftPad) }\n"
  }, async dir => {
    const file = path.join(dir, 'handler.ts')
    await assert.rejects(bundleHandler(file, { maxBytes: MiB, cwd: dir }), (err: Error) => {
      assert.ok(err instanceof HandlerLoadError)
      assert.ok(err.message.startsWith(`${file}: cannot compile the handler:`), err.message)
      assert.match(err.message, /^ {2}handler\.ts:1:25: Could not resolve "\.\/nowhere\.js"$/m)
      assert.match(err.message, /^ {2}handler\.ts:2:21: Could not resolve "left-pad-that-is-not-installed"/m)
      return true
    })
  })
})

test('a bundle over the ConfigMap budget drops its source map, and fails naming the handler when still too big', async () => {
  const mapped = await bundleHandler(exampleHandler, { maxBytes: MiB })
  const plain = await bundleHandler(exampleHandler, { maxBytes: Buffer.byteLength(mapped.code) - 1 })
  assert.equal(plain.sourceMap, false)
  assert.doesNotMatch(plain.code, /sourceMappingURL/)
  const budget = Buffer.byteLength(plain.code) - 1
  await assert.rejects(bundleHandler(exampleHandler, { maxBytes: budget }), (err: Error) => {
    assert.ok(err instanceof HandlerLoadError)
    assert.ok(err.message.startsWith(`${exampleHandler}: the bundled handler is ${budget + 1} bytes, but only ${budget} fit`), err.message)
    assert.match(err.message, /ConfigMap to 1 MiB/)
    return true
  })
})

test('the repository\'s Dockerfile is the one deploy writes', () => {
  assert.equal(fs.readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'), DOCKERFILE)
})
