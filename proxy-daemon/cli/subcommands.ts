/**
 * `ssm-sign-proxy env …` and `ssm-sign-proxy ca …`: small commands around interception, run instead of the
 * daemon. They print results on stdout (so `eval "$(…)"` works) and problems on stderr with exit code 1
 * (2 for usage errors).
 */
import { join } from "node:path";
import { CA_FILE, type CaError, defaultCaDir, ensureCa, type LocalCa, loadCa } from "../tls/ca-store";
import { writeBundle } from "./ca-bundle";
import { DEFAULT_ADDRESS } from "./cli-options";
import { formatVariables, proxyVariables, SHELLS, type ShellKind } from "./env-command";
import { changeTrust } from "./trust-store";

export interface Io {
  out(text: string): void;
  err(text: string): void;
  env: Readonly<Record<string, string | undefined>>;
}

export const SUBCOMMAND_USAGE = `Usage:
  ssm-sign-proxy env [--address HOST:PORT] [--ca-dir DIR] [--shell sh|fish|github]
      print the proxy and trust variables: eval "$(ssm-sign-proxy env)"
  ssm-sign-proxy ca init|path|install|uninstall [--ca-dir DIR]
      create the interception CA, print its certificate's path, add it to / remove it from the system
      trust store (root; Debian update-ca-certificates, RHEL update-ca-trust)
`;

type Flags = { address?: string; caDir?: string; shell?: string };

function readFlags(args: readonly string[], allowed: ReadonlyArray<keyof Flags>): Flags | string {
  const flags: Flags = {};
  const names: Record<string, keyof Flags> = {
    address: "address",
    addr: "address",
    "ca-dir": "caDir",
    shell: "shell",
  };
  for (let i = 0; i < args.length; i++) {
    const match = /^--?([a-z-]+)(?:=(.*))?$/s.exec(args[i] ?? "");
    const key = match ? names[match[1] ?? ""] : undefined;
    if (!match || !key || !allowed.includes(key)) return `unexpected argument ${JSON.stringify(args[i])}`;
    const value = match[2] ?? args[++i];
    if (value === undefined) return `--${match[1]} needs a value`;
    flags[key] = value;
  }
  return flags;
}

const failed = (io: Io, problem: CaError | string, code = 1): number => {
  io.err(`ssm-sign-proxy: ${typeof problem === "string" ? problem : problem.message}\n`);
  return code;
};

function caDirOf(flags: Flags, io: Io): string {
  return flags.caDir ?? (io.env.SSM_SIGN_PROXY_CA_DIR || defaultCaDir(io.env));
}

function runEnv(args: readonly string[], io: Io): number {
  const flags = readFlags(args, ["address", "caDir", "shell"]);
  if (typeof flags === "string") return failed(io, `${flags} (see ssm-sign-proxy env --help)`, 2);
  const shell = (flags.shell ?? "sh") as ShellKind;
  if (!SHELLS.includes(shell)) return failed(io, `--shell must be one of ${SHELLS.join(", ")}`, 2);
  // The same CA the daemon will use with --intercept; created now so the trust variables point at files.
  const ca = ensureCa(caDirOf(flags, io));
  if ("kind" in ca) return failed(io, ca);
  const variables = proxyVariables({
    address: flags.address ?? (io.env.SSM_SIGN_PROXY_ADDRESS || DEFAULT_ADDRESS),
    caCertPath: ca.certPath,
    bundlePath: writeBundle(ca),
  });
  if ("message" in variables) return failed(io, variables.message, 2);
  io.out(formatVariables(variables, shell));
  return 0;
}

function runCa(args: readonly string[], io: Io): number {
  const [action, ...rest] = args;
  const flags = readFlags(rest, ["caDir"]);
  if (typeof flags === "string") return failed(io, `${flags} (see ssm-sign-proxy ca --help)`, 2);
  const dir = caDirOf(flags, io);
  const existing = (): LocalCa | CaError =>
    loadCa(dir) ?? {
      kind: "ca-error",
      message: `no CA in ${dir}: run \`ssm-sign-proxy ca init --ca-dir ${dir}\``,
    };
  switch (action) {
    case "init": {
      const ca = ensureCa(dir);
      if ("kind" in ca) return failed(io, ca);
      writeBundle(ca);
      io.out(`${ca.certPath}\n`);
      return 0;
    }
    case "path": {
      const ca = existing();
      if ("kind" in ca) return failed(io, ca);
      io.out(`${ca.certPath}\n`);
      return 0;
    }
    case "install":
    case "uninstall": {
      // Before reading the CA: as another user its 0700 directory looks empty, which would mislead.
      if (process.getuid?.() !== 0) {
        return failed(
          io,
          `changing the system trust store needs root: run \`sudo ssm-sign-proxy ca ${action} --ca-dir ${dir}\``,
        );
      }
      const certPath = action === "install" ? existing() : join(dir, CA_FILE);
      if (typeof certPath !== "string" && "kind" in certPath) return failed(io, certPath);
      const outcome = changeTrust(action, typeof certPath === "string" ? certPath : certPath.certPath, dir);
      if (outcome.kind === "error") return failed(io, outcome.message);
      io.err(`ssm-sign-proxy: ${outcome.message}\n`);
      return 0;
    }
    default:
      return failed(io, `ca needs one of init, path, install, uninstall\n${SUBCOMMAND_USAGE}`, 2);
  }
}

/** Runs `env` or `ca`; `undefined` when argv is not a subcommand (the daemon runs). */
export function runSubcommand(argv: readonly string[], io: Io): number | undefined {
  const [command, ...args] = argv;
  if (command !== "env" && command !== "ca") return undefined;
  if (args.includes("--help") || args.includes("-h")) {
    io.out(SUBCOMMAND_USAGE);
    return 0;
  }
  return command === "env" ? runEnv(args, io) : runCa(args, io);
}
