import {
  ATTENTION_PROJECTIONS,
  HeadstartError,
  type AttentionLayer,
  type AttentionProjection,
  type LayerInput,
  type ModelSpec,
} from '@headstart/core';

/**
 * One projection of an attention layer as a LoRA target: `attn1.q`, `attn1.k`, `attn1.v`,
 * `attn1.out` — PEFT's `q_lin`/`v_lin` (DistilBERT) or `query`/`value` (BERT). Layer names hold no
 * dot, so a target with one is always a projection.
 */
export interface ProjectionSite {
  layer: string;
  projection: AttentionProjection;
}

/** The target names of the projections of `layer`, in checkpoint order (`attn1.q`, …, `attn1.out`). */
export function projectionSites(layer: AttentionLayer): string[] {
  return ATTENTION_PROJECTIONS.map((p) => `${layer.name}.${p}`);
}

/** `attn1.q` → its layer and projection; undefined for a layer name (no dot). */
export function parseProjectionSite(target: string): ProjectionSite | undefined {
  const dot = target.lastIndexOf('.');
  if (dot < 0) return undefined;
  return { layer: target.slice(0, dot), projection: target.slice(dot + 1) as AttentionProjection };
}

/** The adapter tensors of a projection target: A `[D, r]` and B `[r, D]`, both trained. */
export function projectionAdapterNames(site: ProjectionSite): { a: string; b: string } {
  return { a: `${site.layer}.${site.projection}LoraA`, b: `${site.layer}.${site.projection}LoraB` };
}

/** The projection targets among `targets`, grouped by attention layer, each layer's in checkpoint order. */
function projectionsByLayer(targets: readonly string[]): Map<string, AttentionProjection[]> {
  const byLayer = new Map<string, AttentionProjection[]>();
  for (const site of targets.map(parseProjectionSite)) {
    if (site) byLayer.set(site.layer, [...(byLayer.get(site.layer) ?? []), site.projection]);
  }
  for (const [layer, list] of byLayer)
    byLayer.set(
      layer,
      ATTENTION_PROJECTIONS.filter((p) => list.includes(p)),
    );
  return byLayer;
}

/**
 * The layers of `spec` with adapters of rank `rank` (scale alpha/rank) on the projection targets
 * among `targets`: each attention layer gets a `lora` field, which the backends compute (the
 * projections are inside the layer, so there is no graph to rewrite).
 * @throws HeadstartError (USAGE) when such a layer already has adapters.
 */
export function withProjectionAdapters(
  layers: readonly LayerInput[],
  targets: readonly string[],
  rank: number,
  alpha: number,
): LayerInput[] {
  const byLayer = projectionsByLayer(targets);
  return layers.map((layer) => {
    const projections = byLayer.get(layer.name);
    if (!projections || layer.type !== 'attention') return layer;
    if (layer.lora)
      throw new HeadstartError('USAGE', `strategy lora: attention layer "${layer.name}" already has LoRA adapters; merge them first`);
    return { ...layer, lora: { rank, alpha, projections } };
  });
}

/** Undo {@link withProjectionAdapters} for the projection targets among `targets`. */
export function withoutProjectionAdapters(layers: readonly LayerInput[], targets: readonly string[]): LayerInput[] {
  const byLayer = projectionsByLayer(targets);
  return layers.map((layer) => {
    if (layer.type !== 'attention' || !layer.lora || !byLayer.has(layer.name)) return layer;
    const kept = layer.lora.projections.filter((p) => !byLayer.get(layer.name)!.includes(p));
    const { lora, ...plain } = layer;
    return kept.length > 0 ? { ...plain, lora: { ...lora, projections: kept } } : plain;
  });
}

/** The scale alpha/rank of the adapter on `site` in `spec`. */
export function projectionScale(spec: ModelSpec, site: ProjectionSite): number {
  const layer = spec.layers.find((l) => l.name === site.layer);
  if (layer?.type !== 'attention' || !layer.lora?.projections.includes(site.projection))
    throw new HeadstartError('BAD_INPUT', `merge: the adapter's model has no LoRA adapter on ${site.layer}.${site.projection}`);
  return layer.lora.alpha / layer.lora.rank;
}
