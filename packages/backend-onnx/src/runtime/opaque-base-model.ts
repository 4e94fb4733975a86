import {
  HeadstartError,
  MODEL_INPUT,
  parameterShapes,
  validateSpec,
  type Batch,
  type EvalResult,
  type Layer,
  type Model,
  type ModelSpec,
  type NamedTensors,
  type OnnxLayer,
  type ParameterInfo,
  type StepOptions,
  type StepResult,
  type TensorData,
  type Trainer,
  type TrainerOptions,
} from '@headstart/core';
import { checkInput, opaqueTrainingError, planTraining } from '@headstart/core/backend-kit';
import { OpaqueBlock } from './opaque-block.js';
import { engineName } from './devices.js';
import type { SessionSettings } from './session.js';

/** Builds the compiled part of a model (everything after the opaque block). */
export type CompiledModelFactory = (
  spec: ModelSpec,
  weights: NamedTensors | undefined,
  settings: SessionSettings,
  seed: number,
) => Promise<Model>;

/**
 * A model whose first layer is an opaque ONNX block: the block runs in its own session, and the
 * layers after it (the tail) are an ordinary compiled model fed with the block's output. The block is
 * always frozen: trainers train the tail on the block's features, computed batch by batch, and asking
 * to train the block's `graph` fails naming the op and node that made it opaque.
 */
export async function createOpaqueBaseModel(
  spec: ModelSpec,
  weights: NamedTensors | undefined,
  settings: SessionSettings,
  seed: number,
  compiled: CompiledModelFactory,
): Promise<Model> {
  const layer = spec.layers[0] as OnnxLayer;
  const graphName = `${layer.name}.graph`;
  const graph = weights?.get(graphName);
  if (!graph) {
    // What a strategy training from fresh weights (full-retrain) runs into.
    const { op, node } = layer.unsupported;
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `layer "${layer.name}" is an opaque ONNX block (op ${op} at node "${node}") and cannot start from fresh weights: it needs its imported graph "${graphName}", which the weights lack; keep it as a frozen base (--strategy frozen-base)`,
    );
  }
  const rest = new Map([...(weights ?? [])].filter(([name]) => name !== graphName));
  const tailSpec =
    spec.layers.length > 1
      ? validateSpec({ inputShape: layer.outputShape, layers: tailLayers(spec) }, 'the layers after the opaque ONNX block')
      : undefined;
  if (!tailSpec && rest.size > 0)
    throw new HeadstartError('BAD_INPUT', `unknown parameter "${[...rest.keys()][0]}"; this model has ${graphName}`);
  const block = await OpaqueBlock.create(settings, layer, graph);
  try {
    const tail = tailSpec ? await compiled(tailSpec, rest, settings, seed) : undefined;
    return new OpaqueBaseModel(spec, { shape: [...graph.shape], data: new Float32Array(graph.data) }, block, tail, settings);
  } catch (error) {
    block.release();
    throw error;
  }
}

class OpaqueBaseModel implements Model {
  readonly engine: string;
  private readonly layer: OnnxLayer;

  constructor(
    readonly spec: ModelSpec,
    private graph: TensorData,
    private block: OpaqueBlock,
    private readonly tail: Model | undefined,
    private readonly settings: SessionSettings,
  ) {
    this.layer = spec.layers[0] as OnnxLayer;
    this.engine = engineName(settings.device);
  }

  private get graphName(): string {
    return `${this.layer.name}.graph`;
  }

  parameters(): ParameterInfo[] {
    return [{ name: this.graphName, shape: [...this.graph.shape], trainable: false }, ...(this.tail?.parameters() ?? [])];
  }

  async getWeights(): Promise<NamedTensors> {
    const graph = { shape: [...this.graph.shape], data: new Float32Array(this.graph.data) };
    return new Map([[this.graphName, graph], ...((await this.tail?.getWeights()) ?? [])]);
  }

