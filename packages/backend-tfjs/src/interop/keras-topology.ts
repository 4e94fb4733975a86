import { HeadstartError, inferShapes, MODEL_INPUT, validateSpec, type LayerInput, type ModelSpec } from '@headstart/core';
import { mapKerasLayer, type KerasLayer, type MappedLayer, type WeightShapeOf } from './keras-layer-mapping.js';
import { foldZeroPadding, readZeroPadding, type ZeroPadding } from './keras-zero-padding.js';

/** A Keras topology as a ModelSpec, with where each layer's weights come from, by headstart layer name. */
export interface MappedTopology {
  spec: ModelSpec;
  layers: Map<string, MappedLayer>;
}

/**
 * Map the `modelTopology` of a tfjs layers model (tfjs `model.save`, or the Keras converter, which
 * wraps it in `model_config`) to a ModelSpec: a Sequential model, or a functional one with one input
 * and one output (branches, Add, Concatenate), each layer taking the layers its inbound nodes name.
 * A ZeroPadding2D is folded into the `valid` convolution or pooling it feeds, as explicit pads.
 * Keras names that are not valid headstart names are rewritten (`block1/conv` → `block1_conv`);
 * weights are still found under the Keras name.
 * @throws HeadstartError (NOT_SUPPORTED) naming the class and layer that cannot be mapped; SpecError
 *   naming the layer when the layers do not fit.
 */
export function mapTopology(file: string, topology: unknown, weightShape: WeightShapeOf = () => undefined): MappedTopology {
  const model = unwrap(topology);
  const kerasLayers = modelLayers(file, model);
  const inputShape = findInputShape(file, kerasLayers);
  const functional = model.class_name !== 'Sequential';
  const taken = new Set<string>([MODEL_INPUT]);
  /** Headstart value name of each Keras layer, and the ZeroPadding2D layers waiting to be folded. */
  const valueNames = new Map<string, string>();
  const paddings = new Map<string, ZeroPadding>();
  const mapped: MappedLayer[] = [];
  let previous = MODEL_INPUT;
  for (const keras of kerasLayers) {
    const kerasName = String(keras.config.name ?? keras.class_name);
    if (keras.class_name === 'InputLayer') {
      valueNames.set(kerasName, MODEL_INPUT);
      continue;
    }
    const inbound = functional ? inboundNames(keras) : [previous];
    const sources = inbound.map((name) => valueNames.get(name) ?? name);
    if (keras.class_name === 'ZeroPadding2D') {
      paddings.set(kerasName, readZeroPadding(file, keras, sources));
      valueNames.set(kerasName, kerasName);
      previous = kerasName;
      continue;
    }
    const layer = mapKerasLayer(file, keras, headstartName(kerasName, taken), weightShape);
    const inputs = sources.map((source) => {
      const padding = paddings.get(source);
      if (!padding) return source;
      foldZeroPadding(file, padding, keras, layer.layer, mapped);
      return padding.source;
    });
    if (functional) checkInbound(file, keras, inputs, valueNames);
    mapped.push({ ...layer, layer: withInputs(layer.layer, inputs, mapped) });
    valueNames.set(kerasName, layer.layer.name);
    previous = kerasName;
  }
  if (mapped.length === 0) throw new HeadstartError('BAD_INPUT', `${file}: the model has no layers besides its input`);
  checkOutput(file, model, valueNames, mapped);
  const spec = validateSpec({ inputShape, layers: mapped.map((m) => m.layer) }, file);
  checkLastAxis(file, spec, mapped);
  return { spec, layers: new Map(mapped.map((m, i) => [spec.layers[i]!.name, m])) };
}

function unwrap(topology: unknown): { class_name?: unknown; config?: unknown } {
  const t = topology as { model_config?: unknown };
  return (t.model_config ?? t) as { class_name?: unknown; config?: unknown };
}

function modelLayers(file: string, model: { class_name?: unknown; config?: unknown }): KerasLayer[] {
  const config = model.config as { layers?: unknown } | unknown[] | undefined;
  // Keras 2.1 wrote a Sequential's config as the bare layer list.
  const layers = Array.isArray(config) ? config : config?.layers;
  if (!Array.isArray(layers) || !layers.every(isKerasLayer))
    throw new HeadstartError('BAD_INPUT', `${file}: modelTopology has no list of layers`);
  if (model.class_name === 'Sequential' || model.class_name === 'Model' || model.class_name === 'Functional') return layers;
  throw new HeadstartError(
    'NOT_SUPPORTED',
    `${file}: model class ${String(model.class_name)} cannot be mapped; expected Sequential or a functional Model`,
  );
}

function isKerasLayer(value: unknown): value is KerasLayer {
  const l = value as KerasLayer | null;
  return typeof l === 'object' && l !== null && typeof l.class_name === 'string' && typeof l.config === 'object' && l.config !== null;
}

