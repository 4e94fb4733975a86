import {
  HeadstartError,
  parameterShapes,
  sameShape,
  sizeOf,
  type ModelSpec,
  type NamedTensors,
  type ParameterShape,
  type TensorData,
} from '@headstart/core';
import * as tf from '@tensorflow/tfjs';

/**
 * The live parameters of one model: a tf.Variable per parameter, by dotted name, in the canonical
 * layouts (which are also tfjs's: dense `[in, out]`, conv `[kh, kw, in, out]`), so no conversion.
 */
export class ParameterStore {
  /** Every parameter of the spec, in layer order. */
  readonly shapes: ParameterShape[];
  private readonly variables = new Map<string, tf.Variable>();

  /** Variables for every parameter of `spec`, holding `initial` (which must cover them all). */
  constructor(spec: ModelSpec, initial: NamedTensors) {
    this.shapes = parameterShapes(spec);
    for (const p of this.shapes) {
      const tensor = initial.get(p.name);
      if (!tensor) throw new HeadstartError('BAD_INPUT', `parameter "${p.name}": no initial value`);
      checkTensor(`parameter "${p.name}"`, p.shape, tensor);
      // Statistics are never differentiated; marking them so keeps them out of any gradient.
      this.variables.set(p.name, variableFrom(toTensor(tensor), p.role !== 'statistic'));
    }
  }

  /** The variable of a parameter. @throws HeadstartError when the model has no such parameter. */
  get(name: string): tf.Variable {
    const variable = this.variables.get(name);
    if (!variable) throw new HeadstartError('BAD_INPUT', `unknown parameter "${name}"; this model has ${this.names().join(', ')}`);
    return variable;
  }

  /** The canonical shape record of a parameter. */
  shapeOf(name: string): ParameterShape | undefined {
    return this.shapes.find((p) => p.name === name);
  }

  /** Parameter names in layer order. */
  names(): string[] {
    return this.shapes.map((p) => p.name);
  }

  /** A copy of every parameter's values. */
  read(): NamedTensors {
    const out: NamedTensors = new Map();
    for (const p of this.shapes) out.set(p.name, { shape: [...p.shape], data: copyOut(this.get(p.name)) });
    return out;
  }

  /**
   * Replace some or all parameters. Everything is checked before anything is written, so a bad
   * tensor leaves the model as it was.
   */
  write(weights: NamedTensors): void {
    for (const [name, tensor] of weights) {
      const p = this.shapeOf(name);
      if (!p) throw new HeadstartError('BAD_INPUT', `unknown parameter "${name}"; this model has ${this.names().join(', ')}`);
      checkTensor(`parameter "${name}"`, p.shape, tensor);
    }
    for (const [name, tensor] of weights) {
      const value = toTensor(tensor);
      this.get(name).assign(value);
      value.dispose();
    }
  }

  dispose(): void {
    for (const variable of this.variables.values()) variable.dispose();
    this.variables.clear();
  }
}

/**
 * @param what how to name the tensor in the error, e.g. `parameter "enc1.kernel"`.
 * @throws HeadstartError (BAD_INPUT) when the shape or the number of values does not match `shape`.
 */
export function checkTensor(what: string, shape: readonly number[], tensor: TensorData): void {
  if (!sameShape(tensor.shape, shape)) {
    throw new HeadstartError('BAD_INPUT', `${what}: shape [${tensor.shape}] does not match the model's [${shape}]`);
  }
  if (tensor.data.length !== sizeOf(shape)) {
    throw new HeadstartError('BAD_INPUT', `${what}: ${tensor.data.length} values for shape [${shape}] (expected ${sizeOf(shape)})`);
  }
}

/** A tensor holding a private copy: the cpu engine would otherwise keep the caller's array. */
export function toTensor(tensor: TensorData): tf.Tensor {
  return tf.tensor(new Float32Array(tensor.data), tensor.shape, 'float32');
}

/** A private copy of a tensor's values (the cpu engine hands out its own buffer). */
export function copyOut(tensor: tf.Tensor): Float32Array {
  return new Float32Array(tensor.dataSync());
}

/** A variable taking over `initial`'s data; `initial` itself is disposed so no handle leaks. */
export function variableFrom(initial: tf.Tensor, trainable: boolean): tf.Variable {
  const variable = tf.variable(initial, trainable);
  initial.dispose();
  return variable;
}
