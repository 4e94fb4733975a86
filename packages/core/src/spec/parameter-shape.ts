/**
 * What a parameter is for. `statistic`s (batch-norm moving mean and variance) are part of the
 * weights but are never updated by gradient; they follow the layer's batch-norm mode instead.
 * `graph` is an opaque block's ONNX model as bytes (dtype `uint8`): weights a strategy may ask to
 * train, but no backend can (there is no gradient through it).
 */
export type ParameterRole = 'kernel' | 'bias' | 'scale' | 'shift' | 'statistic' | 'graph';

/** One parameter of a spec, with its canonical checkpoint layout. */
export interface ParameterShape {
  /** `<layer>.<param>`, e.g. `enc1.kernel`. */
  name: string;
  layer: string;
  shape: number[];
  role: ParameterRole;
  /**
   * `uint8` for bytes (an opaque block's `graph`): in NamedTensors its values are 0–255 in a
   * Float32Array like every other tensor; checkpoints store it as safetensors `U8`. Default float32.
   */
  dtype?: 'uint8' | undefined;
}

/** The parameter `<layer>.<param>`: checkpoints store it under that name. */
export function parameter(layer: { name: string }, param: string, shape: number[], role: ParameterRole): ParameterShape {
  return { name: `${layer.name}.${param}`, layer: layer.name, shape, role };
}
