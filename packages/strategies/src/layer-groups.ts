import { crossingsOf, inferShapes, isChain, type LayerShapes, type ModelSpec } from '@headstart/core';

/** Layers that unfreeze together and share a learning rate (gradual unfreezing, discriminative rates). */
export interface LayerGroup {
  /**
   * How messages name the group: its layer (a chain), its block (`layer1_0`, from torchvision-style
   * names), else its first and last node (`b1_conv…b1_add`).
   */
  name: string;
  /** Its nodes, in topological order. */
  layers: string[];
  /** Its gradient-trainable parameters (batch-norm statistics excluded). */
  params: string[];
}

/**
 * The layer groups of `spec`, bottom-up, without those that train nothing.
 *
 * A chain: one group per layer with parameters (each layer is its own stage).
 *
 * A graph: its blocks. The topological order is cut where one value alone crosses (see core's
 * `crossingValues`); a piece of several nodes between two such cuts has branches (a residual block,
 * from its first node to its merge) and is one group. The single nodes between blocks (a stem, a
 * non-residual MobileNet block) form one group per run, split where a layer with parameters starts a
 * new block by its name (`features_4_conv_0_0` after `features_3_…`: block `features_4`; names with no
 * numbered part, such as `conv1`, `bn1`, never split a run). Layers without parameters ride with the
 * group before them. `head` (the first head layer) always starts a group, so no group straddles the
 * head and the base.
 */
export function layerGroups(spec: ModelSpec, head?: string): LayerGroup[] {
  const order = inferShapes(spec);
  const groups = isChain(spec) ? order.filter((node) => trainable(node).length > 0).map((node) => [node]) : graphGroups(order, head);
  return groups.map(asGroup).filter((group) => group.params.length > 0);
}

/** A group being built: its nodes, whether it is a branched block, and the block name of its first layer with parameters. */
interface Building {
  nodes: LayerShapes[];
  block: boolean;
  key?: string | undefined;
}

function graphGroups(order: LayerShapes[], head: string | undefined): LayerShapes[][] {
  const headAt = order.findIndex((node) => node.layer.name === head);
  const groups: Building[] = [];
  for (const segment of segments(order, headAt)) {
    const current = groups.at(-1);
    const node = segment.nodes[0]!;
    const key = trainable(node).length > 0 ? blockKey(node.layer.name) : undefined;
    if (segment.hard || current === undefined || segment.nodes.length > 1) {
      groups.push({ nodes: segment.nodes, block: segment.nodes.length > 1, ...(key !== undefined ? { key } : {}) });
    } else if (key === undefined || (!current.block && (current.key === undefined || current.key === key))) {
      current.nodes.push(node);
      current.key ??= key;
    } else {
      groups.push({ nodes: [node], block: false, key });
    }
  }
  return groups.map((g) => g.nodes);
}

/** The topological order cut where one value crosses; `hard` where a group must start (the input, the head). */
function segments(order: LayerShapes[], headAt: number): { nodes: LayerShapes[]; hard: boolean }[] {
  const out: { nodes: LayerShapes[]; hard: boolean }[] = [];
  order.forEach((node, at) => {
    if (at === 0 || at === headAt || crossingsOf(order, at).length === 1) out.push({ nodes: [], hard: at === 0 || at === headAt });
    out.at(-1)!.nodes.push(node);
  });
  return out;
}

/**
 * The block a torchvision-style name belongs to: up to its first numbered part after the first
 * (`layer1_0_conv1` → `layer1_0`, `features_3_conv_1_0` → `features_3`); `''` for names without one.
 */
export function blockKey(name: string): string {
  const parts = name.split('_');
  const numbered = parts.findIndex((part, i) => i > 0 && /^\d+$/.test(part));
  return numbered < 0 ? '' : parts.slice(0, numbered + 1).join('_');
}

function asGroup(nodes: LayerShapes[]): LayerGroup {
  const layers = nodes.map((node) => node.layer.name);
  const keys = new Set(nodes.filter((node) => trainable(node).length > 0).map((node) => blockKey(node.layer.name)));
  const [key] = keys;
  const name = layers.length === 1 ? layers[0]! : keys.size === 1 && key ? key : `${layers[0]}…${layers.at(-1)}`;
  return { name, layers, params: nodes.flatMap(trainable) };
}

function trainable(node: LayerShapes): string[] {
  return node.parameters.filter((p) => p.role !== 'statistic').map((p) => p.name);
}
