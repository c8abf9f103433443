// Progress of a long command on stderr: a redrawn bar on a terminal, plain lines otherwise
// (CI logs and pipes get a line every 10 % instead of carriage returns).
export interface Progress {
  tick(ok: boolean): void;
  done(): void;
}

export function createProgress(write: (text: string) => void, isTTY: boolean, total: number, label: string): Progress {
  let done = 0;
  let failed = 0;
  let lastReportedDecile = -1;
  const width = 30;
  const render = (): void => {
    if (isTTY) {
      const filled = total === 0 ? width : Math.round((done / total) * width);
      write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${failed > 0 ? ` (${failed} rejected)` : ''}`);
      return;
    }
    const decile = total === 0 ? 10 : Math.floor((done / total) * 10);
    if (decile !== lastReportedDecile || done === total) {
      lastReportedDecile = decile;
      write(`${label}: ${done}/${total}${failed > 0 ? ` (${failed} rejected)` : ''}\n`);
    }
  };
  return {
    tick(ok) {
      done += 1;
      if (!ok) failed += 1;
      render();
    },
    done() {
      if (isTTY) write('\n');
    },
  };
}

/** Runs `work` over `items` with at most `concurrency` in flight; results keep the input order. */
export async function mapBounded<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  });
  await Promise.all(lanes);
  return results;
}
