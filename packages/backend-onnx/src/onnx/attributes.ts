import { AttributeType, type AttributeProto } from './onnx-proto.js';

/** An attribute value with its ONNX type made explicit (`1` may be an int or a float). */
export type AttributeValue =
  | { kind: 'int'; value: number }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'float'; value: number }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'string'; value: string };

/** Attributes of a node by name. */
export type Attributes = Record<string, AttributeValue>;

/** An integer attribute. */
export const int = (value: number): AttributeValue => ({ kind: 'int', value });
/** A list-of-integers attribute. */
export const ints = (value: readonly number[]): AttributeValue => ({ kind: 'ints', value });
/** A float attribute. */
export const float = (value: number): AttributeValue => ({ kind: 'float', value });
/** A list-of-floats attribute. */
export const floats = (value: readonly number[]): AttributeValue => ({ kind: 'floats', value });
/** A string attribute. */
export const string = (value: string): AttributeValue => ({ kind: 'string', value });

/** Attributes as `AttributeProto`s. */
export function encodeAttributes(attributes: Attributes): AttributeProto[] {
  return Object.entries(attributes).map(([name, a]) => {
    switch (a.kind) {
      case 'int':
        return { name, type: AttributeType.INT, i: a.value };
      case 'ints':
        return { name, type: AttributeType.INTS, ints: [...a.value] };
      case 'float':
        return { name, type: AttributeType.FLOAT, f: a.value };
      case 'floats':
        return { name, type: AttributeType.FLOATS, floats: [...a.value] };
      case 'string':
        return { name, type: AttributeType.STRING, s: new TextEncoder().encode(a.value) };
    }
  });
}

/** Read `AttributeProto`s back (tensor and graph attributes are skipped). */
export function decodeAttributes(protos: readonly AttributeProto[] | undefined): Attributes {
  const out: Attributes = {};
  for (const a of protos ?? []) {
    if (a.type === AttributeType.INT) out[a.name] = int(Number(a.i ?? 0));
    else if (a.type === AttributeType.INTS) out[a.name] = ints((a.ints ?? []).map(Number));
    else if (a.type === AttributeType.FLOAT) out[a.name] = float(a.f ?? 0);
    else if (a.type === AttributeType.FLOATS) out[a.name] = floats(a.floats ?? []);
    else if (a.type === AttributeType.STRING) out[a.name] = string(new TextDecoder().decode(a.s ?? new Uint8Array()));
  }
  return out;
}
