// How tokens, array names and short vectors are written on the page (always as text).

import { formatNumber } from "../lib/format";

/** Display names of the recorded arrays. */
export const LABELS: Record<string, string> = {
  input: "input gate i (σ)", forget: "forget gate f (σ)", cell: "candidate g (tanh)", output: "output gate o (σ)",
  c: "cell state c", h: "hidden state h", m: "m = o·tanh(c) (before projection)", reset: "reset gate r (σ)",
  update: "update gate z (σ)", new: "candidate n (tanh)", pre: "pre-activation",
};

/** Display name of a recorded array (its own name when there is none). */
export function labelOf(name: string): string {
  return LABELS[name] ?? name;
}

/** A short vector as text: [a, b, c] with at most `n` entries shown. */
export function vectorText(values: ArrayLike<number>, n = 6): string {
  const shown = Array.from({ length: Math.min(n, values.length) }, (_, k) => formatNumber(values[k], 3));
  return `[${shown.join(", ")}${values.length > n ? `, … (${values.length} values)` : ""}]`;
}

/** Token as shown in the text strip: newlines and tabs made visible, and spaces too when the
 *  token is nothing but spaces (a space character of a char model); other text is unchanged. */
export function visibleToken(token: string): string {
  if (token === "") return "∅";
  const shown = /^ +$/.test(token) ? token.replace(/ /g, "␣") : token;
  return shown.replace(/\n/g, "↵").replace(/\t/g, "⇥");
}

/** Short axis label for a token (at most n characters, ellipsis beyond). */
export function shortToken(token: string, n: number): string {
  const v = visibleToken(token);
  return v.length <= n ? v : `${v.slice(0, Math.max(1, n - 1))}…`;
}
