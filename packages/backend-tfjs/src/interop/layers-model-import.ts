import {
  HeadstartError,
  inferShapes,
  parameterShapes,
  sameShape,
  sizeOf,
  validateSpec,
  type ModelSpec,
  type NamedTensors,
  type TensorData,
} from '@headstart/core';
import type { MappedLayer } from './keras-layer-mapping.js';
import { mapTopology, type MappedTopology } from './keras-topology.js';
import { SPEC_METADATA_KEY } from './layers-model-export.js';
import { tfjsParameter } from './layers-model-builder.js';
import { readModelJson, type LayersModelJson } from './layers-model-files.js';
import { readWeights } from './weight-shards.js';

/**
 * Read a tfjs layers model (`model.json` and its weight shards, or a directory holding them) as a
 * ModelSpec and canonical weights. A model this backend exported carries its spec and maps back
 * exactly; any other (tfjs `model.save`, the Keras converter) is mapped layer by layer. Keras's
 * layouts are the canonical ones (dense `[in, out]`, conv `[kh, kw, in, out]`, channels-last, row-major
 * flatten), so weights are taken as they are.
 * @throws HeadstartError (BAD_INPUT) for a file that is not a layers model or lacks a weight;
 *   (NOT_SUPPORTED) naming the layer class and name that has no headstart layer.
 */
export async function importLayersModel(file: string): Promise<{ spec: ModelSpec; weights: NamedTensors }> {
  const { path, json } = await readModelJson(file);
  const mapping = embeddedMapping(path, json) ?? mapTopology(path, json.modelTopology);
  const stored = await readWeights(path, json.weightsManifest);
  return { spec: mapping.spec, weights: collectWeights(path, mapping, stored) };
}

/** The spec an export of ours embedded; its layer names are the Keras names. */
function embeddedMapping(path: string, json: LayersModelJson): MappedTopology | undefined {
  const embedded = json.userDefinedMetadata?.[SPEC_METADATA_KEY] as { spec?: unknown } | undefined;
  if (!embedded?.spec) return undefined;
  const spec = validateSpec(embedded.spec, `${path}: embedded spec`);
  return { spec, layers: new Map(spec.layers.map((layer) => [layer.name, { layer, kerasName: layer.name }])) };
}

/**
 * Each parameter of the spec from the manifest weight `<kerasName>/<param>`, shape-checked (a
 * depthwise kernel is stored `[kh, kw, in, multiplier]`: see {@link tfjsParameter}).
 */
function collectWeights(path: string, mapping: MappedTopology, stored: Map<string, TensorData>): NamedTensors {
  const weights: NamedTensors = new Map();
  const nodes = new Map(inferShapes(mapping.spec).map((node) => [node.layer.name, node]));
  for (const p of parameterShapes(mapping.spec)) {
    const source = mapping.layers.get(p.layer)!;
    const { layer, inputShape } = nodes.get(p.layer)!;
    const param = tfjsParameter(layer, inputShape, p.name.slice(p.layer.length + 1));
    const shape = param === 'depthwise_kernel' ? depthwiseShape(p.shape, inputShape) : p.shape;
    const tensor = findWeight(path, stored, source, param) ?? absentDefault(source, param, shape);
    if (!tensor) {
      throw new HeadstartError('BAD_INPUT', `${path}: layer "${source.kerasName}" has no weight "${source.kerasName}/${param}" in the weights manifest`);
    }
    if (!sameShape(tensor.shape, shape)) {
      throw new HeadstartError(
        'BAD_INPUT',
        `${path}: weight "${source.kerasName}/${param}" has shape [${tensor.shape}], but the layer needs [${shape}]`,
      );
    }
    weights.set(p.name, { shape: [...p.shape], data: tensor.data });
  }
  return weights;
}

/** Keras's depthwise kernel shape `[kh, kw, in, multiplier]` for our `[kh, kw, 1, filters]`. */
function depthwiseShape([kh, kw, , filters]: number[], inputShape: number[]): number[] {
  const channels = inputShape[inputShape.length - 1]!;
  return [kh!, kw!, channels, filters! / channels];
}

/**
 * The manifest weight named `<layer>/<param>`, also under a scope (`sequential/<layer>/<param>`, as
 * Keras 3 writes) or with TensorFlow's `:0` suffix.
 */
function findWeight(path: string, stored: Map<string, TensorData>, source: MappedLayer, param: string): TensorData | undefined {
  const key = `${source.kerasName}/${param}`;
  const matches = [...stored.keys()].filter((name) => {
    const bare = name.replace(/:\d+$/, '');
    return bare === key || bare.endsWith(`/${key}`);
  });
  if (matches.length > 1)
    throw new HeadstartError('BAD_INPUT', `${path}: weight "${key}" is ambiguous in the weights manifest (${matches.join(', ')})`);
  return matches.length === 1 ? stored.get(matches[0]!) : undefined;
}

/** Batch norm without `scale` or `center` stores no gamma (it is 1) or beta (it is 0). */
function absentDefault(source: MappedLayer, param: string, shape: number[]): TensorData | undefined {
  const ours = param === 'gamma' || param === 'beta' ? param : undefined;
  if (!ours || !source.absent?.includes(ours)) return undefined;
  return { shape: [...shape], data: new Float32Array(sizeOf(shape)).fill(ours === 'gamma' ? 1 : 0) };
}
