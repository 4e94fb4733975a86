import { HeadstartError, inferShapes, nodeInputs, validateSpec, type LayerInput, type ModelSpec } from '@headstart/core';
import { parseProjectionSite, projectionSites, withoutProjectionAdapters, withProjectionAdapters } from './attention-lora.js';
import { globToRegExp } from './parameter-sets.js';

/** Suffixes of the layers a LoRA block adds after its target `t`: `t__lora_a`, … (see {@link withLora}). */
const SUFFIX = { a: '__lora_a', scale: '__lora_scale', b: '__lora_b', sum: '__lora_sum', out: '__lora_out' } as const;

/** A layer LoRA can adapt: dense, or conv2d without groups. */
type Adaptable = Extract<ModelSpec['layers'][number], { type: 'dense' | 'conv2d' }>;

function adaptable(layer: ModelSpec['layers'][number]): layer is Adaptable {
  return layer.type === 'dense' || (layer.type === 'conv2d' && (layer.groups ?? 1) === 1);
}

/**
 * What LoRA adapts: among the layers before position `head` (in topological order), the dense and
 * conv2d layers (by name) and the projections of attention layers (`attn1.q`, `attn1.k`, `attn1.v`,
 * `attn1.out`) that a glob of `targets` names (`*.q` every query projection), or every dense layer
 * when `targets` is empty (the linear layers outside attention).
 * @throws HeadstartError (USAGE) for a glob that names none of them, or no layer at all to adapt.
 */
export function loraTargets(spec: ModelSpec, head: number, targets: readonly string[]): string[] {
  const below = inferShapes(spec)
    .slice(0, head)
    .map((n) => n.layer);
  const names = below.flatMap((l) => (l.type === 'attention' ? projectionSites(l) : adaptable(l) ? [l.name] : []));
  const listed = names.length > 0 ? `they are ${names.join(', ')}` : 'the model has none';
  if (targets.length === 0) {
    const dense = below.filter((l) => l.type === 'dense').map((l) => l.name);
    if (dense.length === 0)
      throw new HeadstartError(
        'USAGE',
        `strategy lora: option target: no dense layer below the head to adapt; name dense or conv2d layers or attention projections (${listed})`,
      );
    return dense;
  }
  const unmatched = targets.find((glob) => !names.some((name) => globToRegExp(glob).test(name)));
  if (unmatched !== undefined)
    throw new HeadstartError(
      'USAGE',
      `strategy lora: option target: "${unmatched}" names no dense or conv2d layer or attention projection below the head; ${listed}`,
    );
  return names.filter((name) => targets.some((glob) => globToRegExp(glob).test(name)));
}

/** The dense and conv2d targets among `targets` (not the attention projections). */
export function layerTargets(targets: readonly string[]): string[] {
  return targets.filter((t) => parseProjectionSite(t) === undefined);
}

/** The names of the layers {@link withLora} adds for a dense or conv2d `target`. */
export function loraLayerNames(target: string): { a: string; scale: string; b: string; sum: string; out: string } {
  return {
    a: target + SUFFIX.a,
    scale: target + SUFFIX.scale,
    b: target + SUFFIX.b,
    sum: target + SUFFIX.sum,
    out: target + SUFFIX.out,
  };
}

/**
 * `spec` with a LoRA block on each dense or conv2d target layer `t` (activation `act`), as existing layer types:
 * `t` itself without its activation (its kernel and bias keep their names), `t__lora_a` (r units, or
 * a conv with `t`'s window to r channels), `t__lora_scale` (r → r, held frozen at s·I so the scale
 * s = alpha/r is exact for any optimizer), `t__lora_b` (r → out, a 1×1 conv for conv2d), their sum
 * `t__lora_sum`, then `t__lora_out` applying `act`. Every layer that took `t` takes `t__lora_out`.
 * An attention projection target (`attn1.q`) is adapted inside its layer instead, scaled by
 * alpha/rank (see {@link withProjectionAdapters}).
 * @throws HeadstartError (USAGE) when a name the block needs is taken.
 */
export function withLora(spec: ModelSpec, targets: readonly string[], rank: number, alpha: number): ModelSpec {
  const taken = new Set(spec.layers.map((l) => l.name));
  const renamed = new Map(layerTargets(targets).map((t) => [t, loraLayerNames(t).out]));
  const layers: LayerInput[] = [];
  spec.layers.forEach((layer, index) => {
    const inputs = layer.inputs?.map((name) => renamed.get(name) ?? name);
    if (!targets.includes(layer.name) || !adaptable(layer)) {
      layers.push(inputs ? { ...layer, inputs } : layer);
      return;
    }
    const names = loraLayerNames(layer.name);
    const clash = Object.values(names).find((n) => taken.has(n));
    if (clash)
      throw new HeadstartError('USAGE', `strategy lora: the model already has a layer "${clash}", a name LoRA needs for "${layer.name}"`);
    layers.push(
      { ...layer, ...(inputs ? { inputs } : {}), activation: 'linear' },
      ...block(
        layer,
        names,
        nodeInputs(spec, index).map((name) => renamed.get(name) ?? name),
        rank,
      ),
    );
  });
  return validateSpec({ ...spec, layers: withProjectionAdapters(layers, targets, rank, alpha) }, 'the LoRA model');
}

function block(layer: Adaptable, names: ReturnType<typeof loraLayerNames>, inputs: string[], rank: number): LayerInput[] {
  const project =
    layer.type === 'dense'
      ? (name: string, units: number, from: string): LayerInput => ({ type: 'dense', name, inputs: [from], units, useBias: false })
      : (name: string, filters: number, from: string): LayerInput => ({
          type: 'conv2d',
          name,
          inputs: [from],
          filters,
          kernelSize: 1,
          useBias: false,
        });
  const a: LayerInput =
    layer.type === 'dense'
      ? { type: 'dense', name: names.a, inputs, units: rank, useBias: false }
      : {
          type: 'conv2d',
          name: names.a,
          inputs,
          filters: rank,
          kernelSize: layer.kernelSize,
          strides: layer.strides,
          padding: layer.padding,
          useBias: false,
        };
  const out = layer.type === 'dense' ? layer.units : layer.filters;
  return [
    a,
    project(names.scale, rank, names.a),
    project(names.b, out, names.scale),
    { type: 'add', name: names.sum, inputs: [layer.name, names.b] },
    { type: 'activation', name: names.out, inputs: [names.sum], activation: layer.activation },
  ];
}

/** Undo {@link withLora}: the LoRA blocks of `targets` removed, each target's activation restored; projection adapters dropped. */
export function withoutLora(spec: ModelSpec, targets: readonly string[]): ModelSpec {
  const blocks = new Map(layerTargets(targets).map((t) => [t, loraLayerNames(t)]));
  const added = new Set([...blocks.values()].flatMap((n) => [n.a, n.scale, n.b, n.sum, n.out]));
  const restored = new Map([...blocks].map(([t, n]) => [n.out, t]));
  const layers: LayerInput[] = [];
  for (const layer of spec.layers) {
    if (added.has(layer.name)) continue;
    const inputs = layer.inputs?.map((name) => restored.get(name) ?? name);
    const names = blocks.get(layer.name);
    const out = names && spec.layers.find((l) => l.name === names.out);
    const activation = out?.type === 'activation' ? { activation: out.activation } : {};
    layers.push({ ...layer, ...(inputs ? { inputs } : {}), ...activation } as LayerInput);
  }
  return validateSpec({ ...spec, layers: withoutProjectionAdapters(layers, targets) }, 'the merged model');
}
