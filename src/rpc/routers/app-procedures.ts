// Every procedure by path, as plain records rather than routers: the router (app-router.ts) is built from them, and
// the client package's router type (src/client/app-router.ts) reads their types without the server's context, which
// a sub-router's type would carry along (and with it the Workers types of the gateway's environment).
import { assistantProcedures } from "./assistants";
import { runProcedures } from "./runs";
import { threadProcedures } from "./threads";

export const appProcedures = { assistants: assistantProcedures, runs: runProcedures, threads: threadProcedures };
