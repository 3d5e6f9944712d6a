import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { font, LIGHT_THEME, THEME_VARIABLES } from "../src/lib/theme";
import { contrastRatio, parseColor, blend } from "../src/lib/colour";

const css = readFileSync(join(__dirname, "..", "src", "lib", "style.css"), "utf8");

/** Declarations of the first rule whose selector list contains `selector`. */
function declarations(selector: string): Record<string, string> {
  const at = css.indexOf(selector);
  const body = css.slice(css.indexOf("{", at) + 1, css.indexOf("}", at));
  const out: Record<string, string> = {};
  for (const decl of body.split(";")) {
    const colon = decl.indexOf(":");
    if (colon > 0) out[decl.slice(0, colon).trim()] = decl.slice(colon + 1).trim();
  }
  return out;
}

describe("theme variables", () => {
  const light = declarations(".dlw-root {");
  const dark = declarations('body[data-jp-theme-light="false"] .dlw-root');

  it("the stylesheet's light palette is the theme's fallback", () => {
    for (const [key, name] of Object.entries(THEME_VARIABLES)) {
      expect(light[name], name).toBeDefined();
      const value = LIGHT_THEME[key as keyof typeof LIGHT_THEME];
      if (key === "font" || key === "monoFont") expect(light[name]).toBe(value);
      else expect(parseColor(light[name])).toEqual(parseColor(value));
    }
  });

  it("the dark theme sets every colour, from JupyterLab's variables where it has them", () => {
    for (const [key, name] of Object.entries(THEME_VARIABLES)) {
      if (key === "font" || key === "monoFont") continue;
      expect(dark[name], name).toBeDefined();
    }
    expect(dark["--dlw-fg"]).toMatch(/^var\(--jp-ui-font-color1, /);
    expect(dark["--dlw-bg"]).toMatch(/^var\(--jp-layout-color0, /);
  });

  it("text is readable (WCAG AA) on both palettes, with the dark fallbacks", () => {
    // the innermost default of nested var() fallbacks
    const fallback = (v: string): string => (v.startsWith("var(") ? fallback(v.slice(v.indexOf(",") + 1, -1).trim()) : v);
    for (const palette of [light, dark]) {
      const bg = parseColor(fallback(palette["--dlw-bg"]));
      for (const name of ["--dlw-fg", "--dlw-muted"]) {
        const fg = blend(parseColor(fallback(palette[name])), bg);
        expect(contrastRatio(fg, bg), name).toBeGreaterThanOrEqual(4.5);
      }
    }
  });

  it("in marimo's dark theme the dark palette takes marimo's colours, and they are readable", () => {
    // marimo 0.25's dark values of the variables it sets on the page (they reach shadow roots)
    const marimo: Record<string, string> = {
      "--background": "#181c1a", "--foreground": "#eceeed", "--muted-foreground": "#aab2af",
    };
    expect(dark["--dlw-fg"]).toContain("var(--foreground,");
    expect(dark["--dlw-muted"]).toContain("var(--muted-foreground,");
    expect(dark["--dlw-bg"]).toContain("var(--background,");
    const bg = parseColor(marimo["--background"]);
    for (const name of ["--foreground", "--muted-foreground"]) {
      expect(contrastRatio(parseColor(marimo[name]), bg), name).toBeGreaterThanOrEqual(4.5);
    }
  });

  it("builds canvas font strings", () => {
    expect(font(LIGHT_THEME, 11)).toBe("11px system-ui, sans-serif");
    expect(font(LIGHT_THEME, 12, "600", true)).toBe("600 12px ui-monospace, Menlo, monospace");
  });
});
