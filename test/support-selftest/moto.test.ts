import { GetParameterCommand, GetParametersByPathCommand, SSMClient } from "@aws-sdk/client-ssm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createKmsKey, type Moto, seedParameters, startMoto } from "../support/moto";
import { sharedMoto, uniquePrefix } from "../support/shared-moto";

describe("shared moto (globalSetup)", () => {
  it("is running and reachable from a test file", async () => {
    const { endpoint, env } = sharedMoto();
    const res = await fetch(`${endpoint}/moto-api/`);
    expect(res.status).toBe(200);
    expect(env.AWS_ENDPOINT_URL_SSM).toBe(endpoint);
    expect(env.AWS_REGION).toBe("us-east-1");
  });

  it("stores SecureString parameters under a unique prefix, encrypted with a custom KMS key", async () => {
    const moto = sharedMoto();
    const prefix = uniquePrefix("selftest");
    expect(prefix).toMatch(/^\/sign-proxy-test\/selftest-[0-9a-f]{8}\/$/);
    const key = await createKmsKey(moto.endpoint);
    await seedParameters(
      moto.endpoint,
      { [`${prefix}localhost_1`]: "s3cret", [`${prefix}localhost_2`]: "x" },
      { keyId: key.keyId },
    );
    const ssm = new SSMClient(moto.clientConfig);
    try {
      const raw = await ssm.send(new GetParameterCommand({ Name: `${prefix}localhost_1` }));
      expect(raw.Parameter?.Type).toBe("SecureString");
      expect(raw.Parameter?.Value).not.toBe("s3cret");
      const listed = await ssm.send(new GetParametersByPathCommand({ Path: prefix, WithDecryption: true }));
      const values = Object.fromEntries((listed.Parameters ?? []).map((p) => [p.Name, p.Value]));
      expect(values).toEqual({ [`${prefix}localhost_1`]: "s3cret", [`${prefix}localhost_2`]: "x" });
    } finally {
      ssm.destroy();
    }
  });
});

describe("startMoto (a private instance)", () => {
  let moto: Moto;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto.stop();
  });

  it("reset() forgets every parameter", async () => {
    await seedParameters(moto.endpoint, { "/reset-me/a": "1" }, { type: "String" });
    await moto.reset();
    const ssm = new SSMClient({ ...sharedMoto().clientConfig, endpoint: moto.endpoint });
    try {
      await expect(ssm.send(new GetParameterCommand({ Name: "/reset-me/a" }))).rejects.toMatchObject({
        name: "ParameterNotFound",
      });
    } finally {
      ssm.destroy();
    }
  });

  it("stop() ends the server and may be called twice", async () => {
    await moto.stop();
    await moto.stop();
    await expect(fetch(`${moto.endpoint}/moto-api/`)).rejects.toThrow();
  });
});
