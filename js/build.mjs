// Bundles every js/src/<widget>.ts into dlwidgets/static/<widget>.js (one ES module per widget,
// all dependencies inlined so nothing loads from a CDN at run time).
import { build } from "esbuild";
import { readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const srcDir = join(root, "js", "src");
const entries = readdirSync(srcDir)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
  .map((f) => join(srcDir, f));

await build({
  entryPoints: entries,
  outdir: join(root, "dlwidgets", "static"),
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: process.env.DLWIDGETS_DEV ? false : true,
  sourcemap: false,
  loader: { ".css": "text" },
  logLevel: "info",
});
