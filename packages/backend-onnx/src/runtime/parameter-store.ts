import {
  HeadstartError,
  sameShape,
  sizeOf,
  type ModelSpec,
  type NamedTensors,
  type ParameterShape,
  type TensorData,
} from '@headstart/core';
import type { Tensor } from 'onnxruntime-node';
import { isConvKernel, kernelFromOnnx, kernelToOnnx, shapesIn } from '../compiler/kernel-layout.js';
import type { OrtModule } from './runtime.js';

/**
 * The live parameters of a model as onnxruntime tensors, fed to every graph as inputs. Conv2d
 * kernels live in ONNX's layout (what the graphs take, see KernelLayout), every other parameter in
 * its canonical layout; {@link read} and {@link write} speak canonical layouts only. A train step
 * replaces the trained ones with its output tensors (no copy); untouched parameters keep their very
 * tensor, so they stay bit-identical.
 */
export class ParameterStore {
  private readonly tensors = new Map<string, Tensor>();
  private readonly byName: Map<string, ParameterShape>;
  private readonly storedShapes: Map<string, number[]>;
  private readonly convKernels: Set<string>;

  /** Tensors for every parameter in `shapes` (canonical), copied from `initial` (which must cover them all). */
  constructor(
    private readonly ort: OrtModule,
    spec: ModelSpec,
    readonly shapes: readonly ParameterShape[],
    initial: NamedTensors,
  ) {
    this.byName = new Map(shapes.map((p) => [p.name, p]));
    this.storedShapes = new Map(shapesIn(spec, shapes, 'onnx').map((p) => [p.name, p.shape]));
    this.convKernels = new Set(shapes.filter((p) => isConvKernel(spec, p)).map((p) => p.name));
    for (const p of shapes) {
      const tensor = initial.get(p.name);
      if (!tensor) throw new HeadstartError('BAD_INPUT', `parameter "${p.name}": no initial value`);
      checkTensor(`parameter "${p.name}"`, p.shape, tensor);
      this.tensors.set(p.name, this.toOrt(p.name, tensor.data));
    }
  }

  /** The current tensor of a parameter, in its stored layout. */
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

  /** A copy of every parameter's values, in canonical layouts. */
  read(): NamedTensors {
    const out: NamedTensors = new Map();
    for (const p of this.shapes)
      out.set(p.name, { shape: [...p.shape], data: this.toCanonical(p.name, this.get(p.name).data as Float32Array) });
    return out;
  }

  /** Replace some or all parameters (canonical layouts); everything is checked before anything is written. */
  write(weights: NamedTensors): void {
    for (const [name, tensor] of weights) {
      const p = this.byName.get(name);
      if (!p) throw new HeadstartError('BAD_INPUT', `unknown parameter "${name}"; this model has ${this.names().join(', ')}`);
      checkTensor(`parameter "${name}"`, p.shape, tensor);
    }
    for (const [name, tensor] of weights) this.tensors.set(name, this.toOrt(name, tensor.data));
  }

  /** A feeds object holding every parameter. */
  feeds(): Record<string, Tensor> {
    return Object.fromEntries(this.tensors);
  }

  /** A copy of a parameter's (or one of its optimizer slots') values, from its stored layout to the canonical one. */
  toCanonical(name: string, data: Float32Array): Float32Array {
    return this.convKernels.has(name) ? kernelFromOnnx(data, this.shapeOf(name)) : new Float32Array(data);
  }

  /** A copy of a parameter's (or one of its optimizer slots') canonical values, in its stored layout. */
  toStored(name: string, data: Float32Array): Float32Array {
    return this.convKernels.has(name) ? kernelToOnnx(data, this.shapeOf(name)) : new Float32Array(data);
  }

  /** A parameter's canonical shape. */
  shapeOf(name: string): number[] {
    return this.byName.get(name)!.shape;
  }

  private toOrt(name: string, data: Float32Array): Tensor {
    return new this.ort.Tensor('float32', this.toStored(name, data), [...this.storedShapes.get(name)!]);
  }
}

/** @throws HeadstartError (BAD_INPUT) when a tensor's shape or length does not match `shape`. */
export function checkTensor(what: string, shape: readonly number[], tensor: TensorData): void {
  if (!sameShape(tensor.shape, shape))
    throw new HeadstartError('BAD_INPUT', `${what}: shape [${tensor.shape}] does not match the model's [${shape}]`);
  if (tensor.data.length !== sizeOf(shape))
    throw new HeadstartError('BAD_INPUT', `${what}: ${tensor.data.length} values for shape [${shape}] (expected ${sizeOf(shape)})`);
}
