import { HeadstartError, parameterShapes, sameShape, type ModelSpec, type NamedTensors, type ParameterShape } from '@headstart/core';

/**
 * A model's parameters in float32, canonical layouts, one array each for the life of the model: layer
 * ops hold these arrays, so new values are copied in, never swapped.
 */
export class ParameterStore {
  readonly shapes: readonly ParameterShape[];
  private readonly arrays = new Map<string, Float32Array>();

  constructor(spec: ModelSpec) {
    this.shapes = parameterShapes(spec);
    for (const p of this.shapes) this.arrays.set(p.name, new Float32Array(p.shape.reduce((a, b) => a * b, 1)));
  }

  /** The live array of a parameter. */
  values(name: string): Float32Array {
    const values = this.arrays.get(name);
    if (!values) throw new Error(`plainjs: no parameter "${name}"`);
    return values;
  }

  /** Copies of every parameter. */
  read(): NamedTensors {
    return new Map(this.shapes.map((p) => [p.name, { shape: [...p.shape], data: this.values(p.name).slice() }]));
  }

  /**
   * Copy in some or all parameters. Checks every tensor before changing any.
   * @throws HeadstartError (BAD_INPUT) naming an unknown or mis-shaped parameter.
   */
  write(weights: NamedTensors): void {
    for (const [name, tensor] of weights) {
      const p = this.shapes.find((s) => s.name === name);
      if (!p)
        throw new HeadstartError(
          'BAD_INPUT',
          `plainjs: unknown parameter "${name}"; this model has ${this.shapes.map((s) => s.name).join(', ')}`,
        );
      if (!sameShape(p.shape, tensor.shape) || tensor.data.length !== this.values(name).length) {
        throw new HeadstartError(
          'BAD_INPUT',
          `plainjs: parameter "${name}" has shape [${tensor.shape}] (${tensor.data.length} values); the model's is [${p.shape}]`,
        );
      }
    }
    for (const [name, tensor] of weights) this.values(name).set(tensor.data);
  }
}
