// What /proc (Linux) says about the processes a bench starts: their CPU time and which
// replica processes a `tidewatch run` started, so figures can be per CPU second of a replica.
import fs from 'node:fs'

/** CPU seconds (user + system) a process has used so far; 0 once it is gone. */
export function cpuSeconds (pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

/** The running child processes of `pid` whose command line contains `word`. */
export function childPids (pid: number, word: string): number[] {
  const out: number[] = []
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const ppid = Number(fs.readFileSync(`/proc/${name}/stat`, 'utf8').split(') ')[1].split(' ')[1])
      if (ppid !== pid) continue
      if (fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').includes(word)) out.push(Number(name))
    } catch {
      // It exited meanwhile.
    }
  }
  return out.sort((a, b) => a - b)
}
