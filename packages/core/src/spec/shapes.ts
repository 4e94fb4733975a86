import { SpecError } from '../errors.js';
import { sameShape, sizeOf } from '../tensors.js';
import { asPair, type Layer } from './layers.js';
import type { ModelSpec } from './model-spec.js';

/**
 * What a parameter is for. `statistic`s (batch-norm moving mean and variance) are part of the
 * weights but are never updated by gradient; they follow the layer's batch-norm mode instead.
 * `graph` is an opaque block's ONNX model as bytes (dtype `uint8`): weights a strategy may ask to
 * train, but no backend can (there is no gradient through it).
 */
export type ParameterRole = 'kernel' | 'bias' | 'scale' | 'shift' | 'statistic' | 'graph';

/** One parameter of a spec, with its canonical checkpoint layout. */
export interface ParameterShape {
  /** `<layer>.<param>`, e.g. `enc1.kernel`. */
  name: string;
  layer: string;
  shape: number[];
  role: ParameterRole;
  /**
   * `uint8` for bytes (an opaque block's `graph`): in NamedTensors its values are 0–255 in a
   * Float32Array like every other tensor; checkpoints store it as safetensors `U8`. Default float32.
   */
  dtype?: 'uint8';
}

/** The shapes flowing through one layer, and the parameters it owns. */
export interface LayerShapes {
  layer: Layer;
  index: number;
  inputShape: number[];
  outputShape: number[];
  parameters: ParameterShape[];
}

/**
 * Walk the spec from its input shape, computing each layer's output shape and parameters.
 * @throws SpecError naming the layer when a layer does not fit the shape it receives.
 */
export function inferShapes(spec: ModelSpec): LayerShapes[] {
  let shape = [...spec.inputShape];
  return spec.layers.map((layer, index) => {
    const where = `layers[${index}] "${layer.name}"`;
    // Nothing below an opaque block could be trained through it, so it can only start a model.
    if (layer.type === 'onnx' && index > 0) throw new SpecError(`${where}: type: an opaque ONNX block can only be the first layer`);
    const result = layerShapes(layer, shape, where);
    const out = { layer, index, inputShape: shape, ...result };
    shape = result.outputShape;
    return out;
  });
}

/** Every parameter of the spec, in layer order. */
export function parameterShapes(spec: ModelSpec): ParameterShape[] {
  return inferShapes(spec).flatMap((l) => l.parameters);
}

/** The shape of one output sample. */
export function outputShape(spec: ModelSpec): number[] {
  const all = inferShapes(spec);
  return all[all.length - 1]!.outputShape;
}

function layerShapes(layer: Layer, input: number[], where: string): { outputShape: number[]; parameters: ParameterShape[] } {
  const param = (p: string, shape: number[], role: ParameterRole): ParameterShape => ({
    name: `${layer.name}.${p}`,
    layer: layer.name,
    shape,
    role,
  });
  switch (layer.type) {
    case 'dense': {
      if (input.length !== 1) {
        throw new SpecError(`${where}: type: dense needs flat input but receives [${input}]; add a flatten layer before it`);
      }
      const params = [param('kernel', [input[0]!, layer.units], 'kernel')];
      if (layer.useBias) params.push(param('bias', [layer.units], 'bias'));
      return { outputShape: [layer.units], parameters: params };
    }
    case 'conv2d': {
      const [h, w, c] = expectImage(input, where, 'conv2d');
      const [kh, kw] = asPair(layer.kernelSize);
      const [sh, sw] = asPair(layer.strides);
      const out = [
        windowOut(h, kh, sh, layer.padding, where, 'kernelSize'),
        windowOut(w, kw, sw, layer.padding, where, 'kernelSize'),
        layer.filters,
      ];
      const params = [param('kernel', [kh, kw, c, layer.filters], 'kernel')];
      if (layer.useBias) params.push(param('bias', [layer.filters], 'bias'));
      return { outputShape: out, parameters: params };
    }
    case 'maxPool2d':
    case 'avgPool2d': {
      const [h, w, c] = expectImage(input, where, layer.type);
      const [ph, pw] = asPair(layer.poolSize);
      const [sh, sw] = asPair(layer.strides ?? layer.poolSize);
      return {
        outputShape: [windowOut(h, ph, sh, layer.padding, where, 'poolSize'), windowOut(w, pw, sw, layer.padding, where, 'poolSize'), c],
        parameters: [],
      };
    }
    case 'globalAvgPool2d': {
      const [, , c] = expectImage(input, where, layer.type);
      return { outputShape: [c], parameters: [] };
    }
    case 'flatten':
      return { outputShape: [sizeOf(input)], parameters: [] };
    case 'batchNorm': {
      const channels = input[input.length - 1]!;
      return {
        outputShape: input,
        parameters: [
          param('gamma', [channels], 'scale'),
          param('beta', [channels], 'shift'),
          param('movingMean', [channels], 'statistic'),
          param('movingVariance', [channels], 'statistic'),
        ],
      };
    }
    case 'dropout':
    case 'activation':
      return { outputShape: input, parameters: [] };
    case 'onnx': {
      if (!sameShape(input, layer.inputShape)) {
        throw new SpecError(`${where}: inputShape: the ONNX block was cut for input [${layer.inputShape}] but receives [${input}]`);
      }
      return { outputShape: [...layer.outputShape], parameters: [{ ...param('graph', [layer.graphBytes], 'graph'), dtype: 'uint8' }] };
    }
  }
}

function expectImage(input: number[], where: string, type: string): [number, number, number] {
  if (input.length !== 3) {
    throw new SpecError(
      `${where}: type: ${type} needs [height, width, channels] input but receives [${input}]; set inputShape like [8, 8, 1]`,
    );
  }
  return [input[0]!, input[1]!, input[2]!];
}

function windowOut(size: number, window: number, stride: number, padding: 'valid' | 'same', where: string, field: string): number {
  if (padding === 'same') return Math.ceil(size / stride);
  if (window > size) throw new SpecError(`${where}: ${field}: window ${window} is larger than the input size ${size}`);
  return Math.floor((size - window) / stride) + 1;
}
