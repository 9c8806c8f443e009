import { describe, expect, it } from "vitest";
import { requestHeadersForUpstream, responseHeadersForClient } from "../../lambda/core/header-filter";

describe("header filter", () => {
  it("drops hop-by-hop, Connection-named, Proxy-* and internal-network headers on the way to the upstream", () => {
    const kept = requestHeadersForUpstream([
      ["Host", "api.example.com"],
      ["Connection", "keep-alive, X-Secret-Hop"],
      ["X-Secret-Hop", "1"],
      ["Keep-Alive", "timeout=5"],
      ["Transfer-Encoding", "chunked"],
      ["TE", "trailers"],
      ["Upgrade", "h2c"],
      ["Proxy-Authorization", "Bearer local"],
      ["Proxy-Connection", "keep-alive"],
      ["X-Forwarded-For", "10.0.0.7"],
      ["X-Forwarded-Proto", "http"],
      ["X-Forwarded-Port", "80"],
      ["X-Amzn-Trace-Id", "Root=1-abc"],
      ["Via", "1.1 alb"],
      ["Forwarded", "for=10.0.0.7"],
      ["Content-Length", "3"],
      ["Accept", "application/json"],
      ["User-Agent", "curl/8"],
    ]);
    expect(kept).toEqual([
      ["Accept", "application/json"],
      ["User-Agent", "curl/8"],
    ]);
  });

  it("drops hop-by-hop headers on the way back but keeps end-to-end ones, Set-Cookie twice included", () => {
    const kept = responseHeadersForClient([
      ["connection", "close"],
      ["transfer-encoding", "chunked"],
      ["content-encoding", "gzip"],
      ["set-cookie", "a=1"],
      ["set-cookie", "b=2"],
      ["content-length", "10"],
    ]);
    expect(kept).toEqual([
      ["content-encoding", "gzip"],
      ["set-cookie", "a=1"],
      ["set-cookie", "b=2"],
      ["content-length", "10"],
    ]);
  });
});
