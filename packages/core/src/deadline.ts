import { RediskitError } from './errors.js'

/**
 * `promise`, or a rejection with `RediskitError` `E_TIMEOUT` once `ms` milliseconds have passed,
 * whichever comes first. The timer is cleared as soon as `promise` settles, and a late rejection of
 * the losing `promise` is absorbed (never an unhandled rejection). The timer is not unref'd: a
 * caller awaiting the result keeps the process alive until it has its answer.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, op: string, key?: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(expire, ms, reject, ms, op, key)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      },
    )
  })
}

function expire(reject: (error: unknown) => void, ms: number, op: string, key: string | undefined): void {
  reject(timeoutError(ms, op, key))
}

function timeoutError(ms: number, op: string, key: string | undefined): RediskitError {
  return new RediskitError(
    'E_TIMEOUT',
    `${op}${key === undefined ? '' : ` ${JSON.stringify(key)}`} did not finish within ${ms} ms (commandTimeout)`,
    { details: { op, key, timeout: ms } },
  )
}

/** A running deadline of {@link Deadlines.begin} (opaque). */
export interface DeadlineTicket {
  readonly deadline: number
}

/** One call under a {@link Deadlines} queue. */
interface Pending extends DeadlineTicket {
  readonly deadline: number
  readonly reject: (error: unknown) => void
  readonly op: string
  readonly key: string | undefined
  settled: boolean
  next: Pending | undefined
}

/**
 * {@link withDeadline} for many calls sharing one timeout, without a timer per call.
 *
 * Every call gets the same timeout, so deadlines are ordered like the calls: a FIFO list with one
 * timer armed for its head. Settled calls are dropped from the head as they finish; when the list
 * is empty the timer is unref'd (it never keeps the process alive for nothing), and it is ref'd
 * again while a call is pending (a caller waiting for an answer keeps the process alive until the
 * deadline). A call still pending at its deadline is rejected with `E_TIMEOUT`; its late answer is
 * ignored and a late rejection absorbed.
 */
export class Deadlines {
  readonly timeout: number
  #head: Pending | undefined
  #tail: Pending | undefined
  #timer: NodeJS.Timeout | undefined
  #timerRef = false

  constructor(timeout: number) {
    this.timeout = timeout
  }

  /**
   * `promise`, or `E_TIMEOUT` after {@link timeout} ms. `now`: the caller's `performance.now()`
   * when it already read the clock (saves a read on the hot path).
   */
  track<T>(promise: Promise<T>, op: string, key?: string, now?: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const pending = this.#push(reject, op, key, now ?? performance.now())
      promise.then(
        (value) => {
          if (this.#settle(pending)) resolve(value)
        },
        (error: unknown) => {
          if (this.#settle(pending)) reject(error)
        },
      )
    })
  }

  /**
   * Starts a deadline for a call that reports through callbacks rather than a promise (the hot
   * path): `onTimeout` gets the `E_TIMEOUT` error if {@link end} was not called within
   * {@link timeout} ms of `now` (the caller's `performance.now()` at the start of the call).
   */
  begin(
    onTimeout: (error: unknown) => void,
    op: string,
    key: string | undefined,
    now: number,
  ): DeadlineTicket {
    return this.#push(onTimeout, op, key, now)
  }

  /** Ends a deadline started with {@link begin}: `true` if in time, `false` if it already expired. */
  end(ticket: DeadlineTicket): boolean {
    return this.#settle(ticket as Pending)
  }

  #push(reject: (error: unknown) => void, op: string, key: string | undefined, now: number): Pending {
    const pending: Pending = {
      deadline: now + this.timeout,
      reject,
      op,
      key,
      settled: false,
      next: undefined,
    }
    this.#dropSettled()
    if (this.#tail === undefined) this.#head = pending
    else this.#tail.next = pending
    this.#tail = pending
    if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#onTimer, this.timeout)
      this.#timerRef = true
    } else if (!this.#timerRef) {
      this.#timer.ref()
      this.#timerRef = true
    }
    return pending
  }

  /** Marks `pending` settled; false when its deadline already rejected it. */
  #settle(pending: Pending): boolean {
    if (pending.settled) return false
    pending.settled = true
    if (pending === this.#head) {
      this.#dropSettled()
      if (this.#head === undefined && this.#timer !== undefined && this.#timerRef) {
        this.#timer.unref()
        this.#timerRef = false
      }
    }
    return true
  }

  #dropSettled(): void {
    let head = this.#head
    while (head?.settled === true) head = head.next
    this.#head = head
    if (head === undefined) this.#tail = undefined
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined
    this.#timerRef = false
    const now = performance.now()
    let head = this.#head
    while (head !== undefined && (head.settled || head.deadline <= now)) {
      if (!head.settled) {
        head.settled = true
        head.reject(timeoutError(this.timeout, head.op, head.key))
      }
      head = head.next
    }
    this.#head = head
    if (head === undefined) {
      this.#tail = undefined
      return
    }
    this.#timer = setTimeout(this.#onTimer, Math.max(1, Math.ceil(head.deadline - now)))
    this.#timerRef = true
  }
}
