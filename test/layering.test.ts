// The layers of src/ (drawn in docs/architecture.md, declared in .dependency-cruiser.cjs) hold:
// no module imports a higher layer or a sibling part of its own layer. dependency-cruiser reads
// the TypeScript sources themselves, type-only imports included.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { run, tempDir } from './helpers/processes.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const DEPCRUISE = path.join(root, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs')

async function cruise (dir: string): Promise<{ code: number | null, out: string }> {
  const r = await run(process.execPath, [DEPCRUISE, 'src', '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: dir, timeoutMs: 180_000 })
  return { code: r.code, out: r.stdout + r.stderr }
}

test('dependencies point down only: no part of src/ imports a higher layer or a sibling', async () => {
  const { code, out } = await cruise(root)
  assert.equal(code, 0, out)
  assert.match(out, /no dependency violations found/)
})

test('the check itself catches an upward import (the broker importing the CLI) and a sibling one (the notifier importing functions)', async () => {
  const copy = tempDir('tidewatch-layers-')
  for (const entry of ['src', 'tsconfig.json', '.dependency-cruiser.cjs', 'package.json']) fs.cpSync(path.join(root, entry), path.join(copy, entry), { recursive: true })
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'))
  fs.appendFileSync(path.join(copy, 'src', 'broker', 'server.ts'), "\nimport '../cli/args.js'\n")
  fs.appendFileSync(path.join(copy, 'src', 'notifier', 'alert.ts'), "\nimport '../functions/api.js'\n")
  const { code, out } = await cruise(copy)
  assert.notEqual(code, 0)
  assert.match(out, /src\/broker\/server\.ts → src\/cli\/args\.ts/)
  assert.match(out, /src\/notifier\/alert\.ts → src\/functions\/api\.ts/)
})
