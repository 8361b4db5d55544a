// What the upstream served, counted by the emulator itself (GET /emulator/admin/stats): upstream cost is measured,
// not inferred.

export interface UpstreamStats {
  requests: number;
  streams_opened: number;
  polls: number;
  by_route: Record<string, number>;
  /** Per thread named in a request's path: requests, and when the last one was answered (epoch ms). */
  by_thread: Record<string, { requests: number; last_at: number }>;
}

export async function resetUpstreamStats(base: string): Promise<void> {
  const response = await fetch(`${base}/emulator/admin/stats`, { method: "DELETE" });
  if (!response.ok) throw new Error(`resetting the emulator's stats: ${response.status}`);
}

export async function upstreamStats(base: string): Promise<UpstreamStats> {
  const response = await fetch(`${base}/emulator/admin/stats`);
  if (!response.ok) throw new Error(`reading the emulator's stats: ${response.status}`);
  return (await response.json()) as UpstreamStats;
}
