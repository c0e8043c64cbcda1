// SIGINT and SIGTERM for the commands that run for a while (once, run): the first asks for a
// graceful stop, a second exits at once (safe: checkpoints only move on acknowledged batches).

export function onStopSignals(
  stop: (signal: NodeJS.Signals) => void,
  again: (signal: NodeJS.Signals) => void,
): () => void {
  let received = 0;
  const handler = (signal: NodeJS.Signals) => {
    received++;
    if (received > 1) {
      again(signal);
      process.exit(130);
    }
    stop(signal);
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}
