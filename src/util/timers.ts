// setTimeout takes at most 2^31 - 1 ms (24.8 days); longer delays silently become 1 ms. Timers that
// may be longer (a schedule, a session's expiry) wait in steps instead.

const MAX_DELAY = 2 ** 31 - 1;

export interface LongTimer {
  cancel(): void;
}

export function setLongTimeout(
  callback: () => void,
  delayMs: number,
  options: { unref?: boolean } = {},
): LongTimer {
  let timer: NodeJS.Timeout;
  const due = Date.now() + Math.max(0, delayMs);
  const arm = () => {
    const left = due - Date.now();
    timer = setTimeout(left > MAX_DELAY ? arm : callback, Math.min(Math.max(0, left), MAX_DELAY));
    if (options.unref) timer.unref();
  };
  arm();
  return { cancel: () => clearTimeout(timer) };
}
