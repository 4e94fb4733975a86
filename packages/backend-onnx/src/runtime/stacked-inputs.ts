import { sizeOf, type Batch, type LossKind, type LossOptions } from '@headstart/core';
import { dropoutMask, mixSeeds, teacherLogits } from '@headstart/core/backend-kit';
import type { Tensor } from 'onnxruntime-node';
import { targetData } from './batch-input.js';
import { IO } from '../compiler/inference-graph.js';
import { MULTI_IO } from '../compiler/multi-step-graph.js';
import type { OrtModule } from './runtime.js';
import { TRAIN_IO, type TrainGraph } from '../compiler/train-graph.js';

/** What one run of K steps is fed beside the carried state: each step's batch, masks, step number and rates. */
export interface StepsInput {
  batches: readonly Batch[];
  /** Learning rate of each group at each step (schedule applied), `[group][step]`. */
  lrs: readonly (readonly number[])[];
  /** Steps taken before the first of these. */
  stepsBefore: number;
  /** The trainer's dropout seed. */
  seed: number;
}

/**
 * The `stacked.*` inputs of a multi-step graph and its `steps.*` outputs, kept between runs and
 * reallocated only when K or the batch size changes (a fit loop runs chunks of one size). Each
 * step's values are written exactly as a single step writes them: the same one-hot rows, float32
 * step number and rates, and dropout masks drawn from the same seeds.
 */
export class StackedInputs {
  private shape = '';
  private feeds: Record<string, Tensor> = {};
  private fetches: Record<string, Tensor> = {};

  constructor(
    private readonly ort: OrtModule,
    private readonly graph: TrainGraph,
    private readonly io: {
      inputShape: readonly number[];
      outputSize: number;
      loss: LossKind;
      lossOptions?: LossOptions | undefined;
      perStep: readonly string[];
    },
  ) {}

  /** Feeds (`stacked.*`) and per-step fetches (`steps.*`) for these steps, reusing the buffers of the last call. */
  fill(input: StepsInput): { feeds: Record<string, Tensor>; fetches: Record<string, Tensor> } {
    const { batches } = input;
    const [count, size] = [batches.length, batches[0]!.size];
    this.allocate(count, size);
    const x = this.data(IO.x);
    const target = this.data(IO.target);
    const [perX, perTarget] = [size * sizeOf(this.io.inputShape), size * this.io.outputSize];
    batches.forEach((batch, k) => {
      x.set(batch.x, k * perX);
      const row = target.subarray(k * perTarget, (k + 1) * perTarget);
      const written = targetData(this.io.loss, batch, this.io.outputSize, row, this.io.lossOptions);
      if (written !== row) row.set(written);
      if (this.graph.distils) this.data(IO.teacher).set(teacherLogits(batch, this.io.outputSize), k * perTarget);
    });
    const step = this.data(TRAIN_IO.step);
    for (let k = 0; k < count; k++) step[k] = input.stepsBefore + k + 1;
    this.graph.groups.forEach((group, g) => this.data(group.lr).set(input.lrs[g]!));
    for (const mask of this.graph.masks) {
      const data = this.data(mask.input);
      const per = size * sizeOf(mask.sampleShape);
      // As in a single step: seeded by the step count before the step, so resumed runs draw the same masks.
      for (let k = 0; k < count; k++)
        dropoutMask(
          per,
          mask.rate,
          mixSeeds(mixSeeds(input.seed, input.stepsBefore + k), mask.index),
          data.subarray(k * per, (k + 1) * per),
        );
    }
    return { feeds: { ...this.feeds }, fetches: { ...this.fetches } };
  }

  /** A per-step output of the last run, one value per step. */
  perStep(name: string): Float32Array {
    return this.fetches[MULTI_IO.steps + name]!.data as Float32Array;
  }

  private allocate(count: number, size: number): void {
    const shape = `${count}x${size}`;
    if (shape === this.shape) return;
    this.shape = shape;
    const tensor = (dims: number[]): Tensor => new this.ort.Tensor('float32', new Float32Array(sizeOf(dims)), dims);
    this.feeds = {
      [MULTI_IO.stacked + IO.x]: tensor([count, size, ...this.io.inputShape]),
      [MULTI_IO.stacked + IO.target]: tensor([count, size, this.io.outputSize]),
      [MULTI_IO.stacked + TRAIN_IO.step]: tensor([count]),
    };
    if (this.graph.distils) this.feeds[MULTI_IO.stacked + IO.teacher] = tensor([count, size, this.io.outputSize]);
    for (const group of this.graph.groups) this.feeds[MULTI_IO.stacked + group.lr] = tensor([count]);
    for (const mask of this.graph.masks) this.feeds[MULTI_IO.stacked + mask.input] = tensor([count, size, ...mask.sampleShape]);
    this.fetches = Object.fromEntries(this.io.perStep.map((name) => [MULTI_IO.steps + name, tensor([count])]));
  }

  private data(input: string): Float32Array {
    return this.feeds[MULTI_IO.stacked + input]!.data as Float32Array;
  }
}
