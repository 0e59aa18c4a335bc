import { test } from 'node:test'
import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ConfigError } from '../functions/config/load.js'
import { parseProjectFile } from './project-file.js'

function dir (): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'tw-project-'))
  fs.writeFileSync(path.join(d, 'function.yaml'), 'name: x\n')
  fs.writeFileSync(path.join(d, 'notifier.yaml'), 'route: { receiver: r }\n')
  return d
}

test('a project file resolves its paths relative to itself and fills in defaults', () => {
  const d = dir()
  const p = parseProjectFile(path.join(d, 'tidewatch.yaml'), 'functions: [./function.yaml]\nnotifier: notifier.yaml\n')
  assert.deepEqual(p.functions, [path.join(d, 'function.yaml')])
  assert.equal(p.notifier, path.join(d, 'notifier.yaml'))
  assert.deepEqual(p.broker, { partitions: 10 })
  assert.deepEqual(p.demo, { topic: 'logs' })
})

test('every problem of a project file is reported with its line, column and field', () => {
  const d = dir()
  const file = path.join(d, 'tidewatch.yaml')
  assert.throws(() => parseProjectFile(file, 'functions:\n  - ./function.yaml\n  - ./missing.yaml\nnotifier: ./nope.yaml\n'), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.match(err.message, new RegExp(`${file}:3:5: functions.1: no such file: .*missing.yaml; Function file paths are relative to the project file`))
    assert.match(err.message, /:4:11: notifier: no such file: .*nope.yaml/)
    return true
  })
  assert.throws(() => parseProjectFile(file, 'functoins: [a]\nbroker: { partitions: 0 }\n'), (err: unknown) => {
    assert.ok(err instanceof ConfigError)
    assert.match(err.message, /:1:1: functions: required; add functions: …/)
    assert.match(err.message, /unknown field 'functoins'; check the spelling/)
    assert.match(err.message, /:2:23: broker.partitions: /)
    return true
  })
})
