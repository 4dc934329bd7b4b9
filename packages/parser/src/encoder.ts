import { RediskitError } from '@rediskit/core'

/** An argument of a command: text (UTF-8), bytes, or a number. */
export type CommandArgument = string | Buffer | Uint8Array | number | bigint

/** Buffers at least this large are passed through to the output instead of being copied. */
const PASS_THROUGH = 16 * 1024
/** Size of the memory blocks commands are written into. */
const SLAB = 64 * 1024
/** Strings up to this many UTF-16 units are measured and written in JS when they are ASCII. */
const SHORT_STRING = 64

interface Writers {
  utf8Write(text: string, offset: number, length: number): number
}
const proto = Buffer.prototype as unknown as Partial<Writers>
const NATIVE_WRITE = typeof proto.utf8Write === 'function'

/**
 * Writes commands as RESP arrays of bulk strings into memory blocks it owns, with as few copies as
 * possible: the commands of one pipeline share one block (and one socket write), Buffers of 16 KiB
 * and more are not copied at all but handed on as their own chunk, and a block is never written
 * again once its bytes were taken, so taken chunks stay valid however long a socket holds them.
 *
 * Numbers are written exactly: integers as their decimal digits at any size (`1e21` as
 * `1000000000000000000000`, not `1e+21`), `bigint`s likewise, other finite numbers as their
 * shortest round-trip text, `Infinity` as `inf`. `NaN` and non-argument values (`undefined`,
 * objects...) are `E_ENCODE` errors, thrown before anything of that command is written.
 */
export class CommandEncoder {
  #slab: Buffer = Buffer.allocUnsafeSlow(0)
  /** Start of the bytes not taken yet. */
  #start = 0
  #pos = 0
  /** Chunks completed before the current block region (block regions and passed-through Buffers). */
  #out: Buffer[] = []
  #bytes = 0

  /** Bytes written and not yet taken. */
  get pendingBytes(): number {
    return this.#bytes + (this.#pos - this.#start)
  }

  /** Appends one command: `command` (e.g. `'SET'`) followed by `args`. */
  write(command: string | Buffer, args: readonly CommandArgument[]): void {
    for (let i = 0; i < args.length; i++) checkArgument(args[i], i, command)
    this.#header(42, args.length + 1)
    this.#argument(command)
    for (let i = 0; i < args.length; i++) this.#argument(args[i]!)
  }

  /** Appends one command given as one array: `[command, ...args]`. */
  writeArray(parts: readonly CommandArgument[]): void {
    if (parts.length === 0) throw new RediskitError('E_ENCODE', 'a command needs at least its name')
    for (let i = 0; i < parts.length; i++) checkArgument(parts[i], i - 1, parts[0])
    this.#header(42, parts.length)
    for (let i = 0; i < parts.length; i++) this.#argument(parts[i]!)
  }

  /**
   * Everything written since the last `take()`, as chunks in order: usually one Buffer; more when
   * a large Buffer argument was passed through or a block filled up.
   */
  take(): Buffer[] {
    this.#flushRegion()
    const out = this.#out
    this.#out = []
    this.#bytes = 0
    return out
  }

  #flushRegion(): void {
    if (this.#pos === this.#start) return
    const region = this.#slab.subarray(this.#start, this.#pos)
    this.#out.push(region)
    this.#bytes += region.length
    this.#start = this.#pos
  }

  /** Makes room for `need` more bytes in the current block. */
  #reserve(need: number): void {
    if (this.#slab.length - this.#pos >= need) return
    this.#flushRegion()
    this.#slab = Buffer.allocUnsafeSlow(Math.max(need, SLAB))
    this.#start = 0
    this.#pos = 0
  }

  /** `*n\r\n` or `$n\r\n`. */
  #header(type: number, n: number): void {
    this.#reserve(24)
    const slab = this.#slab
    let pos = this.#pos
    slab[pos++] = type
    pos = writeDigits(slab, pos, n)
    slab[pos++] = 13
    slab[pos++] = 10
    this.#pos = pos
  }

  #argument(arg: CommandArgument): void {
    if (typeof arg === 'string') this.#string(arg)
    else if (typeof arg === 'number') this.#ascii(numberText(arg))
    else if (typeof arg === 'bigint') this.#ascii(arg.toString())
    else this.#bytesArgument(arg)
  }

  #string(text: string): void {
    const length = text.length
    if (length <= SHORT_STRING) {
      // Short strings: assume ASCII and copy in JS (cheaper than two calls into C++), in one
      // pass; on the first character above 0x7f, start over the UTF-8 way.
      this.#reserve(length + 24)
      const slab = this.#slab
      const start = this.#pos
      let pos = start
      slab[pos++] = 36
      pos = writeDigits(slab, pos, length)
      slab[pos++] = 13
      slab[pos++] = 10
      let i = 0
      for (; i < length; i++) {
        const c = text.charCodeAt(i)
        if (c > 127) break
        slab[pos++] = c
      }
      if (i === length) {
        slab[pos++] = 13
        slab[pos++] = 10
        this.#pos = pos
        return
      }
      this.#pos = start
    }
    const bytes = Buffer.byteLength(text, 'utf8')
    this.#header(36, bytes)
    this.#reserve(bytes + 2)
    const slab = this.#slab
    let pos = this.#pos
    pos += NATIVE_WRITE
      ? (slab as unknown as Writers).utf8Write(text, pos, bytes)
      : slab.write(text, pos, bytes, 'utf8')
    slab[pos++] = 13
    slab[pos++] = 10
    this.#pos = pos
  }

  /** A bulk string of ASCII text (no byte above 0x7f). */
  #ascii(text: string): void {
    const length = text.length
    this.#reserve(length + 24)
    const slab = this.#slab
    let pos = this.#pos
    slab[pos++] = 36
    pos = writeDigits(slab, pos, length)
    slab[pos++] = 13
    slab[pos++] = 10
    if (length <= SHORT_STRING) {
      for (let i = 0; i < length; i++) slab[pos++] = text.charCodeAt(i)
    } else {
      pos += slab.write(text, pos, length, 'latin1')
    }
    slab[pos++] = 13
    slab[pos++] = 10
    this.#pos = pos
  }

  #bytesArgument(data: Uint8Array): void {
    const length = data.length
    this.#header(36, length)
    if (length >= PASS_THROUGH) {
      this.#flushRegion()
      const chunk = Buffer.isBuffer(data)
        ? data
        : Buffer.from(data.buffer as ArrayBuffer, data.byteOffset, length)
      this.#out.push(chunk)
      this.#bytes += length
    } else {
      this.#reserve(length)
      this.#slab.set(data, this.#pos)
      this.#pos += length
    }
    this.#reserve(2)
    this.#slab[this.#pos++] = 13
    this.#slab[this.#pos++] = 10
  }
}

