import { HeadstartError, inferShapes, validateSpec, type ModelSpec } from '@headstart/core';
import { mapKerasLayer, type KerasLayer, type MappedLayer } from './keras-layer-mapping.js';

/** A Keras topology as a ModelSpec, with where each layer's weights come from, by headstart layer name. */
export interface MappedTopology {
  spec: ModelSpec;
  layers: Map<string, MappedLayer>;
}

/**
 * Map the `modelTopology` of a tfjs layers model (tfjs `model.save`, or the Keras converter, which
 * wraps it in `model_config`) to a ModelSpec: a Sequential model, or a functional one whose layers
 * form a single chain. Keras names that are not valid headstart names are rewritten (`block1/conv`
 * → `block1_conv`); weights are still found under the Keras name.
 * @throws HeadstartError (NOT_SUPPORTED) naming the class and layer that cannot be mapped, or the
 *   layer where a functional model branches; SpecError naming the layer when the layers do not fit.
 */
export function mapTopology(file: string, topology: unknown): MappedTopology {
  const model = unwrap(topology);
  const kerasLayers = modelLayers(file, model);
  const inputShape = findInputShape(file, kerasLayers);
  const taken = new Set<string>();
  const mapped = kerasLayers
    .filter((l) => l.class_name !== 'InputLayer')
    .map((l) => mapKerasLayer(file, l, headstartName(String(l.config.name ?? l.class_name), taken)));
  if (mapped.length === 0) throw new HeadstartError('BAD_INPUT', `${file}: the model has no layers besides its input`);
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
  if (model.class_name === 'Sequential') return layers;
  if (model.class_name === 'Model' || model.class_name === 'Functional') {
    checkChain(file, layers);
    return layers;
  }
  throw new HeadstartError(
    'NOT_SUPPORTED',
    `${file}: model class ${String(model.class_name)} cannot be mapped; expected Sequential or a functional Model`,
  );
}

function isKerasLayer(value: unknown): value is KerasLayer {
  const l = value as KerasLayer | null;
  return typeof l === 'object' && l !== null && typeof l.class_name === 'string' && typeof l.config === 'object' && l.config !== null;
}

/** A functional model maps only when each layer takes the one before it, and nothing else. */
function checkChain(file: string, layers: KerasLayer[]): void {
  layers.forEach((layer, i) => {
    const inbound = inboundNames(layer);
    const expected = i === 0 ? [] : [String(layers[i - 1]!.config.name)];
    if (inbound.length !== expected.length || inbound.some((n, k) => n !== expected[k])) {
      throw new HeadstartError(
        'NOT_SUPPORTED',
        `${file}: layer ${layer.class_name} "${String(layer.config.name)}" takes [${inbound.join(', ')}]; only a single chain of layers (each taking the one before) can be imported`,
      );
    }
  });
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

/** headstart's batch norm and softmax work over the last axis; Keras allows any, written as -1 or its index. */
function checkLastAxis(file: string, spec: ModelSpec, mapped: MappedLayer[]): void {
  for (const shapes of inferShapes(spec)) {
    const { axis, kerasName } = mapped[shapes.index]!;
    if (axis === undefined || axis === -1 || axis === shapes.inputShape.length) continue;
    throw new HeadstartError(
      'NOT_SUPPORTED',
      `${file}: layer "${kerasName}": axis ${axis} is not the last (channels) axis; headstart's ${shapes.layer.type === 'batchNorm' ? 'batch norm' : 'softmax'} works over the last axis only`,
    );
  }
}
