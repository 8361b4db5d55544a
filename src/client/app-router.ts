// The router as a client sees it: the gateway's procedures, error shape and transformer, and no server context. The
// gateway's own router type carries its context (the Workers environment, the provider), which a frontend could not
// type-check against; procedures' types do not, so this type is built from them. test/client-types.test.ts fails
// if it ever differs from the gateway's router in what a client can call, send or receive.
import type { TRPCBuiltRouter, TRPCDecorateCreateRouterOptions } from "@trpc/server";
import type { formatError } from "../errors/error-format";
import type { appProcedures } from "../rpc/routers/app-procedures";

export type AppRouter = TRPCBuiltRouter<
  { ctx: object; meta: object; errorShape: ReturnType<typeof formatError>; transformer: false },
  TRPCDecorateCreateRouterOptions<typeof appProcedures>
>;
