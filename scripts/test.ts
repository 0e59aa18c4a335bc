// `npm test`: makes sure the real peers the tests drive are installed, then runs every compiled
// test file with Node's test runner. Arguments filter test files by substring of their path.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const root = path.dirname(dist)

function findTests (dir: string): string[] {
  if (!fs.existsSync(dir)) return []
  const out: string[] = []
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    if (entry.isDirectory()) out.push(...findTests(p))
    else if (entry.name.endsWith('.test.js')) out.push(p)
  }
  return out
}

const deps = spawnSync('bash', [path.join(root, 'scripts', 'ensure-test-deps.sh')], { stdio: 'inherit' })
if (deps.status !== 0) process.exit(deps.status ?? 1)

const filters = process.argv.slice(2)
// Only compiled tests whose source still exists: an incremental build leaves behind the output
// of files that were moved or deleted, which would otherwise run as if they were current.
const hasSource = (f: string): boolean => fs.existsSync(path.join(root, path.relative(dist, f)).replace(/\.js$/, '.ts'))
const files = [...findTests(path.join(dist, 'src')), ...findTests(path.join(dist, 'test'))]
  .filter(hasSource)
  .filter(f => filters.length === 0 || filters.some(w => f.includes(w)))
  .sort()
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`)
  process.exit(1)
}
const run = spawnSync(process.execPath, ['--enable-source-maps', '--test', '--test-concurrency=2', ...files], { stdio: 'inherit', cwd: root })
process.exit(run.status ?? 1)
