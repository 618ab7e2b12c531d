/** Download progress output: a redrawn bar on a TTY (bytes, %, speed), plain lines every 10 % otherwise. */

/** One progress report of a download. */
export interface DownloadProgress {
  /** Bytes in the file so far (including a resumed prefix). */
  received: number;
  /** Expected size, when the server said. */
  total: number | null;
  /** Bytes already present when this transfer began (resume). */
  resumedFrom: number;
  /** Average speed of this transfer. */
  bytesPerSecond: number;
}

/** Where progress goes: a stream, a TTY or not. */
export interface ProgressOutput {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

/** Receives progress reports and closes the line at the end. */
export interface ProgressPrinter {
  update(p: DownloadProgress): void;
  done(): void;
}

const MB = 1024 * 1024;
const mb = (n: number): string => `${(n / MB).toFixed(1)} MB`;

/** Formats "36.1/80.1 MB 45.0% 5.2 MB/s" (or without total/percent when unknown). */
export function formatProgress(p: DownloadProgress): string {
  const speed = `${mb(p.bytesPerSecond)}/s`;
  if (p.total && p.total > 0) return `${mb(p.received)}/${mb(p.total)} ${((100 * p.received) / p.total).toFixed(1)}% ${speed}`;
  return `${mb(p.received)} ${speed}`;
}

/** Creates a progress printer for `out` (process.stderr by default). */
export function createProgressPrinter(out: ProgressOutput = process.stderr, now: () => number = Date.now): ProgressPrinter {
  let lastDraw = 0;
  let lastStep = -1;
  let drawn = false;
  let last: DownloadProgress | null = null;
  return {
    update(p) {
      last = p;
      if (out.isTTY) {
        const t = now();
        if (t - lastDraw < 100 && p.received !== p.total) return;
        lastDraw = t;
        const width = 30;
        const frac = p.total ? Math.min(1, p.received / p.total) : 0;
        const filled = Math.round(frac * width);
        const bar = p.total ? `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` : '';
        out.write(`\r\x1b[2K${bar}${formatProgress(p)}`);
        drawn = true;
      } else {
        const step = p.total ? Math.floor((10 * p.received) / p.total) : Math.floor(p.received / (10 * MB));
        if (step === lastStep) return;
        lastStep = step;
        out.write(`downloaded ${formatProgress(p)}\n`);
      }
    },
    done() {
      if (out.isTTY && drawn) {
        if (last) out.write(`\r\x1b[2K${formatProgress(last)}`);
        out.write('\n');
      }
      drawn = false;
    },
  };
}
