// How many may watch a run: sockets and HTTP followers together, per run and per tenant. Every open socket counts,
// authenticated or not, so sockets that never take a seat cannot pile up either.
import type { Connections } from "./connections";
import type { Followers } from "./followers";
import type { HubConfig } from "./hub-config";

export class Seats {
  constructor(
    private readonly connections: Connections,
    private readonly followers: Followers,
    private readonly config: HubConfig,
    /** Subscribers one tenant may hold on one run, so one tenant cannot take every seat. */
    private readonly perTenant: number,
    /** Closes sockets whose deadline to authenticate has passed, so they hold no seat a moment longer. */
    private readonly closeOverdue: (now: number) => void,
  ) {}

  /** Subscribers watching now (admitted sockets and HTTP followers): what polling paces itself by. */
  watching(): number {
    return this.connections.count() + this.followers.size;
  }

  hasRoomFor(tenant: string): boolean {
    return this.connections.count(tenant) + this.followers.count(tenant) < this.perTenant;
  }

  /** Why one more subscriber (of `tenant`, if known yet) cannot join, or null if it can. */
  refusal(tenant: string | null): string | null {
    this.closeOverdue(Date.now());
    if (this.connections.size + this.followers.size >= this.config.maxSubscribers)
      return `This run already has ${this.config.maxSubscribers} subscribers, the most it accepts.`;
    // Sockets that hold no seat yet get only a share of them, so they cannot lock out those that authenticate.
    if (tenant === null && this.connections.unadmitted >= this.config.maxUnauthenticatedSockets)
      return `This run already has ${this.config.maxUnauthenticatedSockets} sockets waiting to authenticate, the most it accepts.`;
    if (tenant !== null && !this.hasRoomFor(tenant))
      return `Tenant ${tenant} already has ${this.perTenant} subscribers on this run, the most one tenant may have.`;
    return null;
  }
}
