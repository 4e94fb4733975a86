import { SpecError } from '../../errors.js';
import type { NamedShape } from './layer-type.js';

/** `[T, D]`: the tokens and width of a sequence, or a SpecError naming the layer. */
export function expectSequence(type: string, input: number[], where: string): [number, number] {
  if (input.length !== 2)
    throw new SpecError(`${where}: type: ${type} needs a sequence [tokens, width] but receives [${input}]; put an embedding before it`);
  return [input[0]!, input[1]!];
}

/** A padding mask must be `[T]`, one 0/1 per token of the sequence it masks. */
export function expectMask(type: string, tokens: number, mask: NamedShape | undefined, where: string): void {
  if (mask && (mask.shape.length !== 1 || mask.shape[0] !== tokens)) {
    throw new SpecError(
      `${where}: inputs: ${type} takes a padding mask [${tokens}] (one 0/1 per token) as its second input, but "${mask.name}" gives [${mask.shape}]`,
    );
  }
}