function checkArgument(arg: unknown, index: number, command: unknown): void {
  const type = typeof arg
  if (type === 'string' || type === 'bigint') return
  if (type === 'number') {
    if (Number.isNaN(arg)) throw invalid(index, command, 'NaN')
    return
  }
  if (arg instanceof Uint8Array) return
  throw invalid(index, command, arg === null ? 'null' : type === 'object' ? 'an object' : type)
}

function invalid(index: number, command: unknown, what: string): RediskitError {
  const name =
    typeof command === 'string' ? command : Buffer.isBuffer(command) ? command.toString() : 'command'
  const where = index < 0 ? 'the command name' : `argument ${index + 1} of ${name}`
  return new RediskitError(
    'E_ENCODE',
    `${where} is ${what}: arguments must be strings, Buffers, finite numbers or bigints`,
    { details: { command: name, index } },
  )
}

/** Exact decimal text of a number Redis can parse. */
function numberText(n: number): string {
  if (Number.isInteger(n)) {
    // Beyond 1e21 String() switches to exponent notation; BigInt() gives every digit of the double.
    return n < 1e21 && n > -1e21 ? String(n) : BigInt(n).toString()
  }
  if (n === Number.POSITIVE_INFINITY) return 'inf'
  if (n === Number.NEGATIVE_INFINITY) return '-inf'
  // The shortest text that reads back as the same double (Redis parses with strtold).
  return String(n)
}

/** Writes the decimal digits of a non-negative integer; returns the new position. */
function writeDigits(buf: Buffer, pos: number, n: number): number {
  if (n < 10) {
    buf[pos] = 48 + n
    return pos + 1
  }
  if (n < 100) {
    buf[pos] = 48 + ((n / 10) | 0)
    buf[pos + 1] = 48 + (n % 10)
    return pos + 2
  }
  const text = String(n)
  for (let i = 0; i < text.length; i++) buf[pos + i] = text.charCodeAt(i)
  return pos + text.length
}

/**
 * Checks a command's arguments without encoding them.
 *
 * @throws RediskitError `E_ENCODE`, as {@link CommandEncoder.write} would.
 */
export function checkCommand(command: string | Buffer, args: readonly CommandArgument[]): void {
  for (let i = 0; i < args.length; i++) checkArgument(args[i], i, command)
}

/** {@link checkCommand} for a command given as `[command, ...args]`. */
export function checkCommandArray(parts: readonly CommandArgument[]): void {
  if (parts.length === 0) throw new RediskitError('E_ENCODE', 'a command needs at least its name')
  for (let i = 0; i < parts.length; i++) checkArgument(parts[i], i - 1, parts[0])
}

const shared = new CommandEncoder()

/**
 * Encodes one command as a RESP array of bulk strings. Returns the bytes as chunks in order:
 * usually one Buffer; a Buffer argument of 16 KiB or more is its own chunk, passed through
 * without copying (write the chunks in order, e.g. with `socket.cork()` ... `uncork()`).
 *
 * ```ts
 * encodeCommand('SET', ['key', Buffer.from('value'), 'PX', 1000])
 * // [<Buffer 2a 35 0d 0a 24 33 0d 0a 53 45 54 ...>]  ("*5\r\n$3\r\nSET\r\n...")
 * ```
 *
 * @throws RediskitError `E_ENCODE` for `NaN`, `undefined`, `null`, booleans or objects.
 */
export function encodeCommand(command: string | Buffer, args: readonly CommandArgument[] = []): Buffer[] {
  shared.write(command, args)
  return shared.take()
}

/** Encodes several commands back to back (a pipeline); same chunking as {@link encodeCommand}. */
export function encodeCommands(commands: readonly (readonly CommandArgument[])[]): Buffer[] {
  for (const command of commands) checkCommandArray(command)
  for (const command of commands) shared.writeArray(command)
  return shared.take()
}
