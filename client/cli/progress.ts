// Progress of a long command on stderr: a redrawn bar on a terminal, plain lines otherwise
// (CI logs and pipes get a line every 10 % instead of carriage returns).
export interface Progress {
  tick(ok: boolean): void;
  done(): void;
}

/** `failedAs` names the items that did not pass in the count ("3 rejected", "1 failed"). */
export function createProgress(write: (text: string) => void, isTTY: boolean, total: number, label: string, failedAs = 'rejected'): Progress {
  let done = 0;
  let failed = 0;
  let lastReportedDecile = -1;
  const width = 30;
  const render = (): void => {
    if (isTTY) {
      const filled = total === 0 ? width : Math.round((done / total) * width);
      write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${failed > 0 ? ` (${failed} ${failedAs})` : ''}`);
      return;
    }
    const decile = total === 0 ? 10 : Math.floor((done / total) * 10);
    if (decile !== lastReportedDecile || done === total) {
      lastReportedDecile = decile;
      write(`${label}: ${done}/${total}${failed > 0 ? ` (${failed} ${failedAs})` : ''}\n`);
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
