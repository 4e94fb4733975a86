import { z } from 'zod';
import { SpecError } from '../../errors.js';
import { sameShape } from '../../tensors.js';
import { parameter } from '../parameter-shape.js';
import { nodeFields, positiveInt } from './fields.js';
import type { SingleInputLayerType } from './layer-type.js';

/**
 * An opaque, forward-only block: the part of an imported ONNX model that has no headstart layers
 * (an op no layer computes, or branches and merges). Its one parameter, `<name>.graph` (uint8,
 * `[graphBytes]`), holds a self-contained ONNX model of that part, so a checkpoint stays portable.
 * Backends that can run ONNX run it as it is; it has no gradient, so it can only be the first layer
 * (a frozen base), and asking to train it fails naming {@link OnnxLayer.unsupported}.
 * The block maps a channels-last `inputShape` to a channels-last `outputShape`: a backend hands the
 * ONNX graph image samples (`[H, W, C]`) as NCHW and turns an NCHW image output back to `[H, W, C]`.
 */
export const onnxLayerSchema = z.strictObject({
  type: z.literal('onnx'),
  ...nodeFields,
  /** Channels-last shape of one input sample; the spec's input shape must equal it. */
  inputShape: z.array(positiveInt).min(1),
  /** Channels-last shape of one output sample (what shape inference passes on). */
  outputShape: z.array(positiveInt).min(1),
  /** Size in bytes of the ONNX model held in `<name>.graph`. */
  graphBytes: positiveInt,
  /** The node that made the block opaque, named when training is asked of it. */
  unsupported: z.strictObject({
    /** ONNX op type, e.g. `Erf`. */
    op: z.string(),
    /** Node name in the original model (its first output when unnamed). */
    node: z.string(),
    /** Why no headstart layer computes it. */
    reason: z.string().optional(),
  }),
});

/** A validated `onnx` layer: see {@link onnxLayerSchema}. */
export type OnnxLayer = z.infer<typeof onnxLayerSchema>;

/** `onnx`, an opaque block that only an import creates: see {@link onnxLayerSchema}. */
export const onnx: SingleInputLayerType<typeof onnxLayerSchema> = {
  arity: 'one',
  schema: onnxLayerSchema,
  importOnly: true,
  // Nothing below an opaque block could be trained through it, so it can only start a model.
  onlyFirst: 'an opaque ONNX block can only be the first layer',
  shapes(layer, input, where) {
    if (!sameShape(input, layer.inputShape)) {
      throw new SpecError(`${where}: inputShape: the ONNX block was cut for input [${layer.inputShape}] but receives [${input}]`);
    }
    return {
      outputShape: [...layer.outputShape],
      parameters: [{ ...parameter(layer, 'graph', [layer.graphBytes], 'graph'), dtype: 'uint8' }],
    };
  },
};
