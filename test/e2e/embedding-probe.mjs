// Runs the published embedding API (proxy-daemon/dist/index.mjs) in a fresh process, so NODE_EXTRA_CA_CERTS
// (trusting the test CA) applies; prints one JSON object of results. Input: argv[2] = {options, url}.

import { request, setGlobalDispatcher } from "undici";
import { createSignedFetch, createSigningDispatcher } from "../../proxy-daemon/dist/index.mjs";

const { options, url } = JSON.parse(process.argv[2]);
const results = {};
const take = async (res) => ({ status: res.status, body: await res.text() });

const signedFetch = createSignedFetch(options);
results.signedFetch = await take(await signedFetch(url, { headers: { "X-Client": "signed-fetch" } }));
results.signedFetchPost = await take(await signedFetch(url, { method: "POST", body: "posted-body" }));
results.unknownHost = await signedFetch("https://no-params.example/x").then(take, (err) => ({
  error: err.message,
  cause: `${err.cause?.name}: ${err.cause?.message}`,
  status: err.cause?.status,
}));
await signedFetch.close();

const dispatcher = createSigningDispatcher(options);
// Node's built-in fetch (its own bundled undici) with our dispatcher.
results.builtinFetch = await take(await fetch(url, { dispatcher }));
const viaRequest = await request(url, { dispatcher });
results.undiciRequest = { status: viaRequest.statusCode, body: await viaRequest.body.text() };
setGlobalDispatcher(dispatcher);
results.globalDispatcher = await take(await fetch(url));
await dispatcher.close();

process.stdout.write(JSON.stringify(results));
