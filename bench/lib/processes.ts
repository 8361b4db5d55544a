// What the gateway's processes cost: CPU seconds and resident memory of every process in wrangler's process group
// (wrangler itself, the workerd that serves the gateway and the emulator, and the workerd of wrangler's own proxy in
// front of it), read from /proc.
import { readdir, readFile } from "node:fs/promises";

const TICKS_PER_SECOND = 100;

interface ProcessSample {
  cpuSeconds: number;
  rssBytes: number;
}

async function groupMembers(groupId: number): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, "utf8");
      // Fields after the command (which may hold spaces) start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) === groupId) pids.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** CPU seconds used so far and resident memory now, summed over the group's processes. */
export async function sampleGroup(groupId: number): Promise<ProcessSample> {
  let ticks = 0;
  let rssPages = 0;
  for (const pid of await groupMembers(groupId)) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      ticks += Number(fields[11]) + Number(fields[12]); // utime + stime
      rssPages += Number(fields[21]);
    } catch {
      // Gone meanwhile.
    }
  }
  return { cpuSeconds: ticks / TICKS_PER_SECOND, rssBytes: rssPages * 4096 };
}

/** Watches a process group while `work` runs: CPU seconds it used, and its peak resident memory (sampled). */
export async function measureGroup<T>(
  groupId: number,
  work: () => Promise<T>,
): Promise<{ result: T; cpuSeconds: number; peakRssBytes: number }> {
  const before = await sampleGroup(groupId);
  let peak = before.rssBytes;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, (await sampleGroup(groupId)).rssBytes);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  try {
    const result = await work();
    const after = await sampleGroup(groupId);
    return { result, cpuSeconds: after.cpuSeconds - before.cpuSeconds, peakRssBytes: Math.max(peak, after.rssBytes) };
  } finally {
    sampling = false;
    await sampler;
  }
}

/**
 * Resident memory of the runtime that runs the Workers (the gateway, the emulator and wrangler's local trace collector
 * share one workerd): the group's workerd processes except the one serving `publicPort`, which is wrangler's proxy
 * (absent in production, and it keeps memory for every connection it ever forwarded).
 */
export async function runtimeRss(groupId: number, publicPort: number): Promise<number> {
  let rssPages = 0;
  for (const pid of await groupMembers(groupId)) {
    try {
      const command = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0");
      if (!command[0]?.endsWith("/workerd") || command.some((arg) => arg.endsWith(`:${publicPort}`))) continue;
      const stat = await readFile(`/proc/${pid}/stat`, "utf8");
      rssPages += Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[21]);
    } catch {
      // Gone meanwhile.
    }
  }
  return rssPages * 4096;
}
