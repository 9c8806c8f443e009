/**
 * `ssm-sign-proxy ca install|uninstall`: the system trust store, for tools that read only it (gh, Go tools
 * without SSL_CERT_FILE, Java…). Debian/Ubuntu: a .crt in /usr/local/share/ca-certificates and
 * update-ca-certificates; RHEL/Amazon Linux/Fedora: a .pem in /etc/pki/ca-trust/source/anchors and
 * update-ca-trust. Both need root; without it the error says how to run it.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, rmSync } from "node:fs";

interface TrustStore {
  family: string;
  anchor: string;
  tool: string;
  refresh: string[];
}

const STORES: TrustStore[] = [
  {
    family: "Debian/Ubuntu",
    anchor: "/usr/local/share/ca-certificates/ssm-sign-proxy.crt",
    tool: "update-ca-certificates",
    refresh: [],
  },
  {
    family: "RHEL/Amazon Linux/Fedora",
    anchor: "/etc/pki/ca-trust/source/anchors/ssm-sign-proxy.pem",
    tool: "update-ca-trust",
    refresh: ["extract"],
  },
];

function findTool(tool: string): string | undefined {
  for (const dir of ["/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin"]) {
    if (existsSync(`${dir}/${tool}`)) return `${dir}/${tool}`;
  }
  return undefined;
}

export type TrustOutcome = { kind: "ok"; message: string } | { kind: "error"; message: string };

export function changeTrust(
  action: "install" | "uninstall",
  certPath: string,
  caDirFlag: string,
  uid: number | undefined = process.getuid?.(),
): TrustOutcome {
  const found = STORES.map((store) => ({ store, tool: findTool(store.tool) })).find((s) => s.tool);
  if (!found?.tool) {
    return {
      kind: "error",
      message: `no update-ca-certificates or update-ca-trust on this host: add ${certPath} to its trust store by hand`,
    };
  }
  if (uid !== 0) {
    return {
      kind: "error",
      message: `changing the system trust store needs root: run \`sudo ssm-sign-proxy ca ${action} --ca-dir ${caDirFlag}\``,
    };
  }
  const { store, tool } = found;
  try {
    if (action === "install") copyFileSync(certPath, store.anchor);
    else rmSync(store.anchor, { force: true });
    // Debian's tool needs --fresh to drop a removed certificate's link.
    const args = action === "uninstall" && store.refresh.length === 0 ? ["--fresh"] : store.refresh;
    execFileSync(tool, args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    return { kind: "error", message: `${store.tool} failed: ${(err as Error).message.split("\n")[0]}` };
  }
  return {
    kind: "ok",
    message:
      action === "install"
        ? `installed ${certPath} as ${store.anchor} (${store.family}); remove it with \`ssm-sign-proxy ca uninstall\``
        : `removed ${store.anchor} from the ${store.family} trust store`,
  };
}
