// Rows arrive two ways: coalesced delta messages (a rows × columns float matrix per table, its
// buffer lifted out as ipywidgets does for state) and the full history in synced state
// ({column: wire array}). These turn both into plain columns for Table.append.

import { decodeArray, type WireArray } from "../lib/arrays";

/** Put each binary buffer back at its path in a message (what ipywidgets does for state). */
export function restorePaths(
  content: Record<string, any>, paths: Array<Array<string | number>>, buffers: Array<DataView | ArrayBuffer>,
): Record<string, any> {
  paths.forEach((path, k) => {
    let node: any = content;
    for (let i = 0; i < path.length - 1; i++) node = node[path[i]];
    const b = buffers[k];
    node[path[path.length - 1]] = b instanceof DataView ? b : new DataView(b);
  });
  return content;
}

/** Columns of a {name: wire array} dict (the synced state) as plain numeric arrays. */
export function decodeColumns(wires: Record<string, WireArray> | undefined): Record<string, ArrayLike<number>> {
  const out: Record<string, ArrayLike<number>> = {};
  for (const [name, wire] of Object.entries(wires ?? {})) {
    if (wire && typeof wire === "object" && "dtype" in wire) out[name] = decodeArray(wire).data;
  }
  return out;
}

export interface MatrixWire extends WireArray {
  columns: string[];
}

/** A delta message from Python: new rows of one run. */
export interface DeltaMessage {
  type: "delta";
  run: number;
  steps?: MatrixWire;
  epochs?: MatrixWire;
  layers?: MatrixWire;
  histograms?: MatrixWire;
  buffer_paths?: Array<Array<string | number>>;
}

/** Columns of a delta's rows × columns matrix (row-major) with its column names. */
export function matrixColumns(wire: MatrixWire | undefined): Record<string, Float64Array> {
  const out: Record<string, Float64Array> = {};
  if (!wire || !wire.columns) return out;
  const { shape, data } = decodeArray(wire);
  const [rows, cols] = shape.length === 2 ? shape : [0, 0];
  if (cols !== wire.columns.length) throw new RangeError(`delta has ${cols} columns but ${wire.columns.length} names`);
  wire.columns.forEach((name, j) => {
    const col = new Float64Array(rows);
    for (let i = 0; i < rows; i++) col[i] = data[i * cols + j];
    out[name] = col;
  });
  return out;
}
