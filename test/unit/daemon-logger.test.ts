/** The daemon's log on a terminal (pino-pretty): one line per request, however many fields it carries. */
import { PassThrough } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { PRETTY_OPTIONS, prettyStream } from "../../proxy-daemon/observe/logger";

describe("pretty log lines", () => {
  it("a request line with its fields is one line", async () => {
    const out = new PassThrough();
    let text = "";
    out.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
    });
    const stream = await prettyStream({ ...PRETTY_OPTIONS, colorize: false, destination: out, sync: true });
    expect(stream).toBeDefined();
    const log = pino({ level: "info" }, stream);
    log.info({ method: "GET", host: "api.github.com", status: 200, ms: 12.3, mode: "local" }, "request");
    await expect.poll(() => text.length).toBeGreaterThan(0);
    expect(text.trimEnd().split("\n")).toHaveLength(1);
    expect(text).toMatch(/INFO.*request.*"host":"api\.github\.com".*"status":200/);
  });
});
