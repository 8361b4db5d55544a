// The client package's router type against the gateway's: what a client can call, send, receive and be refused with
// must be the same, or a frontend type-checks against an API the gateway does not serve. These are type assertions
// (tsc checks them in `npm run typecheck`); the test also checks, at run time, that both name the same procedures.
import type { inferRouterError, inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { AppRouter as ClientRouter } from "../src/client";
import { appRouter, type AppRouter as GatewayRouter } from "../src/rpc/routers/app-router";

describe("the client package's AppRouter", () => {
  it("has the gateway's inputs, outputs and error shape for every procedure", () => {
    expectTypeOf<inferRouterInputs<ClientRouter>>().toEqualTypeOf<inferRouterInputs<GatewayRouter>>();
    expectTypeOf<inferRouterOutputs<ClientRouter>>().toEqualTypeOf<inferRouterOutputs<GatewayRouter>>();
    expectTypeOf<inferRouterError<ClientRouter>>().toEqualTypeOf<inferRouterError<GatewayRouter>>();
    expectTypeOf<ClientRouter["_def"]["record"]>().toEqualTypeOf<GatewayRouter["_def"]["record"]>();
  });

  it("carries no server context", () => {
    expectTypeOf<ClientRouter["_def"]["_config"]["$types"]["ctx"]>().toEqualTypeOf<object>();
  });

  it("names every procedure the gateway serves", () => {
    // The gateway's procedures by path, read from the router itself (a procedure added outside appProcedures shows here).
    const served = Object.keys(appRouter._def.procedures).sort();
    expect(served).toContain("runs.createThreadAndRun");
    expect(served).toContain("runs.steps.list");
    expect(served).toContain("runs.events");
    const typed: Record<keyof inferRouterInputs<ClientRouter>, true> = { assistants: true, runs: true, threads: true };
    expect(new Set(served.map((path) => path.split(".")[0]))).toEqual(new Set(Object.keys(typed)));
  });
});
