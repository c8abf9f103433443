/**
 * Runs `stop` on the first SIGINT/SIGTERM. Ctrl-C in a terminal reaches every process of the
 * foreground group, and npm/tsx relay it too, so one keypress can arrive more than once:
 * repeats are ignored until the third, which forces an exit for someone who really means it.
 */
export function onShutdownSignal(stop: (signal: NodeJS.Signals) => void, say: (line: string) => void = (line) => console.error(line)): void {
  let received = 0;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      received += 1;
      if (received === 1) stop(signal);
      else if (received >= 3) {
        say(`${signal} again: exiting without waiting for a clean shutdown`);
        process.exit(130);
      } else say('already shutting down; send the signal again to force an exit');
    });
  }
}
