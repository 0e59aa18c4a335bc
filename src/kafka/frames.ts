// Size-prefixed frames out of a byte stream, with the socket reading straight into them: a large
// frame (a Fetch response of megabytes) gets its own buffer as soon as its size is known, and
// the socket's reads land in it (net's `onread`), so no chunk is allocated, kept or copied for
// it. Small frames come out of one reused scratch buffer, copied (they are small). push() feeds
// the same reader from 'data' events, for sockets that cannot read into a given buffer.

const SCRATCH_BYTES = 64 * 1024
/**
 * The largest frame accepted from a broker. Responses to this consumer are bounded by its fetch
 * sizes (a few MiB, one batch more at most), so a larger size prefix means the stream is not
 * Kafka's: the connection is failed instead of allocating whatever it says.
 */
export const MAX_FRAME_BYTES = 256 * 1024 * 1024

export class FrameReader {
  /** Called with each whole frame (without its size prefix). */
  onFrame: (frame: Buffer) => void = () => {}
  #scratch = Buffer.allocUnsafe(SCRATCH_BYTES)
  #start = 0
  #end = 0
  #frame: Buffer | null = null
  #filled = 0

  /** Where the next read should go (for net's onread.buffer). */
  target (): Buffer {
    if (this.#frame !== null) return this.#frame.subarray(this.#filled)
    if (this.#end === this.#scratch.length) {
      // Move what is left to the front (less than one frame header's worth, or a frame's start).
      this.#scratch.copy(this.#scratch, 0, this.#start, this.#end)
      this.#end -= this.#start
      this.#start = 0
    }
    return this.#scratch.subarray(this.#end)
  }

  /** `n` bytes were read into the last target(). */
  wrote (n: number): void {
    if (this.#frame !== null) {
      this.#filled += n
      if (this.#filled === this.#frame.length) {
        const frame = this.#frame
        this.#frame = null
        this.onFrame(frame)
      }
      return
    }
    this.#end += n
    this.#drain()
  }

  /** Feeds bytes that arrived some other way (a 'data' event). */
  push (chunk: Buffer): void {
    let at = 0
    while (at < chunk.length) {
      const target = this.target()
      const n = Math.min(target.length, chunk.length - at)
      chunk.copy(target, 0, at, at + n)
      at += n
      this.wrote(n)
    }
  }

  /** Hands out the whole frames in the scratch buffer; a frame that continues gets its own buffer. */
  #drain (): void {
    while (this.#end - this.#start >= 4) {
      const size = this.#scratch.readInt32BE(this.#start)
      if (size < 0 || size > MAX_FRAME_BYTES) throw new RangeError(`frame size ${size} is outside 0-${MAX_FRAME_BYTES} (MAX_FRAME_BYTES)`)
      const available = this.#end - this.#start - 4
      if (available >= size) {
        const frame = Buffer.allocUnsafe(size)
        this.#scratch.copy(frame, 0, this.#start + 4, this.#start + 4 + size)
        this.#start += 4 + size
        this.onFrame(frame)
        continue
      }
      if (4 + size > this.#scratch.length - this.#start) {
        // Larger than what the scratch buffer has room for: the rest is read into the frame itself.
        this.#frame = Buffer.allocUnsafe(size)
        this.#scratch.copy(this.#frame, 0, this.#start + 4, this.#end)
        this.#filled = available
        this.#start = this.#end = 0
      }
      return
    }
    if (this.#start === this.#end) this.#start = this.#end = 0
  }
}
