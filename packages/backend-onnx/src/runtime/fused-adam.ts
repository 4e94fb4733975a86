import type { OptimizerConfig } from '@headstart/core';
import type { Tensor } from 'onnxruntime-node';
import type { AdamScalarOutputs, GroupIO } from '../compiler/train-graph.js';
import { PARAMS_BUFFER } from '../compiler/train-graph.js';
import { AdamKernel, kernelBytes, type AdamVariant } from './adam-kernel.js';
import type { FlatGroupBuffers } from './flat-group.js';
import type { OrtModule } from './runtime.js';
import { wasm, type WasmMemory } from './wasm-api.js';

/** Most bytes of flat buffers kept in one kernel memory (WebAssembly memory is 32-bit); larger models update in the graph. */
export const MAX_KERNEL_BYTES = 2 ** 31;

const WASM_PAGE = 65536;

/**
 * A single training step's Adam update done by AdamKernel instead of the graph: the step graph
 * (built with `updateOutside`) outputs each flat gradient and Adam's scalars, and the kernel updates
 * the current parameters and slots in place. Every flat buffer of the trainer lives in the kernel's
 * memory (ONNX reads and writes them there as it did its own). The multi-step graph keeps the update
 * in the graph: the two give bit-identical results (AdamKernel).
 */
export class FusedAdam {
  private readonly memory: WasmMemory;
  private readonly kernel: AdamKernel;
  private next = 0;
  private readonly gradients = new Map<string, Tensor>();

  /**
   * A fused update for `groups` (the full train graph's), or undefined when the optimizer is not Adam
   * or AdamW or the buffers would not fit one kernel memory.
   */
  static for(ort: OrtModule, optimizer: OptimizerConfig, groups: readonly GroupIO[]): FusedAdam | undefined {
    if (optimizer.type === 'sgd' || !wasm) return undefined;
    // Both sides of every buffer, and one gradient per group part.
    const bytes = groups.reduce((sum, io) => sum + (2 * io.buffers.length + 1) * kernelBytes(io.layout.size), 0);
    if (bytes > MAX_KERNEL_BYTES) return undefined;
    try {
      return new FusedAdam(ort, optimizer, bytes);
    } catch {
      // The memory could not be reserved: the graph's update computes the very same values.
      return undefined;
    }
  }

  private constructor(
    private readonly ort: OrtModule,
    private readonly optimizer: Extract<OptimizerConfig, { type: 'adam' | 'adamw' }>,
    bytes: number,
  ) {
    this.memory = new wasm!.Memory({ initial: Math.max(1, Math.ceil(bytes / WASM_PAGE)) });
    this.kernel = new AdamKernel(this.memory);
  }

  /** A zero-filled buffer of `floats` floats in the kernel's memory, 16-byte aligned. */
  readonly allocate = (floats: number): Float32Array => {
    const view = new Float32Array(this.memory.buffer, this.next, floats);
    this.next += kernelBytes(floats);
    return view;
  };

  /** Feed the group's current parameters to the gradient graph and fetch its gradient into the kernel's memory. */
  bind(group: FlatGroupBuffers, io: GroupIO, feeds: Record<string, Tensor>, fetches: Record<string, Tensor>): void {
    feeds[io.buffers[0]!.input] = group.current(PARAMS_BUFFER);
    fetches[io.gradient!] = this.gradientOf(io);
  }

  /**
   * Update each group's current buffers in place from the gradients just fetched.
   * @param lrs the learning rate each group part was fed (a float32 value), in the order of `groups`
   * @param weightDecays each learning-rate group's weight decay, by group index
   * @param scalars the graph's Adam scalars, fetched as `{ [name]: value }`
   */
  update(
    groups: readonly FlatGroupBuffers[],
    ios: readonly GroupIO[],
    adam: AdamScalarOutputs,
    scalars: (name: string) => number,
    lrs: readonly number[],
    weightDecays: readonly number[],
  ): void {
    const f = Math.fround;
    const [beta1, beta2] = [this.optimizer.beta1 ?? 0.9, this.optimizer.beta2 ?? 0.999];
    const epsilon = scalars(adam.epsilon);
    groups.forEach((group, i) => {
      const io = ios[i]!;
      const g = io.layout.group;
      const wd = weightDecays[g]!;
      const variant: AdamVariant = !(wd > 0) ? 'plain' : this.optimizer.type === 'adamw' ? 'decoupled' : 'l2';
      const offset = (buffer: string): number => (group.current(buffer).data as Float32Array).byteOffset;
      this.kernel.update(
        variant,
        {
          params: offset(PARAMS_BUFFER),
          gradient: (this.gradientOf(io).data as Float32Array).byteOffset,
          m: offset('m'),
          v: offset('v'),
          bytes: kernelBytes(io.layout.size),
        },
        {
          // Constants as GraphBuilder.scalar stores them, and `1 − lr·wd` in float32 as the graph computes it.
          weightDecay: f(wd),
          decay: f(1 - f(lrs[i]! * f(wd))),
          beta1: f(beta1),
          oneMinusBeta1: f(1 - beta1),
          beta2: f(beta2),
          oneMinusBeta2: f(1 - beta2),
          epsilon,
          stepSize: scalars(adam.stepSizes.get(g)!),
        },
      );
    });
  }

  private gradientOf(io: GroupIO): Tensor {
    let tensor = this.gradients.get(io.gradient!);
    if (!tensor) {
      tensor = new this.ort.Tensor('float32', this.allocate(io.layout.size), [io.layout.size]);
      this.gradients.set(io.gradient!, tensor);
    }
    return tensor;
  }
}
