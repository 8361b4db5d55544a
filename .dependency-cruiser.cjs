// Imports run one way: routes → rpc → hub (durable) and auth → providers → the failure log, schemas and errors. `npm test`
// runs this (`npm run check:imports`); type-only imports count too, since a cycle of types is still two files that must
// change together.
const layer = (name, below) => ({
  name: `${name}-imports-downward`,
  comment: `src/${name} may import only what lies below it: ${below.join(", ")}`,
  severity: "error",
  from: { path: `^src/${name}/` },
  to: { path: "^src/", pathNot: [`^src/${name}/`, ...below.map((folder) => `^src/${folder}`)] },
});

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "a cycle ties two modules together: what they share belongs below both",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    layer("schemas", ["env.ts"]),
    layer("errors", ["env.ts"]),
    // The failure log: a leaf every layer above may write to, describing errors with errors/ and nothing else.
    layer("log", ["errors/", "env.ts"]),
    layer("providers", ["schemas/", "errors/", "log/", "env.ts"]),
    layer("auth", ["providers/", "schemas/", "errors/", "log/", "env.ts"]),
    layer("durable", ["auth/", "providers/", "schemas/", "errors/", "log/", "env.ts"]),
    layer("rpc", ["durable/", "auth/", "providers/", "schemas/", "errors/", "log/", "env.ts"]),
    layer("routes", ["rpc/", "durable/", "auth/", "providers/", "schemas/", "errors/", "log/", "env.ts"]),
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    exclude: { path: "(^|/)worker-configuration\\.d\\.ts$" },
  },
};
