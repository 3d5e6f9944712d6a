// The classic cell diagram (LSTM, GRU or plain RNN) as SVG, with the live numbers of the chosen
// step and unit and the equations checked against PyTorch's recorded c and h.

import { h } from "../lib/dom";
import { formatNumber } from "../lib/format";
import type { Theme } from "../lib/theme";
import { gruNumbers, lstmNumbers } from "./cell_numbers";
import { dir, info, initialAt, step, tokens, unit, valueAt, which, type Inspector } from "./context";
import { BOX_LABEL, SIGMOID_FILL, TANH_FILL } from "./palette";
import { visibleToken } from "./tokens";
import { previousStep } from "./trace";

const SVG_NS = "http://www.w3.org/2000/svg";
const W = 420;
const H = 250;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

const fmt = (x: number) => formatNumber(x, 4);

/** Drawing primitives of the diagram on one <svg>, in the colours of one theme. */
class Sketch {
  readonly s = svg("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: "dlw-lstm-cell-svg", role: "img" });

  constructor(readonly theme: Theme) {}

  num(x: number, y: number, text: string, anchor = "middle", color = this.theme.fg) {
    this.s.appendChild(svg("text", { x, y, "text-anchor": anchor, fill: color, class: "dlw-lstm-num" }, text));
  }

  line(pts: Array<[number, number]>, color = this.theme.muted, width = 1.6) {
    this.s.appendChild(svg("polyline", { points: pts.map((p) => p.join(",")).join(" "), fill: "none", stroke: color, "stroke-width": width }));
  }

  /** Lines of the input bus (lighter than the data paths). */
  bus(pts: Array<[number, number]>, width = 1.6) {
    this.line(pts, this.theme.axis, width);
  }

  /** A gate box with its value under it. */
  box(x: number, y: number, label: string, value: number, fill: string) {
    this.s.appendChild(svg("rect", { x: x - 24, y: y - 14, width: 48, height: 28, rx: 5, fill, stroke: this.theme.fg }));
    this.s.appendChild(svg("text", { x, y: y + 4, "text-anchor": "middle", fill: BOX_LABEL, "font-weight": 600 }, label));
    this.num(x, y + 28, formatNumber(value, 4));
  }

  /** A pointwise operation (×, +). */
  node(x: number, y: number, op: string) {
    this.s.appendChild(svg("circle", { cx: x, cy: y, r: 10, fill: this.theme.bg, stroke: this.theme.fg, "stroke-width": 1.5 }));
    this.s.appendChild(svg("text", { x, y: y + 4, "text-anchor": "middle", fill: this.theme.fg, "font-weight": 700 }, op));
  }

  /** The tanh box on the output path (no value under it). */
  label(x: number, y: number, w: number, hgt: number, text: string, fill: string) {
    this.s.appendChild(svg("rect", { x, y, width: w, height: hgt, rx: 5, fill, stroke: this.theme.fg }));
    this.s.appendChild(svg("text", { x: x + w / 2, y: y + 15, "text-anchor": "middle", fill: BOX_LABEL, "font-weight": 600 }, text));
  }
}

/** Reads of the chosen step and unit for the diagram. */
interface CellReads {
  /** value of an array at step tt (the chosen step by default) */
  v(name: string, tt?: number): number;
  /** value at the previous step, or the initial state `init` at the first */
  prevOf(name: string, init: string): number;
  prev: number;
  u: number;
}

/** Redraw the diagram of the chosen step and unit. */
export function drawDiagram(ins: Inspector): void {
  const i = info(ins);
  const t = step(ins);
  const u = unit(ins);
  const kind = i.kind ?? "LSTM";
  const source = which(ins) === "clamped" ? ins.view.clampedTrace : ins.view.trace;
  const v = (name: string, tt = t) => valueAt(ins, name, tt, u, source);
  const prev = previousStep(t, dir(ins), i.steps ?? 1);
  const prevOf = (name: string, init: string) => (prev >= 0 ? v(name, prev) : initialAt(ins, init, u));
  const reads: CellReads = { v, prevOf, prev, u };
  const tok = tokens(ins)[t] ?? "";
  const head = h("h4", {});
  head.textContent = `Cell at t = ${t} “${visibleToken(tok)}”, unit ${u}${which(ins) === "clamped" ? " (with clamp)" : ""}`;
  const sk = new Sketch(ins.view.theme);
  const lines = kind === "LSTM" ? lstmCell(ins, sk, reads) : kind === "GRU" ? gruCell(sk, reads) : rnnCell(sk, reads, i.nonlinearity === "relu" ? "ReLU" : "tanh");
  ins.ui.diagramBox.replaceChildren(head, sk.s, ...lines.map((l) => h("div", { class: "dlw-readout dlw-lstm-eq" }, [l])));
}

/** LSTM: c path on top, the four gates below, the output path on the right. Returns the
 *  equation lines shown under the diagram. */
function lstmCell(ins: Inspector, sk: Sketch, r: CellReads): string[] {
  const proj = info(ins).proj_size;
  const { v, u } = r;
  const n = lstmNumbers({ i: v("input"), f: v("forget"), g: v("cell"), o: v("output"), cPrev: r.prevOf("c", "c0"), c: v("c"), h: v(proj ? "m" : "h") });
  // c path
  sk.line([[12, 36], [108, 36]]);
  sk.line([[132, 36], [218, 36]]);
  sk.line([[242, 36], [W - 4, 36]]);
  sk.num(14, 28, `c_prev = ${fmt(n.cPrev)}`, "start");
  sk.node(120, 36, "×");
  sk.node(230, 36, "+");
  sk.num(W - 4, 28, `c_t = ${fmt(n.c)}`, "end", sk.theme.accent);
  sk.num(175, 28, `f·c = ${fmt(n.fc)}`);
  // gates
  sk.box(60, 170, "σ f", n.f, SIGMOID_FILL);
  sk.box(130, 170, "σ i", n.i, SIGMOID_FILL);
  sk.box(200, 170, "tanh g", n.g, TANH_FILL);
  sk.box(300, 170, "σ o", n.o, SIGMOID_FILL);
  sk.line([[60, 156], [60, 120], [120, 120], [120, 46]]);
  sk.node(200, 110, "×");
  sk.line([[130, 156], [130, 110], [190, 110]]);
  sk.line([[200, 156], [200, 120]]);
  sk.line([[210, 110], [230, 110], [230, 46]]);
  sk.num(224, 96, `i·g = ${fmt(n.ig)}`, "end"); // left of the wire up to "+", clear of it
  // output path
  sk.line([[330, 36], [330, 70]]);
  sk.label(306, 70, 48, 22, "tanh", TANH_FILL);
  sk.num(302, 85, fmt(n.tanhC), "end");
  sk.line([[330, 92], [330, 118]]);
  sk.node(330, 128, "×");
  sk.line([[300, 156], [300, 128], [320, 128]]);
  sk.line([[340, 128], [W - 4, 128]]);
  // right of the wire from the o gate (x = 300), under the output line
  sk.num(W - 4, 150, `${proj ? "m_t" : "h_t"} = ${fmt(n.m)}`, "end", sk.theme.accent);
  // input bus
  sk.bus([[20, 232], [330, 232]]);
  // each gate's input wire stops under the value written below the gate
  for (const x of [60, 130, 200, 300]) sk.bus([[x, 232], [x, 204]], 1.2);
  sk.num(14, 246, `[h_prev, x_t] → every gate; h_prev = ${fmt(r.prev >= 0 ? v("h", r.prev) : initialAt(ins, "h0", u))}${proj ? " (unit of the projection)" : ""}`, "start", sk.theme.muted);
  const check = Math.abs(n.fc + n.ig - n.c);
  return [
    `c_t = f·c_prev + i·g = ${fmt(n.fc)} + ${fmt(n.ig)} = ${fmt(n.fc + n.ig)}  (PyTorch: ${fmt(n.c)}${check > 1e-4 ? ", clamped" : ""})`,
    proj
      ? `m_t = o·tanh(c_t) = ${fmt(n.m)};  h_t = W_hr·m_t has ${proj} units (h[unit ${u}] = ${fmt(v("h"))})`
      : `h_t = o·tanh(c_t) = ${fmt(n.o)}·${fmt(n.tanhC)} = ${fmt(n.m)}  (PyTorch: ${fmt(n.h)})`,
  ];
}

/** GRU: the h path on top mixing h_prev and the candidate n by z. */
function gruCell(sk: Sketch, r: CellReads): string[] {
  const { v } = r;
  const n = gruNumbers({ r: v("reset"), z: v("update"), n: v("new"), hPrev: r.prevOf("h", "h0"), h: v("h") });
  sk.line([[12, 40], [150, 40]]);
  sk.num(14, 32, `h_prev = ${fmt(n.hPrev)}`, "start");
  sk.node(160, 40, "×");
  sk.line([[170, 40], [250, 40]]);
  sk.node(260, 40, "+");
  sk.line([[270, 40], [368, 40]]);
  sk.num(368, 32, `h_t = ${fmt(n.h)}`, "end", sk.theme.accent);
  sk.box(70, 170, "σ r", n.r, SIGMOID_FILL);
  sk.box(160, 170, "σ z", n.z, SIGMOID_FILL);
  sk.box(260, 170, "tanh n", n.n, TANH_FILL);
  sk.line([[160, 156], [160, 50]]);
  sk.num(210, 32, `z·h_prev = ${fmt(n.keep)}`);
  sk.node(260, 110, "×");
  sk.line([[260, 156], [260, 120]]);
  sk.line([[260, 100], [260, 50]]);
  sk.num(250, 104, `(1−z)·n = ${fmt(n.fresh)}`, "end");
  sk.bus([[70, 156], [70, 130], [230, 130], [250, 160]], 1.2);
  sk.num(120, 124, "r gates W_hn·h + b_hn", "middle", sk.theme.muted);
  sk.bus([[20, 232], [300, 232]]);
  for (const x of [70, 160, 260]) sk.bus([[x, 232], [x, 204]], 1.2);
  sk.num(14, 246, "[h_prev, x_t] → every gate", "start", sk.theme.muted);
  return [
    `n = tanh(W_in·x + b_in + r·(W_hn·h_prev + b_hn)) = ${fmt(n.n)}`,
    `h_t = (1 − z)·n + z·h_prev = ${fmt(n.fresh)} + ${fmt(n.keep)} = ${fmt(n.fresh + n.keep)}  (PyTorch: ${fmt(n.h)})`,
  ];
}

/** Plain RNN: one nonlinearity of the pre-activation. */
function rnnCell(sk: Sketch, r: CellReads, act: string): string[] {
  const { v } = r;
  const pre = v("pre");
  sk.num(20, 110, `pre = W_ih·x + b_ih + W_hh·h_prev + b_hh = ${fmt(pre)}`, "start");
  sk.line([[20, 160], [166, 160]]);
  sk.box(190, 160, act, v("h"), TANH_FILL);
  sk.line([[190, 146], [190, 60], [368, 60]]);
  sk.num(368, 52, `h_t = ${fmt(v("h"))}`, "end", sk.theme.accent);
  sk.num(20, 230, `h_prev = ${fmt(r.prevOf("h", "h0"))}`, "start", sk.theme.muted);
  return [`h_t = ${act}(pre) = ${fmt(v("h"))}`];
}
