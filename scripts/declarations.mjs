// The packages' .d.ts, from one type-checked program over both entry points:
//   proxy-daemon/index.ts → proxy-daemon/dist/types/{proxy-daemon,lambda}/…  (the daemon imports lambda/)
//   cdk/index.ts          → cdk/dist/types/…
// Our sources import without extensions (esbuild resolves them); a consumer with moduleResolution node16 or
// nodenext needs `./x.js` in declaration files, so relative specifiers are rewritten on the way out.

import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";

const ROOT = resolve(import.meta.dirname, "..");
const OUT = join(ROOT, ".types-out");

/** Where each top-level source folder's declarations go, inside its package. */
function destination(emitted) {
  const rel = relative(OUT, emitted);
  const [top, ...rest] = rel.split(sep);
  if (top === "proxy-daemon" || top === "lambda") return join(ROOT, "proxy-daemon/dist/types", rel);
  if (top === "cdk") return join(ROOT, "cdk/dist/types", ...rest);
  throw new Error(`declarations for ${rel}: no package holds ${top}/`);
}

/** `./x` → `./x.js` or `./x/index.js`, decided by the source file the specifier names. */
function withExtensions(text, sourceDir) {
  return text.replace(/(from\s+|import\()(["'])(\.{1,2}\/[^"']*)\2/g, (whole, lead, quote, spec) => {
    if (/\.(js|mjs|json)$/.test(spec)) return whole;
    const base = resolve(sourceDir, spec);
    if (existsSync(`${base}.ts`)) return `${lead}${quote}${spec}.js${quote}`;
    if (existsSync(join(base, "index.ts"))) return `${lead}${quote}${spec}/index.js${quote}`;
    throw new Error(`declarations: cannot resolve ${spec} from ${relative(ROOT, sourceDir)}`);
  });
}

export function emitDeclarations() {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(ROOT, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
      },
    },
  );
  const options = {
    ...config.options,
    noEmit: false,
    declaration: true,
    emitDeclarationOnly: true,
    rootDir: ROOT,
    outDir: OUT,
  };
  const program = ts.createProgram(
    [join(ROOT, "proxy-daemon/index.ts"), join(ROOT, "cdk/index.ts")],
    options,
  );
  const result = program.emit(undefined, (fileName, text) => {
    const sourceDir = dirname(join(ROOT, relative(OUT, fileName)));
    const target = destination(fileName);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, withExtensions(text, sourceDir));
  });
  const diagnostics = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
  if (diagnostics.length > 0) {
    const host = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => "\n" };
    throw new Error(`declarations:\n${ts.formatDiagnostics(diagnostics, host)}`);
  }
}
