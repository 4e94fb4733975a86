import { HeadstartError, sameShape, sizeOf, type NamedTensors, type ParameterShape, type TensorData } from '@headstart/core';
import type { Tensor } from 'onnxruntime-node';
import type { OrtModule } from './runtime.js';

/**
 * The live parameters of a model as onnxruntime tensors in canonical layouts, fed to every graph as
 * inputs. A train step replaces the trained ones with its output tensors (no copy); untouched
 * parameters keep their very tensor, so they stay bit-identical.
 */
export class ParameterStore {
  private readonly tensors = new Map<string, Tensor>();
  private readonly byName: Map<string, ParameterShape>;

  /** Tensors for every parameter in `shapes`, copied from `initial` (which must cover them all). */
  constructor(
    private readonly ort: OrtModule,
    readonly shapes: readonly ParameterShape[],
    initial: NamedTensors,
  ) {
    this.byName = new Map(shapes.map((p) => [p.name, p]));
    for (const p of shapes) {
      const tensor = initial.get(p.name);
      if (!tensor) throw new HeadstartError('BAD_INPUT', `parameter "${p.name}": no initial value`);
      checkTensor(`parameter "${p.name}"`, p.shape, tensor);
      this.tensors.set(p.name, this.toOrt(tensor.data, p.shape));
    }
  }

  /** The current tensor of a parameter. */
  get(name: string): Tensor {
    const tensor = this.tensors.get(name);
    if (!tensor) throw new HeadstartError('BAD_INPUT', `unknown parameter "${name}"; this model has ${this.names().join(', ')}`);
    return tensor;
  }

  /** Put a new tensor in place (a train step's output) and return the one it replaces. */
  swap(name: string, tensor: Tensor): Tensor {
    const previous = this.get(name);
    this.tensors.set(name, tensor);
    return previous;
  }

  /** Parameter names in layer order. */
  names(): string[] {
    return this.shapes.map((p) => p.name);
  }

  /** A copy of every parameter's values. */
  read(): NamedTensors {
    const out: NamedTensors = new Map();
    for (const p of this.shapes) out.set(p.name, { shape: [...p.shape], data: new Float32Array(this.get(p.name).data as Float32Array) });
    return out;
  }

  /** Replace some or all parameters; everything is checked before anything is written. */
  write(weights: NamedTensors): void {
    for (const [name, tensor] of weights) {
      const p = this.byName.get(name);
      if (!p) throw new HeadstartError('BAD_INPUT', `unknown parameter "${name}"; this model has ${this.names().join(', ')}`);
      checkTensor(`parameter "${name}"`, p.shape, tensor);
    }
    for (const [name, tensor] of weights) this.tensors.set(name, this.toOrt(tensor.data, this.byName.get(name)!.shape));
  }

  /** A feeds object holding every parameter. */
  feeds(): Record<string, Tensor> {
    return Object.fromEntries(this.tensors);
  }

  private toOrt(data: Float32Array, shape: readonly number[]): Tensor {
    return new this.ort.Tensor('float32', new Float32Array(data), [...shape]);
  }
}

/** @throws HeadstartError (BAD_INPUT) when a tensor's shape or length does not match `shape`. */
export function checkTensor(what: string, shape: readonly number[], tensor: TensorData): void {
  if (!sameShape(tensor.shape, shape))
    throw new HeadstartError('BAD_INPUT', `${what}: shape [${tensor.shape}] does not match the model's [${shape}]`);
  if (tensor.data.length !== sizeOf(shape))
    throw new HeadstartError('BAD_INPUT', `${what}: ${tensor.data.length} values for shape [${shape}] (expected ${sizeOf(shape)})`);
}
