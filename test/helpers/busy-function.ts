// A function for tests of replicas in trouble: it passes each record's id on to the topic
// `done`, or, with BUSY=1 in its environment, marks that it started (a file busy-<pid> in
// $MARKS) and never returns — a handler stuck in a call that does not answer.
import fs from 'node:fs'
import path from 'node:path'

const HANDLER = `import fs from 'node:fs'
export default async (ctx: any, data: any) => {
  if (process.env.BUSY === '1') {
    fs.writeFileSync(process.env.MARKS + '/busy-' + process.pid, '')
    await new Promise(resolve => setTimeout(resolve, 3_600_000))
  }
  await ctx.send(String(data.id), 'done')
}
`

/** Writes handler.ts and function.yaml (input topic `work`, from earliest) into `dir`; returns the Function file. */
export function writeBusyFunction (dir: string, name: string, extraYaml = ''): string {
  fs.writeFileSync(path.join(dir, 'handler.ts'), HANDLER)
  const file = path.join(dir, 'function.yaml')
  fs.writeFileSync(file, `name: ${name}\ninput: { topic: work, startFrom: earliest }\nhandler: ./handler.ts\ntimeoutMs: 3600000\noutputs:\n  done: { type: kafka, topic: done }\n${extraYaml}`)
  return file
}
