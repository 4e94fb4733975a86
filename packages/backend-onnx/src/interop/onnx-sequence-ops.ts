import type { Attributes } from '../onnx/attributes.js';
import type { NodeProto, TensorProto } from '../onnx/onnx-proto.js';
import { tensorValues } from '../onnx/onnx-tensor.js';
import type { Constant } from './onnx-constants.js';
import type { GraphMapper, MappedValue, TableRows } from './onnx-graph-mapper.js';
import { numberOf } from './onnx-node-attributes.js';

/**
 * Gather: from a stored table `[V, D]` by token ids (a model input) → `embedding`; by positions
 * 0 … T − 1 or by ids all equal (token type 0) → table rows for the Add after it; the first token of
 * a sequence (`x[:, 0]`) → `sequencePool` mode `first`.
 */
export function mapGather(m: GraphMapper, node: NodeProto, attributes: Attributes): void {
  const table = m.constants.get(node.input[0] ?? '');
  if (table) return mapTableGather(m, node, table, numberOf(attributes, 'axis', 0));
  const input = m.input(node);
  const index = m.constant(node, node.input[1]);
  const axis = numberOf(attributes, 'axis', 0);
  if (input.shape.length !== 2 || (axis !== 1 && axis !== -2) || index.dims.length !== 0 || index.values[0] !== 0)
    throw m.unsupported(node, 'only the first token of a sequence (x[:, 0]) or rows of a stored table are gathered');
  m.add(node, { type: 'sequencePool', name: m.layerName(node), mode: 'first' }, [input]);
}

function mapTableGather(m: GraphMapper, node: NodeProto, table: Constant, axis: number): void {
  if (axis !== 0 || table.dims.length !== 2) throw m.unsupported(node, 'only rows of a stored 2-D table [rows, width] are gathered');
  const ids = m.find(node.input[1] ?? '');
  const [rows, width] = table.dims as [number, number];
  if (ids) {
    if (ids.layer !== node.input[1] || ids.shape.length !== 1)
      throw m.unsupported(node, 'only token ids of a model input [tokens] index a table');
    const layer = { type: 'embedding' as const, name: m.layerName(node, node.input[0]), vocabSize: rows, units: width };
    return m.add(node, layer, [ids], { embeddings: { shape: [rows, width], data: new Float32Array(table.values) } });
  }
  const found = tableRows(m, node.input[1] ?? '', table);
  if (!found) throw m.unsupported(node, 'it gathers rows by indices that are neither token ids, positions 0 … T − 1, nor one token type');
  m.tables.set(node.output[0]!, found);
}

/** Positions 0, 1, … (stored, or a Slice from 0 of a stored `arange` buffer), or ids all equal (ConstantOfShape). */
function tableRows(m: GraphMapper, value: string, table: Constant): TableRows | undefined {
  const width = table.dims[1]!;
  const stored = m.constants.get(value);
  const isRange = (values: ArrayLike<number>): boolean => Array.from(values).every((v, i) => v === i);
  if (stored && isRange(stored.values)) return { kind: 'positions', table };
  const slice = m.producerOf(value, 'Slice');
  const buffer = slice ? m.constants.get(slice.input[0] ?? '') : undefined;
  const starts = slice ? m.constants.get(slice.input[1] ?? '')?.values : undefined;
  const steps = slice?.input[4] ? m.constants.get(slice.input[4])?.values : [1];
  if (buffer && isRange(buffer.values) && starts?.length === 1 && starts[0] === 0 && steps?.[0] === 1) return { kind: 'positions', table };
  const fill = m.producerOf(value, 'ConstantOfShape');
  const proto = fill?.attribute?.find((a) => a.name === 'value')?.t;
  const id = proto ? tensorValues(proto as TensorProto)[0] : fill ? 0 : undefined;
  const equal = stored?.values.every((v) => v === stored.values[0]) ? stored.values[0] : id;
  if (equal === undefined || !(equal >= 0 && equal < table.dims[0]!)) return undefined;
  return { kind: 'row', row: table.values.slice(equal * width, (equal + 1) * width) };
}

/**
 * Add of gathered table rows to a sequence: positions → `positionEmbedding` (a pending token type
 * row folded into its table); one row → kept pending on the sequence, or folded into the position
 * embedding just before. Returns false when neither input is table rows.
 */
export function mapTableAdd(m: GraphMapper, node: NodeProto): boolean {
  const at = [0, 1].find((i) => m.tables.has(node.input[i] ?? ''));
  if (at === undefined) return false;
  const rows = m.tables.get(node.input[at]!)!;
  const other = node.input[1 - at] ?? '';
  const sequence = m.find(other);
  if (sequence?.shape.length !== 2) throw m.unsupported(node, 'it adds embedding rows to something other than a sequence [tokens, width]');
  const [tokens, width] = sequence.shape as [number, number];
  if (rows.kind === 'row') return foldRow(m, node, sequence, other, rows.row);
  const [maxLength, tableWidth] = rows.table.dims as [number, number];
  if (tableWidth !== width || tokens > maxLength)
    throw m.unsupported(node, `its position table [${rows.table.dims}] does not cover ${tokens} tokens of width ${width}`);
  const table = new Float32Array(rows.table.values);
  if (sequence.rowBias) for (let p = 0; p < maxLength; p++) for (let d = 0; d < width; d++) table[p * width + d]! += sequence.rowBias[d]!;
  const layer = {
    type: 'positionEmbedding' as const,
    name: m.layerName(node, m.producerOf(node.input[at]!, 'Gather')?.input[0]),
    maxLength,
  };
  m.add(node, layer, [{ ...sequence, rowBias: undefined }], { embeddings: { shape: [maxLength, width], data: table } });
  return true;
}

/** A constant row added to every token: into the position embedding that made the sequence, else pending. */
function foldRow(m: GraphMapper, node: NodeProto, sequence: MappedValue, value: string, row: Float32Array): boolean {
  const width = sequence.shape[1]!;
  if (row.length !== width) throw m.unsupported(node, `it adds a row of ${row.length} values to tokens of width ${width}`);
  const producer = m.soleProducer(value);
  if (producer?.type === 'positionEmbedding') {
    const table = m.weights.get(`${producer.name}.embeddings`)!;
    for (let i = 0; i < table.data.length; i++) table.data[i]! += row[i % width]!;
    m.alias(node, sequence);
    return true;
  }
  const bias = new Float32Array(row);
  if (sequence.rowBias) for (let d = 0; d < width; d++) bias[d]! += sequence.rowBias[d]!;
  m.alias(node, { ...sequence, rowBias: bias });
  return true;
}
