// Bundles every widget's front end into dlwidgets/static/<widget>.js (one ES module per widget,
// all dependencies inlined so nothing loads from a CDN at run time). A widget's entry is either
// js/src/<widget>/index.ts (a folder of modules) or a single js/src/<widget>.ts.
import { build } from "esbuild";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const srcDir = join(root, "js", "src");
const entryPoints = {};
for (const name of readdirSync(srcDir)) {
  const path = join(srcDir, name);
  if (name === "lib") continue;
  if (statSync(path).isDirectory()) {
    const index = join(path, "index.ts");
    if (existsSync(index)) entryPoints[name] = index;
  } else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) {
    entryPoints[name.slice(0, -3)] = path;
  }
}

await build({
  entryPoints,
  outdir: join(root, "dlwidgets", "static"),
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: process.env.DLWIDGETS_DEV ? false : true,
  sourcemap: false,
  loader: { ".css": "text" },
  logLevel: "info",
});
