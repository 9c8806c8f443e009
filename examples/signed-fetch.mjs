#!/usr/bin/env node
// Embedding without a daemon: sign requests in-process with createSignedFetch and examples/params.json.
// With the echo server running (node examples/echo-server.mjs):
//
//   NODE_EXTRA_CA_CERTS=examples/echo-server.crt node examples/signed-fetch.mjs
//
// With AWS, use createSignedFetch({ functionName: "ssm-sign-proxy" }) instead of { local: ... }.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSignedFetch } from "ssm-sign-proxy";

const params = process.env.PARAMS ?? join(dirname(fileURLToPath(import.meta.url)), "params.json");
const url = process.env.ECHO_URL ?? "https://localhost:8443/hello-from-signed-fetch";

const signedFetch = createSignedFetch({ local: params });
try {
  const res = await signedFetch(url);
  process.stdout.write(`${res.status}\n${await res.text()}`);
} finally {
  await signedFetch.close();
}
