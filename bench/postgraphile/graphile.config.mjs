// The peer of okrql's benchmark: PostGraphile V5 (amber preset) over okrql's `public` schema in
// the bench database, started by bench.run with its documented CLI:
//   node node_modules/postgraphile/dist/cli-run.js -C graphile.config.mjs
// Production mode: no watch, no GraphiQL, no explain (Grafast runs in production mode when
// GRAPHILE_ENV is unset). DATABASE_URL, PORT and POOL_MAX come from the harness.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { jsonPgSmartTags } from "postgraphile/utils";

const poolMax = parseInt(process.env.POOL_MAX ?? "10", 10);

// PostGraphile only lets clients filter by indexed columns. W4 filters the objectives of one
// cycle by status, as okrql does: both servers then read objective_cycle_idx and check the
// status on each row, so this tag changes what PostGraphile allows, not what Postgres does.
const StatusFilterTags = jsonPgSmartTags({
  version: 1,
  config: { attribute: { "objective.status": { tags: { behavior: "+filterBy" } } } },
});

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [StatusFilterTags],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
      poolConfig: { max: poolMax },
    }),
  ],
  grafserv: {
    host: "127.0.0.1",
    port: parseInt(process.env.PORT ?? "18001", 10),
    graphiql: false,
    watch: false,
  },
  grafast: {
    explain: process.env.PG_EXPLAIN === "1",
    // PEER_TENANCY=rls (bench.run --peer-tenancy rls): every request binds the bench
    // organisation and acts as okrql's API role, so row-level security applies to the peer as
    // it does to okrql. That is how a multi-tenant PostGraphile deployment isolates tenants
    // (pgSettings, here fixed where a real one would take them from the caller's JWT).
    // Unset: the peer connects as the database owner and RLS does not apply to it.
    ...(process.env.PEER_TENANCY === "rls"
      ? { context: () => ({ pgSettings: { role: "okrql_app", "okrql.organization_id": "1" } }) }
      : {}),
  },
};
export default preset;
