// At most one execution of a job at a time. A tick takes its turn synchronously, before it reads
// anything from the store (the job's switch, on a remote database, takes a while): a tick that
// arrives meanwhile waits for that turn's decision instead of starting a second execution.

export interface Turn {
  /** Stops reading; the batch in flight may still be acknowledged and committed. */
  readonly stop: AbortController;
  /** Abandons the batch in flight as well. */
  readonly abandon: AbortController;
  /** Settles when the turn is over. */
  readonly done: Promise<void>;
}

interface Taken extends Turn {
  /** Whether the turn starts an execution; false when it ends without one. */
  readonly runs: Promise<boolean>;
}

export class OneAtATime {
  private turn: Taken | null = null;

  /** A turn is under way: deciding whether it runs, or running. */
  get busy(): boolean {
    return this.turn !== null;
  }

  /** The turn under way, to stop it. */
  get current(): Turn | null {
    return this.turn;
  }

  /**
   * Runs `work` as the one turn, or answers "busy" when another turn runs an execution. When
   * another is still deciding, its decision is awaited: if it ends without an execution, this
   * tick tries again. `work` calls `executing()` before it starts one.
   */
  async run<T>(work: (turn: Turn, executing: () => void) => Promise<T>): Promise<T | "busy"> {
    const other = this.turn;
    if (other) return (await other.runs) ? "busy" : this.run(work);
    let decide = (_runs: boolean) => {};
    let over = () => {};
    const turn: Taken = {
      stop: new AbortController(),
      abandon: new AbortController(),
      runs: new Promise<boolean>((resolve) => (decide = resolve)),
      done: new Promise<void>((resolve) => (over = resolve)),
    };
    this.turn = turn;
    try {
      return await work(turn, () => decide(true));
    } finally {
      // Cleared before the ticks waiting on its decision look again.
      this.turn = null;
      decide(false);
      over();
    }
  }
}
