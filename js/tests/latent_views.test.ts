import { describe, expect, it } from "vitest";
import { embeddingNote, shownView, viewOptions } from "../src/latent_explorer/views";

const none = new Set<string>();

describe("which view is drawn", () => {
  it("draws an invertible view at once", () => {
    expect(shownView("pca", "pca", none)).toBe("pca");
    expect(shownView("dims", "pca", none)).toBe("dims");
  });
  it("keeps the last plane while an embedding is computed, then draws the embedding", () => {
    expect(shownView("tsne", "dims", none)).toBe("dims");
    expect(shownView("tsne", "dims", new Set(["tsne"]))).toBe("tsne");
    expect(shownView("umap", "pca", new Set(["tsne"]))).toBe("pca");
  });
});

describe("the view selector's options", () => {
  const byView = (opts: ReturnType<typeof viewOptions>) => Object.fromEntries(opts.map((o) => [o.view, o]));
  it("offers every view with a kernel, UMAP disabled with its install hint when missing", () => {
    const o = byView(viewOptions({ d: 4, planeMode: "pca", computed: none, unavailable: { umap: "UMAP needs umap-learn: pip install dlwidgets[umap]" }, standalone: false }));
    expect(o.pca.disabled || o.dims.disabled || o.tsne.disabled).toBe(false);
    expect(o.umap.disabled).toBe(true);
    expect(o.umap.title).toContain("pip install dlwidgets[umap]");
    expect(o.umap.label).toBe("UMAP (not installed: pip install dlwidgets[umap])");
    expect(o.tsne.title).toContain("not invertible");
  });
  it("offers on a static page only the exported plane and the embeddings computed before", () => {
    const o = byView(viewOptions({ d: 4, planeMode: "dims", computed: new Set(["tsne"]), unavailable: {}, standalone: true }));
    expect([o.pca.disabled, o.dims.disabled, o.tsne.disabled, o.umap.disabled]).toEqual([true, false, false, true]);
    expect(o.umap.title).toContain("UMAP was not computed before the export");
  });
  it("needs two latent dimensions for PCA", () => {
    const o = byView(viewOptions({ d: 1, planeMode: "dims", computed: none, unavailable: {}, standalone: false }));
    expect(o.pca.disabled).toBe(true);
    expect(o.dims.disabled).toBe(false);
  });
});

describe("the note on a non-invertible view", () => {
  it("says what t-SNE keeps, its parameters, and that positions are not decoded", () => {
    const note = embeddingNote("tsne", { perplexity: 19.666, seed: 7 });
    expect(note).toContain("perplexity 19.7, seed 7");
    expect(note).toContain("not invertible");
    expect(note).toContain("nearest data point");
  });
  it("gives UMAP's neighbours and min_dist", () => {
    expect(embeddingNote("umap", { n_neighbors: 15, min_dist: 0.1, seed: 0 })).toContain("15 neighbours, min_dist 0.1, seed 0");
  });
});
