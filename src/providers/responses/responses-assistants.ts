// The Durable Object holding Runcast's assistants for the Responses provider: one object (named "assistants") for
// the deployment, as the upstream had one list per account. Answers outcomes, since errors lose their shape over RPC.
import { DurableObject } from "cloudflare:workers";
import type { GatewayEnv } from "../../env";
import type { PageQuery } from "./pages";
import { AssistantRecords, type AssistantInput } from "./assistant-records";
import { outcome } from "./rpc-outcome";

export const ASSISTANTS_OBJECT = "assistants";

export class ResponsesAssistants extends DurableObject<GatewayEnv> {
  private readonly records = new AssistantRecords(this.ctx.storage.sql);

  create(input: AssistantInput & { model: string }, id?: string) {
    return outcome(() => this.records.create(input, id));
  }

  retrieve(id: string) {
    return outcome(() => this.records.retrieve(id));
  }

  update(id: string, input: AssistantInput) {
    return outcome(() => this.records.update(id, input));
  }

  delete(id: string) {
    return outcome(() => this.records.delete(id));
  }

  list(query: PageQuery) {
    return outcome(() => this.records.list(query));
  }
}
