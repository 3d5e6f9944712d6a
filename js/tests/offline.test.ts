import { describe, expect, it } from "vitest";
import { flatIndex, nearestIndexOf, OfflineTable, splitIndex, stepValue, withPath, type OfflineData } from "../src/lib/offline";
import { raceNotes } from "../src/optimizer_race/requests";
import { LocalModel } from "../src/standalone";

describe("offline table helpers", () => {
  it("finds the nearest value, on a log scale when asked", () => {
    expect(nearestIndexOf([0.001, 0.01, 0.1], 0.04)).toBe(1);
    expect(nearestIndexOf([0.001, 0.01, 0.1], 0.04, Math.log)).toBe(2);
    expect(nearestIndexOf([0.001, 0.01, 0.1], 0.02, Math.log)).toBe(1);
    expect(nearestIndexOf([0.001, 0.01, 0.1], 0.06)).toBe(2);
    expect(nearestIndexOf([0.001, 0.01, 0.1], 0.03, Math.log)).toBe(1);
  });
  it("indexes combinations row-major, as itertools.product does", () => {
    expect(flatIndex([3, 3, 2], [0, 0, 0])).toBe(0);
    expect(flatIndex([3, 3, 2], [0, 0, 1])).toBe(1);
    expect(flatIndex([3, 3, 2], [1, 0, 0])).toBe(6);
    expect(flatIndex([3, 3, 2], [2, 2, 1])).toBe(17);
    for (let k = 0; k < 18; k++) expect(flatIndex([3, 3, 2], splitIndex([3, 3, 2], k))).toBe(k);
  });
  it("sets a path without touching the original object", () => {
    const before = { a: { x: 1, y: 2 }, b: 3 };
    const after = withPath(before, ["a", "x"], 5) as typeof before;
    expect(after).toEqual({ a: { x: 5, y: 2 }, b: 3 });
    expect(before.a.x).toBe(1);
  });
});

function table(): { model: LocalModel; offline: OfflineTable } {
  // two optimizers' learning rates (independent) and a surface parameter (conflicts with both)
  const data: OfflineData = {
    count: 7,
    groups: [
      { key: "hyper/sgd/lr", label: "sgd lr", conflicts: [2], controls: [{ name: "hyper.sgd.lr", values: [0.01, 0.1], base: 0 }],
        states: [[[["hyper", "sgd"], { lr: 0.01 }], [["paths", "sgd"], "sgd@0.01"]], [[["hyper", "sgd"], { lr: 0.1 }], [["paths", "sgd"], "sgd@0.1"]]] },
      { key: "hyper/adam/lr", label: "adam lr", conflicts: [2], controls: [{ name: "hyper.adam.lr", values: [0.05, 0.5], base: 0 }],
        states: [[[["hyper", "adam"], { lr: 0.05 }], [["paths", "adam"], "adam@0.05"]], { refused: "too large" }] },
      { key: "surface/a", label: "a", conflicts: [0, 1], controls: [{ name: "surface_params.a", values: [1, 2, 3], base: 0 }],
        states: [1, 2, 3].map((a) => [[["surface_params"], { a }], [["hyper"], { sgd: { lr: 0.01 }, adam: { lr: 0.05 } }], [["paths"], { sgd: `sgd@a${a}`, adam: `adam@a${a}` }]]) },
    ],
  };
  const model = new LocalModel({
    _standalone: true, _offline: data, surface_params: { a: 1 },
    hyper: { sgd: { lr: 0.01 }, adam: { lr: 0.05 } }, paths: { sgd: "sgd@0.01", adam: "adam@0.05" },
  });
  return { model, offline: OfflineTable.of(model)! };
}

describe("OfflineTable", () => {
  it("is null on a live kernel or without precomputed states", () => {
    expect(OfflineTable.of(new LocalModel({ _offline: { groups: [{}], count: 1 } }))).toBeNull();
    expect(OfflineTable.of(new LocalModel({ _standalone: true }))).toBeNull();
  });
  it("snaps to a precomputed value, patches the state and fires change events", () => {
    const { model, offline } = table();
    const changed: string[] = [];
    model.on("change:paths", () => changed.push("paths"));
    expect(offline.set("hyper.sgd.lr", 0.08).value).toBe(0.1);
    expect(model.get("paths")).toEqual({ sgd: "sgd@0.1", adam: "adam@0.05" });
    expect(model.get("hyper").sgd.lr).toBe(0.1);
    expect(changed).toEqual(["paths"]);
    expect(offline.value("hyper.sgd.lr")).toBe(0.1);
    expect(offline.note("hyper.sgd.lr")).toBe("offline: 2 precomputed values");
    expect(offline.sharing("hyper.sgd.lr")).toContain("1 other control that shares its state");
    expect(offline.sharing("surface_params.a")).toContain("2 other controls");
  });
  it("keeps independent groups and resets conflicting ones to their exported value", () => {
    const { model, offline } = table();
    offline.set("hyper.sgd.lr", 0.1);
    offline.set("surface_params.a", 2.9);
    expect(model.get("surface_params")).toEqual({ a: 3 });
    expect(model.get("paths")).toEqual({ sgd: "sgd@a3", adam: "adam@a3" });
    expect(model.get("hyper").sgd.lr).toBe(0.01);
    expect(offline.value("hyper.sgd.lr")).toBe(0.01);
    offline.set("hyper.sgd.lr", 0.1);
    expect(offline.value("surface_params.a")).toBe(1);
    expect(model.get("paths")).toEqual({ sgd: "sgd@0.1", adam: "adam@a1" });
  });
  it("reports a refused value and leaves the state alone", () => {
    const { model, offline } = table();
    const result = offline.set("hyper.adam.lr", 0.6);
    expect(result).toEqual({ value: 0.5, refused: "too large" });
    expect(model.get("paths").adam).toBe("adam@0.05");
  });
});

describe("race notes in a page whose states are patched", () => {
  it("takes each optimizer's notes from its summary, keeping the others", () => {
    const notes = ["sgd: diverged at step 4", "a general note"];
    const summary = { sgd: { notes: [] }, adam: { notes: ["adam: diverged at step 9"] } };
    expect(raceNotes(notes, ["sgd", "adam"], summary)).toEqual(["a general note", "adam: diverged at step 9"]);
  });
  it("shows the notes as they are when a summary has none (an older state)", () => {
    expect(raceNotes(["sgd: x"], ["sgd"], { sgd: {} })).toEqual(["sgd: x"]);
  });
});

describe("keys on a precomputed slider", () => {
  it("move to the next precomputed value, clamped at the ends", () => {
    const values = [0.001, 0.01, 0.1, 1];
    expect(stepValue(values, 0.01, "ArrowRight")).toBe(0.1);
    expect(stepValue(values, 0.01, "ArrowDown")).toBe(0.001);
    expect(stepValue(values, 0.001, "ArrowLeft")).toBe(0.001);
    expect(stepValue(values, 0.01, "End")).toBe(1);
    expect(stepValue(values, 0.1, "Home")).toBe(0.001);
    expect(stepValue(values, 0.01, "PageUp")).toBe(1);
    expect(stepValue(values, 0.01, "Tab")).toBeNull();
  });
});
