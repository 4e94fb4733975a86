import {
  HeadstartError,
  outputShape,
  sizeOf,
  type Batch,
  type EvalResult,
  type NamedTensors,
  type StepOptions,
  type StepResult,
  type Trainer,
  type TrainerOptions,
} from '@headstart/core';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { checkInput, stepLrScale, teacherLogits } from '@headstart/core/backend-kit';
import { modelInputFeeds, targetTensor } from './batch-input.js';
import { dropoutMask, mixSeeds } from '@headstart/core/backend-kit';
import { buildEvalGraph, IO } from '../compiler/inference-graph.js';
import type { ModelParts } from './model-parts.js';
import { FlatGroupBuffers } from './flat-group.js';
import { OptimizerState } from './optimizer-state.js';
import { createSession } from './session.js';
import { TYPICAL_BATCH } from './threads.js';
import { buildTrainGraph, TRAIN_IO, type TrainGraph } from '../compiler/train-graph.js';
import { planTraining, type TrainingPlan } from '@headstart/core/backend-kit';
import { buildMultiStepGraph, MULTI_IO, type MultiStepGraph } from '../compiler/multi-step-graph.js';
import { StackedInputs } from './stacked-inputs.js';
import { FusedAdam } from './fused-adam.js';

/**
 * A trainer running one compiled train-step graph. The graph is built when the trainer is made (so
 * bad options fail at once) and its session on the first step; both are reused for every step.
 * Updated parameters and slots are written into preallocated flat buffers that become the inputs of
 * the next step, the replaced ones receiving the step after (double buffering, see FlatGroupBuffers).
 */
export class OnnxTrainer implements Trainer {
  private readonly plan: TrainingPlan;
  private readonly graph: TrainGraph;
  private readonly groups: FlatGroupBuffers[];
  private readonly state: OptimizerState;
  private readonly seed: number;
  private readonly spare = new Map<string, Tensor>();
  private readonly scalars: { step: Tensor; loss: Tensor; correct: Tensor; lrs: Tensor[] };
  private readonly masks = new Map<string, Float32Array>();
  private onehot: Float32Array | undefined;
  private session: Promise<InferenceSession> | undefined;
  private evalSession: Promise<InferenceSession> | undefined;
  private multi: { graph: MultiStepGraph; inputs: StackedInputs; session: Promise<InferenceSession> } | undefined;
  /** Adam's update outside the session for single steps (see FusedAdam), when the optimizer allows. */
  private readonly fused: FusedAdam | undefined;
  private gradientStep: { graph: TrainGraph; session: Promise<InferenceSession>; scalars: Map<string, Tensor> } | undefined;
  private disposed = false;
  /** Batch size the sessions are sized for (their thread count): the first step's, for every session alike. */
  private sessionBatch: number | undefined;

  constructor(
    private readonly parts: ModelParts,
    private readonly options: TrainerOptions,
    private readonly onDispose: () => void,
  ) {
    this.plan = planTraining(parts.spec, options, parts.params.shapes);
    this.graph = buildTrainGraph({
      spec: parts.spec,
      params: parts.params.shapes,
      plan: this.plan,
      optimizer: options.optimizer,
      loss: options.loss,
      lossOptions: options.lossOptions,
      ...(options.l2sp ? { l2sp: options.l2sp } : {}),
    });
    const ort = parts.session.ort;
    this.fused = FusedAdam.for(ort, options.optimizer, this.graph.groups);
    this.groups = this.graph.groups.map((io) => new FlatGroupBuffers(ort, io, this.fused?.allocate));
    this.state = new OptimizerState(this.groups, parts.params);
    this.seed = options.seed ?? parts.seed;
    const scalar = (): Tensor => new ort.Tensor('float32', new Float32Array(1), []);
    this.scalars = { step: scalar(), loss: scalar(), correct: scalar(), lrs: this.groups.map(scalar) };
  }

