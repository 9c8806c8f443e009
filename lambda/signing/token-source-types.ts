/** What a host's minted token source is, once its parameters are validated (token-source-rules.ts). */
import type { KeyObject } from "node:crypto";

export type MintedKind = "github-app" | "oauth2";

interface SourceIdentity {
  /**
   * sha256 over the kind's parameters (secrets included): a token minted under one configuration is never used
   * under another, so a rotated key or secret takes effect with the next parameter load. Memory only.
   */
  fingerprint: string;
}

export interface GitHubAppSource extends SourceIdentity {
  kind: "github-app";
  /** The App ID (numeric) or Client ID (`Iv…`): the JWT's `iss`. */
  appId: string;
  /** Parsed once per parameter load; `undefined` when the PEM is malformed (then `keyProblem` says why). */
  privateKey: KeyObject | undefined;
  /** Why the key could not be used, naming the parameter, never its contents. */
  keyProblem?: string;
  installationId: string;
  repositories?: string[];
  permissions?: Record<string, string>;
  /** `https://api.github.com`, or `https://<host>/api/v3` for GitHub Enterprise Server. No trailing slash. */
  apiUrl: URL;
}

export type OAuth2AuthMethod = "client_secret_basic" | "client_secret_post";

export interface OAuth2Source extends SourceIdentity {
  kind: "oauth2";
  tokenUrl: URL;
  clientId: string;
  clientSecret: string;
  scope?: string;
  audience?: string;
  authMethod: OAuth2AuthMethod;
}

export type MintedTokenSource = GitHubAppSource | OAuth2Source;
