// Binary array codec, the front-end half of dlwidgets/widgets/_arrays.py.
// An array arrives as {dtype, shape, data} where data is a DataView (ipywidgets puts the binary
// buffer back at its place in the state). Typed arrays are built over the same memory using the
// DataView's byteOffset and byteLength; only a misaligned view is copied.

export type TypedArray =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array;

export interface WireArray {
  dtype: string;
  shape: number[];
  data: DataView | ArrayBuffer | ArrayBufferView;
}

export interface NdArray<T extends TypedArray = TypedArray> {
  dtype: string;
  shape: number[];
  data: T;
}

type TypedCtor = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
  new (length: number): TypedArray;
  BYTES_PER_ELEMENT: number;
};

const CTORS: Record<string, TypedCtor> = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
};

const DTYPE_OF: Array<[TypedCtor, string]> = Object.entries(CTORS).map(([k, v]) => [v, k]);

export function size(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function bytesOf(data: WireArray["data"]): { buffer: ArrayBufferLike; offset: number; length: number } {
  if (data instanceof ArrayBuffer) return { buffer: data, offset: 0, length: data.byteLength };
  if (ArrayBuffer.isView(data)) {
    return { buffer: data.buffer, offset: data.byteOffset, length: data.byteLength };
  }
  throw new TypeError("array data must be a DataView, ArrayBuffer or typed array");
}

/** Typed-array view of a wire array; throws when dtype or shape do not match the bytes. */
export function decodeArray(wire: WireArray): NdArray {
  const Ctor = CTORS[wire.dtype];
  if (!Ctor) throw new TypeError(`unsupported dtype ${wire.dtype}`);
  const { buffer, offset, length } = bytesOf(wire.data);
  const n = length / Ctor.BYTES_PER_ELEMENT;
  if (!Number.isInteger(n) || n !== size(wire.shape)) {
    throw new RangeError(
      `buffer of ${length} bytes does not hold ${wire.dtype} of shape [${wire.shape.join(", ")}]`,
    );
  }
  let data: TypedArray;
  if (offset % Ctor.BYTES_PER_ELEMENT === 0) {
    data = new Ctor(buffer, offset, n);
  } else {
    data = new Ctor(n);
    new Uint8Array(data.buffer).set(new Uint8Array(buffer as ArrayBuffer, offset, length));
  }
  return { dtype: wire.dtype, shape: wire.shape.slice(), data };
}

/** Shorthand: decode and require a float array (float32/float64). */
export function decodeFloat(wire: WireArray): NdArray<Float32Array | Float64Array> {
  const arr = decodeArray(wire);
  if (!(arr.data instanceof Float32Array || arr.data instanceof Float64Array)) {
    throw new TypeError(`expected a float array, got ${arr.dtype}`);
  }
  return arr as NdArray<Float32Array | Float64Array>;
}

/** Wire form of a typed array, for model.set(...) back to Python (sent as a binary buffer). */
export function encodeArray(data: TypedArray, shape: number[] = [data.length]): WireArray {
  if (size(shape) !== data.length) {
    throw new RangeError(`shape [${shape.join(", ")}] does not match ${data.length} values`);
  }
  const entry = DTYPE_OF.find(([ctor]) => data instanceof (ctor as unknown as typeof Float32Array));
  if (!entry) throw new TypeError("unsupported typed array");
  const copy = data.slice();
  return {
    dtype: entry[1],
    shape: shape.slice(),
    data: new DataView(copy.buffer, copy.byteOffset, copy.byteLength),
  };
}

/** Row-major index of a multi-index into an array of the given shape. */
export function flatIndex(shape: number[], index: number[]): number {
  let flat = 0;
  for (let i = 0; i < shape.length; i++) {
    if (index[i] < 0 || index[i] >= shape[i]) throw new RangeError(`index ${index} out of ${shape}`);
    flat = flat * shape[i] + index[i];
  }
  return flat;
}
