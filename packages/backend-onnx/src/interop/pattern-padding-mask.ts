import { intsOf } from './onnx-node-attributes.js';
import type { GraphIndex, IndexedNode } from './onnx-graph-index.js';
import { Walk } from './onnx-patterns.js';

/** A padding mask traced back to the model input it is computed from. */
export interface MaskSource {
  /** The model input (1 for a token, 0 for padding). */
  input: string;
  /** True when the value is 1 (or true) at padding: `mask == 0`, `1 − mask`, `not mask`. */
  inverted: boolean;
  /** The nodes on the way. */
  nodes: number[];
}

/** Where a mask broadcast to its use ends up along its last axis: over the keys (attention) or one per token (pooling). */
export type MaskUse = 'keys' | 'tokens';

/** Why a value is not a padding mask: the node it stops at (or none: a stored tensor, another input). */
export interface NotAMask {
  stop: IndexedNode | undefined;
  value: string;
}

/**
 * Trace `value` back through the ops that only cast, reshape, broadcast or flip a padding mask
 * (Cast, Unsqueeze, Reshape, Expand, Equal to 0, Not, 1 − x) to the model input it comes from. For
 * `keys` the mask must stay on the last axis (`[N, 1, 1, T]` against scores `[N, H, T, T]`: it
 * masks keys, never queries); for `tokens` it gains a last axis of 1 (`[N, T, 1]`).
 */
export function paddingMaskSource(g: GraphIndex, value: string, use: MaskUse): MaskSource | NotAMask {
  const walk = new Walk();
  let inverted = false;
  let current = value;
  let lastAxisAdded = false;
  for (;;) {
    if (g.isModelInput(current)) {
      if (use === 'tokens' && !lastAxisAdded) return { stop: undefined, value };
      return { input: current, inverted, nodes: walk.nodes };
    }
    const at = g.producer(current);
    if (!at) return { stop: undefined, value: current };
    const { node } = at;
    if (node.opType === 'Cast' || node.opType === 'Expand') current = node.input[0]!;
    else if (node.opType === 'Unsqueeze') {
      const axes = node.input[1] ? Array.from(g.constants.get(node.input[1])?.values ?? [NaN]) : intsOf(at.attributes, 'axes', []);
      const last = axes.some((a) => a === -1 || a === 3 || (use === 'tokens' && a === 2));
      if (use === 'keys' && last) return { stop: at, value: current };
      lastAxisAdded ||= last;
      current = node.input[0]!;
    } else if (node.opType === 'Reshape') {
      const target = g.shapeEntries(node.input[1]);
      const end = target?.[target.length - 1];
      if (use !== 'keys' || end === undefined || end === 1) return { stop: at, value: current };
      current = node.input[0]!;
    } else if (node.opType === 'Equal' && g.scalar(node.input[1]) === 0) {
      inverted = !inverted;
      current = node.input[0]!;
    } else if (node.opType === 'Not') {
      inverted = !inverted;
      current = node.input[0]!;
    } else if (node.opType === 'Sub' && g.scalar(node.input[0]) === 1) {
      inverted = !inverted;
      current = node.input[1]!;
    } else return { stop: at, value: current };
    walk.nodes.push(at.index);
  }
}

/** Whether a trace found the mask. */
export function isMask(found: MaskSource | NotAMask): found is MaskSource {
  return 'input' in found;
}

/** Why a trace did not find a padding mask, for an error message. */
export function notAMaskReason(found: NotAMask): string {
  return found.stop
    ? `"${found.value}" comes from node "${found.stop.node.name || found.stop.node.output[0]}" (op ${found.stop.node.opType}), not from a padding mask input`
    : `"${found.value}" is not computed from a padding mask input`;
}
