/**
 * The checks every synthesized combination must pass, declared once: cdk-nag (AwsSolutions) clean and cfn-lint
 * clean. Where cfn-lint is not installed, a visible skipped test says so instead of passing silently.
 */
import { describe, expect, it } from "vitest";
import { CREATE_VENV } from "../../support/test-python";
import { cfnLint, cfnLintAvailable } from "./cfn-lint";
import { type SynthesizedStack, unacknowledgedNagFindings } from "./synth";

export function describeCombinationChecks(all: Readonly<Record<string, SynthesizedStack>>): void {
  describe("every combination here", () => {
    it.each(Object.entries(all))("%s is cdk-nag (AwsSolutions) clean", (_name, { stack }) => {
      expect(unacknowledgedNagFindings(stack)).toEqual([]);
    });

    it.skipIf(!cfnLintAvailable)("passes cfn-lint", () => {
      const result = cfnLint(
        Object.fromEntries(Object.entries(all).map(([name, { template }]) => [name, template.toJSON()])),
      );
      expect(result.output).toBe("");
      expect(result.exitCode).toBe(0);
    });
    it.runIf(!cfnLintAvailable)(
      `cannot run cfn-lint: the cfn-lint binary is not on PATH (${CREATE_VENV})`,
      () => {},
    );
  });
}
