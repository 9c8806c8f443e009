/**
 * Canaries for minted tokens: a GitHub App key and an OAuth2 client secret (canary values), the issuers that mint
 * from them (test/support/fake-token-issuer.ts), and the needles to search for afterwards: the key's PEM lines,
 * the secret, a malformed key's contents, and every JWT and token the issuers saw or issued. Scenarios cover
 * success, a 401 re-mint, and every mint failure (rejected, unavailable, timeout, malformed key).
 */
import { appKey } from "../../support/app-keys";
import {
  type FakeTokenIssuer,
  type OAuth2Client,
  startFakeTokenIssuer,
} from "../../support/fake-token-issuer";
import { type Canaries, canariesFor, canaryValue } from "./canary";

export interface MintedCanaries {
  issuers: {
    app: FakeTokenIssuer;
    oauth: FakeTokenIssuer;
    refused: FakeTokenIssuer;
    flaky: FakeTokenIssuer;
    badKey: FakeTokenIssuer;
  };
  /** Parameters under `prefix` for every issuer's host. */
  params(prefix: string): Record<string, string>;
  /** Needles known now plus every JWT and token minted so far. */
  canaries(): Canaries;
  stop(): Promise<void>;
}

const APP_ID = "424242";
const INSTALLATION = "31337";

export async function startMintedCanaries(): Promise<MintedCanaries> {
  const key = appKey();
  const client: OAuth2Client = {
    id: "canary-client",
    secret: canaryValue("client-secret"),
    method: "client_secret_basic",
  };
  const badKeyValue = canaryValue("bad-key");
  const github = { appId: APP_ID, publicKey: key.publicKey, installationIds: [INSTALLATION] };
  const [app, oauth, refused, flaky, badKey] = await Promise.all([
    startFakeTokenIssuer(github),
    startFakeTokenIssuer(github, [client]),
    startFakeTokenIssuer(github, [{ ...client, secret: "the-issuer-expects-another-secret" }]),
    startFakeTokenIssuer(github, [client]),
    startFakeTokenIssuer(github),
  ]);
  const all = [app, oauth, refused, flaky, badKey];
  const appParams = (hostKey: string, prefix: string, pem: string) => ({
    [`${prefix}/${hostKey}/github-app/app-id`]: APP_ID,
    [`${prefix}/${hostKey}/github-app/private-key`]: pem,
    [`${prefix}/${hostKey}/github-app/installation-id`]: INSTALLATION,
  });
  const oauthParams = (at: FakeTokenIssuer, prefix: string) => ({
    [`${prefix}/${at.hostKey}/oauth2/token-url`]: `${at.origin}/oauth/token`,
    [`${prefix}/${at.hostKey}/oauth2/client-id`]: client.id,
    [`${prefix}/${at.hostKey}/oauth2/client-secret`]: client.secret,
  });
  const pemLines = key.privatePem.split("\n").filter((l) => l !== "" && !l.startsWith("-----"));
  return {
    issuers: { app, oauth, refused, flaky, badKey },
    params: (prefix) => ({
      ...appParams(app.hostKey, prefix, key.privatePem),
      ...appParams(
        badKey.hostKey,
        prefix,
        `-----BEGIN RSA PRIVATE KEY-----\n${badKeyValue}\n-----END RSA PRIVATE KEY-----\n`,
      ),
      ...oauthParams(oauth, prefix),
      ...oauthParams(refused, prefix),
      ...oauthParams(flaky, prefix),
    }),
    canaries() {
      const mints = all.flatMap((i) => i.mints);
      const jwts = mints.flatMap((m) => (m.jwt ? [m.jwt, m.jwt.split(".")[2] ?? ""] : []));
      const base = canariesFor([client.secret, badKeyValue]);
      return {
        values: [...base.values, ...mints.map((m) => m.token), ...jwts],
        needles: [...new Set([...base.needles, ...pemLines, ...mints.map((m) => m.token), ...jwts])],
      };
    },
    stop: async () => {
      await Promise.all(all.map((i) => i.stop()));
    },
  };
}

/**
 * Runs every minted-token scenario with `get(url)` (a GET through the daemon) and returns the statuses by name.
 * The answers of successful requests are the API's own (they echo the token) and are not to be searched.
 */
export async function runMintedScenarios(
  minted: MintedCanaries,
  get: (url: string) => Promise<{ status: number }>,
): Promise<Record<string, number>> {
  const { app, oauth, refused, flaky, badKey } = minted.issuers;
  const url = (at: FakeTokenIssuer, path: string) => `http://localhost:${at.port}${path}`;
  const ran: Record<string, number> = {};
  const run = async (name: string, target: string) => {
    ran[name] = (await get(target)).status;
  };
  await run("github-app minted", url(app, "/repos/o/r"));
  app.revoke(app.mints.at(-1)?.token ?? "");
  await run("github-app 401 re-mint", url(app, "/repos/o/r"));
  await run("oauth2 minted", url(oauth, "/v1/things"));
  await run("oauth2 rejected", url(refused, "/v1/things"));
  flaky.faults.set("canary-client", { status: 503 });
  await run("oauth2 unavailable", url(flaky, "/v1/things"));
  flaky.faults.set("canary-client", { stall: true });
  await run("oauth2 timeout", url(flaky, "/v1/things"));
  flaky.faults.delete("canary-client");
  await run("malformed key", url(badKey, "/repos/o/r"));
  return ran;
}

export const MINTED_EXPECTED: Record<string, number> = {
  "github-app minted": 200,
  "github-app 401 re-mint": 200,
  "oauth2 minted": 200,
  "oauth2 rejected": 502,
  "oauth2 unavailable": 503,
  "oauth2 timeout": 504,
  "malformed key": 502,
};