  async step(batch: Batch, options?: StepOptions | number): Promise<StepResult> {
    this.checkLive();
    const lrScale = stepLrScale(options);
    if (this.fused) return this.fusedStep(batch, lrScale, this.fused);
    const session = await (this.session ??= createSession(
      this.parts.session,
      this.graph.model,
      this.parts.spec,
      (this.sessionBatch ??= batch.size),
    ));
    const fetches: Record<string, Tensor> = { [TRAIN_IO.loss]: this.scalars.loss };
    const feeds = this.stepFeeds(batch, lrScale, this.graph, fetches, (group, _, f, o) => group.bind(f, o));
    await session.run(feeds, fetches);
    for (const group of this.groups) group.flip(this.parts.params);
    return this.stepTaken(batch, this.graph, fetches);
  }

  /** One step through the gradient graph, Adam's update by the kernel, in place: bit-identical to {@link step}'s graph. */
  private async fusedStep(batch: Batch, lrScale: number, fused: FusedAdam): Promise<StepResult> {
    const gradient = (this.gradientStep ??= this.gradientGraph(batch.size));
    const session = await gradient.session;
    const { graph, scalars } = gradient;
    const fetches: Record<string, Tensor> = { [TRAIN_IO.loss]: this.scalars.loss, ...Object.fromEntries(scalars) };
    const feeds = this.stepFeeds(batch, lrScale, graph, fetches, (group, i, f, o) => fused.bind(group, graph.groups[i]!, f, o));
    await session.run(feeds, fetches);
    fused.update(
      this.groups,
      graph.groups,
      graph.adam!,
      (name) => (scalars.get(name)!.data as Float32Array)[0]!,
      this.scalars.lrs.map((lr) => (lr.data as Float32Array)[0]!),
      this.options.groups.map((g) => g.weightDecay ?? 0),
    );
    return this.stepTaken(batch, graph, fetches);
  }

  /** The step graph with the update left to FusedAdam, its session and its scalar outputs, made on the first step. */
  private gradientGraph(batchSize: number): NonNullable<OnnxTrainer['gradientStep']> {
    const graph = buildTrainGraph({
      spec: this.parts.spec,
      params: this.parts.params.shapes,
      plan: this.plan,
      optimizer: this.options.optimizer,
      loss: this.options.loss,
      lossOptions: this.options.lossOptions,
      ...(this.options.l2sp ? { l2sp: this.options.l2sp } : {}),
      updateOutside: true,
    });
    const ort = this.parts.session.ort;
    const names = [graph.adam!.epsilon, ...graph.adam!.stepSizes.values()];
    const scalars = new Map(names.map((name) => [name, new ort.Tensor('float32', new Float32Array(1), [])]));
    // Sized for the first step's batch, as every session of this trainer (the same thread count, the same arithmetic).
    const session = createSession(this.parts.session, graph.model, this.parts.spec, (this.sessionBatch ??= batchSize));
    return { graph, session, scalars };
  }

  /** After a step's run: batch-norm statistics replaced, the step counted, the loss (and correct count) read. */
  private stepTaken(batch: Batch, graph: TrainGraph, fetches: Record<string, Tensor>): StepResult {
    for (const u of graph.statistics) this.spare.set(u.output, this.parts.params.swap(u.name, fetches[u.output]!));
    this.state.steps += 1;
    const loss = (this.scalars.loss.data as Float32Array)[0]!;
    return this.counted(batch) ? { loss, correct: (this.scalars.correct.data as Float32Array)[0]! } : { loss };
  }

  /**
   * Several steps, bit-identical to {@link step} on each in turn. Runs of equal-sized batches go
   * through one multi-step graph (a Scan over the train step) in one session run; a lone batch (the
   * short last one of an epoch) takes a single step.
   */
  async stepMany(batches: readonly Batch[], lrScales: readonly number[]): Promise<StepResult[]> {
    this.checkLive();
    if (batches.length !== lrScales.length)
      throw new HeadstartError('BAD_INPUT', `stepMany: ${batches.length} batches but ${lrScales.length} lrScales`);
    const results: StepResult[] = [];
    for (let start = 0; start < batches.length; ) {
      let end = start + 1;
      while (end < batches.length && batches[end]!.size === batches[start]!.size) end++;
      const batchRun = batches.slice(start, end);
      // The multi-step graph stacks `x` alone: a model with named inputs takes its steps one by one.
      if (batchRun.length === 1 || this.parts.spec.inputs) results.push(...(await this.stepEach(batchRun, lrScales.slice(start, end))));
      else results.push(...(await this.runSteps(batchRun, lrScales.slice(start, end))));
      start = end;
    }
    return results;
  }

