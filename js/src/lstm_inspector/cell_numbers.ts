// The numbers the cell diagram shows, from the recorded gates (pure, tested).

export interface LstmNumbers {
  i: number; f: number; g: number; o: number;
  cPrev: number; c: number; fc: number; ig: number; tanhC: number; m: number; h: number;
}

/** The numbers the LSTM cell diagram shows, from the recorded gates (c = f·c_prev + i·g and
 *  m = o·tanh(c) are recomputed here only for display; Python's c and h are shown beside). */
export function lstmNumbers(v: { i: number; f: number; g: number; o: number; cPrev: number; c: number; h: number }): LstmNumbers {
  const fc = v.f * v.cPrev;
  const ig = v.i * v.g;
  const tanhC = Math.tanh(v.c);
  return { ...v, fc, ig, tanhC, m: v.o * tanhC };
}

export interface GruNumbers { r: number; z: number; n: number; hPrev: number; h: number; keep: number; fresh: number }

/** GRU mix: h = (1 − z)·n + z·h_prev. */
export function gruNumbers(v: { r: number; z: number; n: number; hPrev: number; h: number }): GruNumbers {
  return { ...v, fresh: (1 - v.z) * v.n, keep: v.z * v.hPrev };
}
