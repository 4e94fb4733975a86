import type { Tensor } from 'onnxruntime-node';
import type { FlatEntry } from '../compiler/flat-layout.js';
import type { ParameterStore } from './parameter-store.js';
import type { OrtModule } from './runtime.js';
import { PARAMS_BUFFER, type GroupIO } from '../compiler/train-graph.js';

/**
 * The flat buffers of one learning-rate group (parameters and optimizer slots), twice: a step reads
 * one side and writes the other, then the sides swap, so no step allocates or copies. The model's
 * parameter tensors are views into the current parameter buffer.
 */
export class FlatGroupBuffers {
  private side: 0 | 1 = 0;
  private readonly flat = new Map<string, [Tensor, Tensor]>();
  private readonly views: [Map<string, Tensor>, Map<string, Tensor>] = [new Map(), new Map()];

  /** @param allocate where the buffers live (AdamKernel's memory when it updates them), zero-filled */
  constructor(
    ort: OrtModule,
    readonly io: GroupIO,
    allocate: (floats: number) => Float32Array = (floats) => new Float32Array(floats),
  ) {
    const size = io.layout.size;
    for (const { buffer } of io.buffers) {
      const make = (): Tensor => new ort.Tensor('float32', allocate(size), [size]);
      this.flat.set(buffer, [make(), make()]);
    }
    const params = this.flat.get(PARAMS_BUFFER)!;
    for (const side of [0, 1] as const) {
      const data = params[side].data as Float32Array;
      for (const e of io.layout.entries)
        this.views[side].set(e.name, new ort.Tensor('float32', data.subarray(e.offset, e.offset + e.size), e.shape));
    }
  }

  /** The trained parameters' entries in the flat buffer. */
  get entries(): FlatEntry[] {
    return this.io.layout.entries;
  }

  /**
   * Point the model's parameters at this group's current views, first copying in any value set
   * elsewhere since the last step (setWeights, or another trainer of the same model).
   */
  sync(store: ParameterStore): void {
    const data = this.current(PARAMS_BUFFER).data as Float32Array;
    for (const e of this.io.layout.entries) {
      const view = this.views[this.side].get(e.name)!;
      const tensor = store.get(e.name);
      if (tensor === view) continue;
      data.set(tensor.data as Float32Array, e.offset);
      store.swap(e.name, view);
    }
  }

  /**
   * Add this group's flat inputs and preallocated outputs, under their names in the train-step graph
   * or with a prefix (the multi-step graph's `initial.` and `final.`).
   */
  bind(feeds: Record<string, Tensor>, fetches: Record<string, Tensor>, prefix = { input: '', output: '' }): void {
    for (const { buffer, input, output } of this.io.buffers) {
      const pair = this.flat.get(buffer)!;
      feeds[prefix.input + input] = pair[this.side];
      fetches[prefix.output + output] = pair[this.side === 0 ? 1 : 0];
    }
  }

  /** After a step: the written side becomes current, and the model's parameters follow it. */
  flip(store: ParameterStore): void {
    this.side = this.side === 0 ? 1 : 0;
    for (const e of this.io.layout.entries) store.swap(e.name, this.views[this.side].get(e.name)!);
  }

  /** The current flat tensor of a buffer (`params` or a slot). */
  current(buffer: string): Tensor {
    return this.flat.get(buffer)![this.side];
  }

  /** Slot names this group keeps. */
  slots(): string[] {
    return this.io.buffers.map((b) => b.buffer).filter((b) => b !== PARAMS_BUFFER);
  }
}