/** The layer's `inputs` when they differ from the default (the layer listed before it, or the model input). */
function withInputs(layer: LayerInput, inputs: string[], before: MappedLayer[]): LayerInput {
  const fallback = before.length === 0 ? MODEL_INPUT : before[before.length - 1]!.layer.name;
  return inputs.length === 1 && inputs[0] === fallback ? layer : { ...layer, inputs };
}

/** Every inbound layer is one already mapped (or the input), and a layer is called once. */
function checkInbound(file: string, keras: KerasLayer, inputs: string[], valueNames: Map<string, string>): void {
  const known = new Set(valueNames.values());
  const stray = inputs.find((name) => !known.has(name));
  const where = `${file}: layer ${keras.class_name} "${String(keras.config.name)}"`;
  if (inputs.length === 0)
    throw new HeadstartError('NOT_SUPPORTED', `${where} takes no input; a functional model's layers must be connected`);
  if (stray) throw new HeadstartError('NOT_SUPPORTED', `${where} takes "${stray}", which is not a layer listed before it`);
  if (Array.isArray(keras.inbound_nodes) && keras.inbound_nodes.length > 1)
    throw new HeadstartError('NOT_SUPPORTED', `${where} is called ${keras.inbound_nodes.length} times; shared layers cannot be imported`);
}

/** A functional model's one output must be its last layer (the model output of a spec). */
function checkOutput(file: string, model: { config?: unknown }, valueNames: Map<string, string>, mapped: MappedLayer[]): void {
  const config = model.config as { input_layers?: unknown[] | undefined; output_layers?: unknown[] | undefined } | undefined;
  for (const [key, what] of [
    ['input_layers', 'inputs'],
    ['output_layers', 'outputs'],
  ] as const) {
    const list = config?.[key];
    if (Array.isArray(list) && list.length > 1)
      throw new HeadstartError(
        'NOT_SUPPORTED',
        `${file}: the model has ${list.length} ${what}; only models with one input and one output can be imported`,
      );
  }
  const output: unknown = config?.output_layers?.[0];
  const kerasName = Array.isArray(output) && typeof output[0] === 'string' ? output[0] : undefined;
  const last = mapped[mapped.length - 1]!.layer.name;
  if (kerasName !== undefined && valueNames.get(kerasName) !== last)
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `${file}: the model output "${kerasName}" is not its last layer ("${last}"); only the last layer can be the output`,
    );
}

/**
 * The layers feeding one layer: tfjs and Keras 2 write `[[["prev", 0, 0, {}]]]`; Keras 3 writes
 * `[{ args: [{ config: { keras_history: ["prev", 0, 0] } }] }]`. A layer called twice has two nodes.
 */
function inboundNames(layer: KerasLayer): string[] {
  const nodes = Array.isArray(layer.inbound_nodes) ? layer.inbound_nodes : [];
  const names: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      if (typeof value[0] === 'string' && typeof value[1] === 'number') names.push(value[0]);
      else value.forEach(visit);
    } else if (typeof value === 'object' && value !== null) {
      const history = (value as { keras_history?: unknown }).keras_history;
      if (Array.isArray(history) && typeof history[0] === 'string') names.push(history[0]);
      else Object.values(value).forEach(visit);
    }
  };
  nodes.forEach(visit);
  return names;
}

/** The sample shape from the InputLayer, or from the first layer's `batch_input_shape`. */
function findInputShape(file: string, layers: KerasLayer[]): number[] {
  const first = layers[0]?.config ?? {};
  const batchShape = first.batch_input_shape ?? first.batch_shape ?? first.batchInputShape;
  if (Array.isArray(batchShape)) return sampleShape(file, batchShape.slice(1));
  if (Array.isArray(first.input_shape)) return sampleShape(file, first.input_shape);
  throw new HeadstartError('BAD_INPUT', `${file}: the first layer declares no input shape (batch_input_shape or an InputLayer)`);
}

function sampleShape(file: string, shape: unknown[]): number[] {
  if (!shape.every((d) => Number.isInteger(d) && (d as number) > 0)) {
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `${file}: input shape [${shape.map(String).join(', ')}] has an unknown size; headstart needs a fixed sample shape`,
    );
  }
  return shape as number[];
}

/** A valid, unused headstart layer name for a Keras name. */
function headstartName(kerasName: string, taken: Set<string>): string {
  let name = kerasName.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z_]/.test(name)) name = `_${name}`;
  const base = name;
  for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

/** headstart's batch norm, softmax and concat work over the last axis; Keras allows any, written as -1 or its index. */
function checkLastAxis(file: string, spec: ModelSpec, mapped: MappedLayer[]): void {
  const what = { batchNorm: 'batch norm', activation: 'softmax', concat: 'concat' } as Record<string, string>;
  for (const shapes of inferShapes(spec)) {
    const { axis, kerasName } = mapped[shapes.index]!;
    if (axis === undefined || axis === -1 || axis === shapes.inputShape.length) continue;
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `${file}: layer "${kerasName}": axis ${axis} is not the last (channels) axis; headstart's ${what[shapes.layer.type]} works over the last axis only`,
    );
  }
}