  async evaluate(batch: Batch): Promise<EvalResult> {
    this.checkLive();
    const session = await (this.evalSession ??= createSession(
      this.parts.session,
      buildEvalGraph(this.parts.spec, this.options.loss),
      this.parts.spec,
      TYPICAL_BATCH,
    ));
    const ort = this.parts.session.ort;
    const feeds: Record<string, Tensor> = {
      ...this.parts.params.feeds(),
      ...modelInputFeeds(ort, this.parts.spec, batch),
      // The cross-entropy alone (no distillation term): evaluation measures the model against the labels.
      [IO.target]: targetTensor(ort, this.options.loss, batch, outputShape(this.parts.spec), undefined, this.options.lossOptions),
    };
    const result = await session.run(feeds);
    return { lossSum: (result[IO.lossSum]!.data as Float32Array)[0]!, outputs: result[IO.output]!.data as Float32Array };
  }

  async getState(): Promise<NamedTensors> {
    return this.state.read();
  }

  async setState(state: NamedTensors): Promise<void> {
    this.state.write(state);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const session of [this.session, this.evalSession, this.multi?.session, this.gradientStep?.session])
      void session?.then((s) => s.release()).catch(() => undefined);
    this.onDispose();
  }

  private stepFeeds(
    batch: Batch,
    lrScale: number,
    graph: TrainGraph,
    fetches: Record<string, Tensor>,
    bind: (group: FlatGroupBuffers, index: number, feeds: Record<string, Tensor>, fetches: Record<string, Tensor>) => void,
  ): Record<string, Tensor> {
    const { ort } = this.parts.session;
    const { spec, outputSize } = this.parts;
    const inputs = modelInputFeeds(ort, spec, batch);
    const target = targetTensor(ort, this.options.loss, batch, outputShape(spec), this.onehot, this.options.lossOptions);
    if (this.options.loss === 'softmaxCrossEntropy') this.onehot = target.data as Float32Array;
    for (const group of this.groups) group.sync(this.parts.params);
    const feeds = this.parts.params.feeds();
    Object.assign(feeds, inputs);
    feeds[IO.target] = target;
    if (graph.distils) feeds[IO.teacher] = new ort.Tensor('float32', teacherLogits(batch, outputSize), [batch.size, outputSize]);
    feeds[TRAIN_IO.step] = this.scalars.step;
    (this.scalars.step.data as Float32Array)[0] = this.state.steps + 1;
    this.groups.forEach((group, i) => {
      const lr = this.scalars.lrs[i]!;
      (lr.data as Float32Array)[0] = this.plan.groupLrs[group.io.layout.group]! * lrScale;
      feeds[group.io.lr] = lr;
      bind(group, i, feeds, fetches);
    });
    if (graph.counts) fetches[TRAIN_IO.correct] = this.scalars.correct;
    for (const u of graph.statistics) fetches[u.output] = this.spareFor(u.output, u.name);
    for (const mask of graph.masks) feeds[mask.input] = this.maskTensor(mask, batch.size);
    return feeds;
  }

  /** Equal-sized batches in one run of the multi-step graph; the carried state flips as after a single step. */
  private async runSteps(batches: readonly Batch[], lrScales: readonly number[]): Promise<StepResult[]> {
    const { spec, params } = this.parts;
    for (const scale of lrScales) if (!(scale >= 0)) throw new HeadstartError('BAD_INPUT', `lrScale must be ≥ 0, got ${scale}`);
    for (const batch of batches) checkInput(spec.inputShape, batch.x, batch.size);
    const multi = this.multiStep(batches[0]!.size);
    // Should onnxruntime refuse some step graph as a loop body (none known), single steps give the same results.
    const session = await multi.session.catch(() => undefined);
    if (!session) return this.stepEach(batches, lrScales);
    const lrs = this.groups.map((group) => lrScales.map((scale) => this.plan.groupLrs[group.io.layout.group]! * scale));
    const { feeds, fetches } = multi.inputs.fill({ batches, lrs, stepsBefore: this.state.steps, seed: this.seed });
    for (const group of this.groups) {
      group.sync(params);
      group.bind(feeds, fetches, { input: MULTI_IO.initial, output: MULTI_IO.final });
    }
    for (const name of multi.graph.params) feeds[name] = params.get(name);
    for (const u of this.graph.statistics) {
      feeds[MULTI_IO.initial + u.name] = params.get(u.name);
      fetches[MULTI_IO.final + u.output] = this.spareFor(u.output, u.name);
    }
    await session.run(feeds, fetches);
    for (const group of this.groups) group.flip(params);
    for (const u of this.graph.statistics) this.spare.set(u.output, params.swap(u.name, fetches[MULTI_IO.final + u.output]!));
    this.state.steps += batches.length;
    const losses = multi.inputs.perStep(TRAIN_IO.loss);
    const correct = this.graph.counts ? multi.inputs.perStep(TRAIN_IO.correct) : undefined;
    return batches.map((batch, k) => (correct && this.counted(batch) ? { loss: losses[k]!, correct: correct[k]! } : { loss: losses[k]! }));
  }

  private async stepEach(batches: readonly Batch[], lrScales: readonly number[]): Promise<StepResult[]> {
    const results: StepResult[] = [];
    for (const [i, batch] of batches.entries()) results.push(await this.step(batch, lrScales[i]!));
    return results;
  }

  /** The multi-step graph, its stacked inputs and its session, made on first use. */
  private multiStep(batchSize: number): NonNullable<OnnxTrainer['multi']> {
    if (!this.multi) {
      const graph = buildMultiStepGraph(this.graph);
      const io = {
        inputShape: this.parts.spec.inputShape,
        outputSize: this.parts.outputSize,
        loss: this.options.loss,
        lossOptions: this.options.lossOptions,
        perStep: graph.perStep,
      };
      // Sized like the single-step session: the same thread count, so the same arithmetic.
      const session = createSession(this.parts.session, graph.model, this.parts.spec, (this.sessionBatch ??= batchSize));
      this.multi = { graph, inputs: new StackedInputs(this.parts.session.ort, this.graph, io), session };
    }
    return this.multi;
  }

  private maskTensor(mask: TrainGraph['masks'][number], size: number): Tensor {
    // The step count is part of the checkpoint, so a resumed run draws the same masks.
    const seed = mixSeeds(mixSeeds(this.seed, this.state.steps), mask.index);
    const data = dropoutMask(size * sizeOf(mask.sampleShape), mask.rate, seed, this.masks.get(mask.layer));
    this.masks.set(mask.layer, data);
    return new this.parts.session.ort.Tensor('float32', data, [size, ...mask.sampleShape]);
  }

  /**
   * The tensor a step writes a batch-norm statistic's new value into: the one the previous step
   * replaced, unless it is what the model holds now (another trainer of the same model put it back).
   */
  private spareFor(output: string, name: string): Tensor {
    const current = this.parts.params.get(name);
    let tensor = this.spare.get(output);
    if (!tensor || tensor === current) {
      tensor = new this.parts.session.ort.Tensor('float32', new Float32Array(current.size), current.dims);
      this.spare.set(output, tensor);
    }
    return tensor;
  }

  /** Whether a step on `batch` reports `correct`: a classifier's batch with labels or soft labels. */
  private counted(batch: Batch): boolean {
    return this.graph.counts && (batch.labels !== undefined || batch.targets !== undefined);
  }

  private checkLive(): void {
    if (this.disposed) throw new HeadstartError('BAD_INPUT', 'this trainer was disposed');
  }
}