  /** A new graph reloads the block (its session is built before anything changes). */
  async setWeights(weights: NamedTensors): Promise<void> {
    const graph = weights.get(this.graphName);
    const rest = new Map([...weights].filter(([name]) => name !== this.graphName));
    const changed = graph !== undefined && !sameValues(graph.data, this.graph.data);
    const block = changed ? await OpaqueBlock.create(this.settings, this.layer, graph) : undefined;
    try {
      if (rest.size > 0) {
        if (!this.tail)
          throw new HeadstartError('BAD_INPUT', `unknown parameter "${[...rest.keys()][0]}"; this model has ${this.graphName}`);
        await this.tail.setWeights(rest);
      }
    } catch (error) {
      block?.release();
      throw error;
    }
    if (block && graph) {
      this.block.release();
      this.block = block;
      this.graph = { shape: [...graph.shape], data: new Float32Array(graph.data) };
    }
  }

  async predict(x: Float32Array, size: number): Promise<Float32Array> {
    checkInput(this.spec.inputShape, x, size);
    const features = await this.block.run(x, size);
    return this.tail ? this.tail.predict(features, size) : features;
  }

  trainer(options: TrainerOptions): Trainer {
    // Checked against the whole spec, so training the block fails naming its op and node.
    planTraining(this.spec, options, parameterShapes(this.spec));
    if (!this.tail) throw opaqueTrainingError(this.spec, this.layer.name);
    const names = new Set(this.tail.parameters().map((p) => p.name));
    const inner = this.tail.trainer({
      ...options,
      groups: options.groups.map((g) => ({ ...g, params: g.params.filter((p) => names.has(p)) })),
      ...(options.l2sp
        ? { l2sp: { ...options.l2sp, reference: new Map([...options.l2sp.reference].filter(([name]) => names.has(name))) } }
        : {}),
    });
    return new OpaqueBaseTrainer(() => this.block, this.spec.inputShape, inner);
  }

  dispose(): void {
    this.tail?.dispose();
    this.block.release();
  }
}

/** Trains the tail on the block's output for each batch; see {@link createOpaqueBaseModel}. */
class OpaqueBaseTrainer implements Trainer {
  constructor(
    private readonly block: () => OpaqueBlock,
    private readonly inputShape: number[],
    private readonly inner: Trainer,
  ) {}

  async step(batch: Batch, options?: StepOptions | number): Promise<StepResult> {
    return this.inner.step(await this.features(batch), options);
  }

  async stepMany(batches: readonly Batch[], lrScales: readonly number[]): Promise<StepResult[]> {
    const mapped: Batch[] = [];
    for (const batch of batches) mapped.push(await this.features(batch));
    if (this.inner.stepMany) return this.inner.stepMany(mapped, lrScales);
    const results: StepResult[] = [];
    for (let i = 0; i < mapped.length; i++) results.push(await this.inner.step(mapped[i]!, lrScales[i]!));
    return results;
  }

  async evaluate(batch: Batch): Promise<EvalResult> {
    return this.inner.evaluate(await this.features(batch));
  }

  getState(): Promise<NamedTensors> {
    return this.inner.getState();
  }

  setState(state: NamedTensors): Promise<void> {
    return this.inner.setState(state);
  }

  dispose(): void {
    this.inner.dispose();
  }

  private async features(batch: Batch): Promise<Batch> {
    checkInput(this.inputShape, batch.x, batch.size);
    return { ...batch, x: await this.block().run(batch.x, batch.size) };
  }
}

/**
 * The layers after the block, as a spec of their own whose input is the block's output: a layer that
 * takes the block by name takes the model input there.
 * @throws HeadstartError (BAD_INPUT) for a layer that takes the model input past the block, which the
 * tail never sees.
 */
function tailLayers(spec: ModelSpec): Layer[] {
  const block = spec.layers[0]!.name;
  return spec.layers.slice(1).map((layer, i) => {
    if (!layer.inputs) return layer;
    if (layer.inputs.includes(MODEL_INPUT))
      throw new HeadstartError(
        'BAD_INPUT',
        `layers[${i + 1}] "${layer.name}": inputs: it takes "${MODEL_INPUT}", the model input, past the opaque ONNX block "${block}"; only the block may take the model input`,
      );
    return { ...layer, inputs: layer.inputs.map((name) => (name === block ? MODEL_INPUT : name)) };
  });
}

function sameValues(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
