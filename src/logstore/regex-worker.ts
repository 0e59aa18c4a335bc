// Runs a search regex over batches of record values in a worker thread. JavaScript regexes
// backtrack and cannot be interrupted from inside their own thread; in a worker, a pattern that
// turns out to be catastrophic on some record is stopped by terminating the worker, and the
// broker's event loop never stalls on it. Protocol: workerData { source, flags, maxChars };
// each message { id, texts } is answered with { id, matched } (1 = match, 0 = not).
import { parentPort, workerData } from 'node:worker_threads'

const { source, flags, maxChars } = workerData as { source: string, flags: string, maxChars: number }
const re = new RegExp(source, flags)

parentPort!.on('message', (msg: { id: number, texts: string[] }) => {
  const matched = new Uint8Array(msg.texts.length)
  for (let i = 0; i < msg.texts.length; i++) {
    const t = msg.texts[i]
    if (re.test(t.length > maxChars ? t.slice(0, maxChars) : t)) matched[i] = 1
  }
  parentPort!.postMessage({ id: msg.id, matched }, [matched.buffer])
})
