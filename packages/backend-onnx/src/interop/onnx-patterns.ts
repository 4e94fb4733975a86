import type { NodeProto } from '../onnx/onnx-proto.js';
import { UnmappableNode, type GraphMapper } from './onnx-graph-mapper.js';
import type { GraphIndex, IndexedNode } from './onnx-graph-index.js';

/**
 * A subgraph that one headstart layer computes (a decomposed LayerNorm, an Erf GELU, a whole
 * attention block …), found backwards from the node computing its result.
 */
export interface PatternMatch {
  /** Indices of the nodes the match stands for, its result's node included; none of them maps on its own. */
  nodes: number[];
  /** The node the match maps as, at its result's place: it reads the computed values the layer takes and writes the result. */
  node: NodeProto;
  /** Add the layer (or fold it into the layer before) for `node`. */
  map(m: GraphMapper, node: NodeProto): void;
}

/** A pattern: the match whose result `at` computes, or undefined. @throws UnmappableNode for a form it recognises but headstart cannot compute. */
export type Pattern = (g: GraphIndex, at: IndexedNode) => PatternMatch | undefined;

/** The graph's nodes with every match in place: its nodes emptied, its result's node replaced by the match's node. */
export interface PatternedNodes {
  nodes: NodeProto[];
  matches: Map<number, PatternMatch>;
}

const EMPTY: NodeProto = { opType: '', input: [], output: [] };

/**
 * Find the matches of `patterns`, from the last node (a node in one match anchors no other).
 * @throws UnmappableNode: of the patterns that recognise a form headstart cannot compute, the first in node order.
 */
export function applyPatterns(g: GraphIndex, patterns: readonly Pattern[]): PatternedNodes {
  const source = g.graph.node ?? [];
  const nodes = [...source];
  const matches = new Map<number, PatternMatch>();
  const claimed = new Set<number>();
  let refused: UnmappableNode | undefined;
  for (let index = source.length - 1; index >= 0; index--) {
    if (claimed.has(index) || source[index]!.opType === 'Constant') continue;
    const at = g.producer(source[index]!.output[0])!;
    for (const pattern of patterns) {
      let match: PatternMatch | undefined;
      try {
        match = pattern(g, at);
      } catch (error) {
        if (!(error instanceof UnmappableNode)) throw error;
        refused = error;
      }
      if (!match) continue;
      for (const i of match.nodes) {
        claimed.add(i);
        nodes[i] = EMPTY;
      }
      nodes[index] = match.node;
      matches.set(index, match);
      break;
    }
  }
  if (refused) throw refused;
  return { nodes, matches };
}

/** Collects the indices of the nodes a pattern walks through. */
export class Walk {
  readonly nodes: number[] = [];

  /** The node computing `value` if it is `opType`, recorded; else undefined. */
  step(g: GraphIndex, value: string | undefined, opType: string): IndexedNode | undefined {
    const found = g.producer(value, opType);
    if (found) this.nodes.push(found.index);
    return found;
  }
}

/** The other input of a two-input node, given one of them; undefined when `value` is neither. */
export function otherInput(node: NodeProto, value: string): string | undefined {
  if (node.input[0] === value) return node.input[1];
  if (node.input[1] === value) return node.input[0];
  return undefined;
}
