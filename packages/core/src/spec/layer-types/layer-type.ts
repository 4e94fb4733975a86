import type { z } from 'zod';
import type { ParameterShape } from '../parameter-shape.js';

/** What a layer type computes from the shapes it receives: its output shape and its parameters. */
export interface LayerTypeShapes {
  outputShape: number[];
  /** In checkpoint order: parameter names and order are part of every checkpoint. */
  parameters: ParameterShape[];
}

interface LayerTypeBase<S extends z.ZodObject> {
  /** The layer's fields (`type`, `name`, `inputs` and its own), strict: unknown fields are refused. */
  readonly schema: S;
  /**
   * Set when the layer can only be the first one, taking the model input (an opaque block: nothing
   * could be trained through it): the message when it is not, e.g. `an opaque ONNX block can only be
   * the first layer`. Default: it can be anywhere.
   */
  readonly onlyFirst?: string | undefined;
  /** Only an import creates it: not offered among the types a spec file can use. */
  readonly importOnly?: boolean | undefined;
  /**
   * Set when its (first) input must be integer token ids (an `int32` model input): `embedding`.
   * Every other layer takes float values.
   */
  readonly takesIds?: boolean | undefined;
}

/** The output shape of a node (or the model input), by the name `inputs` uses for it. */
export interface NamedShape {
  name: string;
  shape: number[];
}

/** A layer type that takes one input. */
export interface SingleInputLayerType<S extends z.ZodObject = z.ZodObject> extends LayerTypeBase<S> {
  readonly arity: 'one';
  /** @throws SpecError naming `where` (`layers[2] "conv1"`) and the field when the layer does not fit `input`. */
  shapes(layer: z.infer<S>, input: number[], where: string): LayerTypeShapes;
}

/** A merge: a layer type that takes two or more inputs (`add`, `concat`). */
export interface MergeLayerType<S extends z.ZodObject = z.ZodObject> extends LayerTypeBase<S> {
  readonly arity: 'merge';
  /** @throws SpecError naming `where` and the field when the inputs do not fit together. */
  shapes(layer: z.infer<S>, inputs: NamedShape[], where: string): LayerTypeShapes;
}

/**
 * A layer type that takes a value and, optionally, a mask over its first axis (a sequence's padding
 * mask: 1 for a token, 0 for padding), as its second input: `attention`, `sequencePool`.
 */
export interface MaskedLayerType<S extends z.ZodObject = z.ZodObject> extends LayerTypeBase<S> {
  readonly arity: 'masked';
  /** @throws SpecError naming `where` and the field when the layer does not fit `input` or `mask`. */
  shapes(layer: z.infer<S>, input: number[], mask: NamedShape | undefined, where: string): LayerTypeShapes;
}

/**
 * One layer type, in one place: its schema and its shape rule (output shape and parameters). The
 * table of all of them is `layer-types/index.ts`; CONTRIBUTING.md lists what else a new type needs.
 */
export type LayerTypeDefinition<S extends z.ZodObject = z.ZodObject> = SingleInputLayerType<S> | MergeLayerType<S> | MaskedLayerType<S>;

/** The `type` tags a layer type's schema accepts (one, or several for an enum like pooling). */
export function typeTags(definition: { schema: z.ZodObject }): string[] {
  const type = definition.schema.shape.type as unknown as { options?: readonly string[] | undefined; value?: string | undefined };
  return type.options ? [...type.options] : [type.value!];
}
