// Loaded with `--import` through NODE_OPTIONS (where Node 20 refuses --cpu-prof) by benches
// whose replica processes are started by another process: a `tidewatch replica` process
// profiles itself with the inspector and writes BENCH_CPU_PROF_DIR/CPU.<pid>.cpuprofile on exit,
// in the format --cpu-prof writes (cpu-profile.ts reads it). Other processes are left alone.
import fs from 'node:fs'
import { Session } from 'node:inspector'
import path from 'node:path'

const dir = process.env.BENCH_CPU_PROF_DIR
if (dir !== undefined && process.argv.includes('replica')) {
  const session = new Session()
  session.connect()
  session.post('Profiler.enable')
  session.post('Profiler.setSamplingInterval', { interval: 1000 })
  session.post('Profiler.start')
  // An in-process session answers synchronously, so this works in an exit handler.
  process.on('exit', () => {
    session.post('Profiler.stop', (err, r) => {
      if (err !== null) return
      fs.mkdirSync(dir, { recursive: true })
      fs.writeFileSync(path.join(dir, `CPU.${process.pid}.cpuprofile`), JSON.stringify(r.profile))
    })
  })
}
