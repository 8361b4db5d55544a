// Which tenant owns a thread created through Runcast: one tiny Durable Object per thread id, written once, erased when the thread is deleted.
import { DurableObject } from "cloudflare:workers";
import type { GatewayEnv } from "../env";

export class ThreadOwner extends DurableObject<GatewayEnv> {
  /** Records `tenant` as the owner unless the thread has one already; answers the owner either way. */
  claim(tenant: string): string {
    const owner = this.ctx.storage.kv.get<string>("owner");
    if (owner) return owner;
    this.ctx.storage.kv.put("owner", tenant);
    return tenant;
  }

  /** After the thread was deleted upstream: the record goes, and with it the object's storage. */
  forget(): void {
    this.ctx.storage.kv.delete("owner");
  }

  /** The owning tenant, or null for a thread not created through Runcast. */
  owner(): string | null {
    return this.ctx.storage.kv.get<string>("owner") ?? null;
  }
}
