import { HeadstartError } from '@headstart/core';
import { DataType, type GraphProto } from '../onnx/onnx-proto.js';

/** A token input of an encoder graph: ids or an attention mask `[N, T]`. */
export interface TokenInput {
  name: string;
  /** T, the tokens a sequence. */
  tokens: number;
}

/**
 * The data inputs of a graph whose inputs are all integer `[N, T]` (token ids and attention mask,
 * int64 as `torch.onnx.export` writes them: headstart feeds them as int32), or undefined for any
 * other graph (one float input: an image or feature model).
 * @throws HeadstartError (NOT_SUPPORTED) for an integer input without a fixed sequence length.
 */
export function encoderInputs(file: string, graph: GraphProto): TokenInput[] | undefined {
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name ?? ''));
  const inputs = (graph.input ?? []).filter((i) => !initializers.has(i.name));
  const integer = (type: number | undefined): boolean => type === DataType.INT64 || type === DataType.INT32;
  const dimsOf = (input: (typeof inputs)[number]): number[] =>
    (input.type?.tensorType?.shape?.dim ?? []).map((d) => Number(d.dimValue ?? 0));
  if (inputs.length === 0 || !inputs.every((i) => integer(i.type?.tensorType?.elemType) && dimsOf(i).length === 2)) return undefined;
  return inputs.map((input) => {
    const dims = dimsOf(input);
    if (!(dims[1]! > 0))
      throw new HeadstartError(
        'NOT_SUPPORTED',
        `${file}: input "${input.name}" has shape [${dims.map((d) => (d > 0 ? d : '?'))}]; token inputs need [batch, tokens] with a fixed number of tokens (export without a dynamic sequence axis)`,
      );
    return { name: input.name, tokens: dims[1]! };
  });
}
