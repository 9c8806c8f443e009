/**
 * Resident memory and CPU time of a process tree (Linux /proc), read around each load round. A tree, because nginx serves
 * from a worker child of its master; for Node processes the tree is the process itself.
 */
import { readFileSync } from "node:fs";

function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // gone
  }
}

function children(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

export function treeRssBytes(pid: number): number {
  let total = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop() as number;
    total += rssKb(p) * 1024;
    stack.push(...children(p));
  }
  return total;
}

/** Samples every `intervalMs` until stopped; returns the peak seen. */
export function sampleRss(pids: number[], intervalMs = 250): () => number[] {
  const peaks = pids.map(() => 0);
  const take = () => {
    pids.forEach((pid, i) => {
      peaks[i] = Math.max(peaks[i] ?? 0, treeRssBytes(pid));
    });
  };
  take();
  const timer = setInterval(take, intervalMs);
  return () => {
    clearInterval(timer);
    take();
    return peaks;
  };
}

/** user+system CPU seconds consumed so far by a process tree (Linux /proc, clock ticks of 1/100 s). */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop() as number;
    try {
      // Fields after the parenthesised command name; utime and stime are the 14th and 15th fields overall.
      const stat = readFileSync(`/proc/${p}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // gone
    }
    stack.push(...children(p));
  }
  return ticks / 100;
}
