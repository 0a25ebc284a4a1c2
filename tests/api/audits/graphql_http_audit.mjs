// Runs graphql-http's server audits (MUST, SHOULD and MAY) against a live okrql and prints
// one JSON line per audit: {id, name, status, reason}. Usage: node graphql_http_audit.mjs
// <node_modules dir holding graphql-http> <url> <organization slug>
import { createRequire } from "node:module";
import path from "node:path";

const [modules, url, organization] = process.argv.slice(2);
const require = createRequire(path.join(modules, "noop.js"));
const { auditServer } = require("graphql-http");

// The demo organisation is picked by header, as every client of a development server may.
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set("x-organization", organization);
  return fetch(input, { ...init, headers });
};

const results = await auditServer({ url, fetchFn });
for (const result of results) {
  const line = { id: result.id, name: result.name, status: result.status };
  if (result.status !== "ok") {
    line.reason = result.reason;
    line.responseStatus = result.response.status;
    line.body = await result.response.text().catch(() => "");
  }
  console.log(JSON.stringify(line));
}
