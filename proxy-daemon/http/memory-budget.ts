/**
 * The daemon's memory budget: requests in flight, and bytes of request and response bodies held in memory.
 * Node buffers each whole body (a Lambda event carries it whole), so without a cap a few clients uploading
 * at once, or many fetching large answers, grow the daemon's memory without bound. Beyond either limit a new
 * request gets 503 `daemon-busy` with Retry-After instead of being read.
 *
 * One request is always admitted when nothing is held, so a single body up to --max-body still works.
 */

export interface MemoryBudgetOptions {
  maxInFlight: number;
  maxBufferedBytes: number;
}

/** Bodies of this many largest-size requests may be held at once (request and answer together). */
export const BODY_BUDGET_MULTIPLE = 4; // keep in step with DEFAULT_BUFFERED_MULTIPLE (cli-options.ts)

export function bufferedBytesBudget(maxBodyBytes: number): number {
  return BODY_BUDGET_MULTIPLE * maxBodyBytes;
}

export interface Ticket {
  /** Holds `bytes` more (e.g. the answer once it is in); false when over the budget (it is held anyway). */
  hold(bytes: number): boolean;
  /** Gives everything back. Idempotent. */
  release(): void;
}

export class MemoryBudget {
  #inFlight = 0;
  #held = 0;

  constructor(private readonly options: MemoryBudgetOptions) {}

  get inFlight(): number {
    return this.#inFlight;
  }

  get heldBytes(): number {
    return this.#held;
  }

  /** A ticket for a request that will hold `bytes` of body, or the reason it cannot be admitted now. */
  admit(bytes: number): Ticket | "in-flight" | "bytes" {
    if (this.#inFlight >= this.options.maxInFlight) return "in-flight";
    if (this.#held > 0 && this.#held + bytes > this.options.maxBufferedBytes) return "bytes";
    this.#inFlight += 1;
    this.#held += bytes;
    let mine = bytes;
    let released = false;
    return {
      hold: (more) => {
        if (released) return true;
        mine += more;
        this.#held += more;
        return this.#held <= this.options.maxBufferedBytes;
      },
      release: () => {
        if (released) return;
        released = true;
        this.#inFlight -= 1;
        this.#held -= mine;
      },
    };
  }
}
