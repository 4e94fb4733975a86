import { HeadstartError, type Activation, type LayerInput } from '@headstart/core';
import { LEAKY_RELU_SLOPE } from '../layers/activations.js';

/** One layer of a Keras/tfjs model config: `{ class_name, config }`. */
export interface KerasLayer {
  class_name: string;
  config: Record<string, unknown>;
  /** Functional models only: which layers feed this one. */
  inbound_nodes?: unknown | undefined;
}

/** A mapped layer and where its weights come from. */
export interface MappedLayer {
  layer: LayerInput;
  /** The Keras layer name its weights are stored under (`<kerasName>/kernel`). */
  kerasName: string;
  /** Batch norm without `center` has no beta (0); without `scale`, no gamma (1). */
  absent?: ('gamma' | 'beta')[] | undefined;
  /** The axis a batch norm, softmax or concatenate layer works over, checked against the input rank once shapes are known. */
  axis?: number | undefined;
}

/** Keras classes headstart has a layer for, for error messages. */
export const SUPPORTED_CLASSES = [
  'Dense',
  'Conv2D',
  'DepthwiseConv2D',
  'ZeroPadding2D',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'Flatten',
  'BatchNormalization',
  'Dropout',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'Softmax',
  'Add',
  'Concatenate',
  'InputLayer',
];

/** Keras activation names with a headstart equivalent (tfjs and Keras 2/3 spell them alike). */
const ACTIVATIONS: Record<string, Activation> = {
  linear: 'linear',
  relu: 'relu',
  relu6: 'relu6',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
  softmax: 'softmax',
  gelu: 'gelu',
};

/** Reads one Keras layer's config; errors name the file, the class and the layer. */
class LayerReader {
  constructor(
    private readonly file: string,
    readonly className: string,
    readonly name: string,
    private readonly config: Record<string, unknown>,
  ) {}

  fail(problem: string): never {
    throw new HeadstartError('NOT_SUPPORTED', `${this.file}: layer ${this.className} "${this.name}": ${problem}`);
  }

  value(key: string): unknown {
    return this.config[key];
  }

  positive(key: string): number {
    const v = this.config[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) this.fail(`${key} must be a positive integer, got ${JSON.stringify(v)}`);
    return v;
  }

  number(key: string, fallback: number): number {
    const v = this.config[key] ?? fallback;
    if (typeof v !== 'number') this.fail(`${key} must be a number, got ${JSON.stringify(v)}`);
    return v;
  }

  flag(key: string, fallback: boolean): boolean {
    const v = this.config[key] ?? fallback;
    if (typeof v !== 'boolean') this.fail(`${key} must be true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  /** `n` or `[h, w]` as `[h, w]`; `fallback` when absent or null. */
  pair(key: string, fallback?: [number, number]): [number, number] {
    const v = this.config[key] ?? fallback;
    const pair = typeof v === 'number' ? [v, v] : v;
    if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((n) => Number.isInteger(n) && n > 0)) {
      this.fail(`${key} must be a positive integer or a pair of them, got ${JSON.stringify(v)}`);
    }
    return [pair[0], pair[1]];
  }

  padding(): 'valid' | 'same' {
    const v = this.config.padding ?? 'valid';
    if (v !== 'valid' && v !== 'same') this.fail(`padding "${String(v)}" has no headstart equivalent (valid, same)`);
    return v;
  }

  /** headstart layers are channels-last; a channels-first model would need its data transposed. */
  channelsLast(): void {
    const v = this.config.data_format;
    if (v !== undefined && v !== null && v !== 'channels_last' && v !== 'channelsLast') {
      this.fail(`data_format ${String(v)}: only channels_last models can be imported`);
    }
  }

  activation(key = 'activation'): Activation {
    const v = this.config[key] ?? 'linear';
    const mapped = typeof v === 'string' ? ACTIVATIONS[v] : undefined;
    if (!mapped)
      this.fail(
        `activation ${JSON.stringify(v)} has no headstart equivalent (${Object.keys(ACTIVATIONS).join(', ')}, or a LeakyReLU layer with slope ${LEAKY_RELU_SLOPE})`,
      );
    return mapped;
  }
}

/** The shape of a layer's weight in the weights manifest (`<kerasName>/<param>`), if listed. */
export type WeightShapeOf = (kerasName: string, param: string) => number[] | undefined;

/**
 * Map one Keras layer to a headstart layer named `name` (the Keras name made a valid headstart name).
 * ZeroPadding2D has no layer of its own: the topology folds it into the window that follows.
 * @throws HeadstartError (NOT_SUPPORTED) naming the class and layer when it has no headstart equivalent,
 *   or uses an option headstart's layer lacks (dilation, channels-first, another leaky slope).
 */
export function mapKerasLayer(file: string, keras: KerasLayer, name: string, weightShape: WeightShapeOf): MappedLayer {
  const kerasName = String(keras.config.name ?? name);
  const r = new LayerReader(file, keras.class_name, kerasName, keras.config);
  const mapped = (layer: LayerInput, extra: Partial<MappedLayer> = {}): MappedLayer => ({ layer, kerasName, ...extra });
  switch (keras.class_name) {
    case 'Dense':
      return mapped({ type: 'dense', name, units: r.positive('units'), activation: r.activation(), useBias: r.flag('use_bias', true) });
    case 'Conv2D':
      r.channelsLast();
      if (r.pair('dilation_rate', [1, 1]).some((d) => d !== 1)) r.fail('dilated convolutions have no headstart equivalent');
      if (r.number('groups', 1) !== 1) r.fail('grouped convolutions have no headstart equivalent');
      return mapped({
        type: 'conv2d',
        name,
        filters: r.positive('filters'),
        kernelSize: compact(r.pair('kernel_size')),
        strides: compact(r.pair('strides', [1, 1])),
        padding: r.padding(),
        activation: r.activation(),
        useBias: r.flag('use_bias', true),
      });
    case 'DepthwiseConv2D':
      return mapped(depthwise(r, name, weightShape(kerasName, 'depthwise_kernel')));
    case 'Add':
      return mapped({ type: 'add', name });
    case 'Concatenate':
      return mapped({ type: 'concat', name }, { axis: axisOf(r) ?? -1 });
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      r.channelsLast();
      const poolSize = r.pair('pool_size', [2, 2]);
      const type = keras.class_name === 'MaxPooling2D' ? 'maxPool2d' : 'avgPool2d';
      return mapped({ type, name, poolSize: compact(poolSize), strides: compact(r.pair('strides', poolSize)), padding: r.padding() });
    }
    case 'GlobalAveragePooling2D':
      r.channelsLast();
      if (r.flag('keepdims', false)) r.fail('keepdims: true has no headstart equivalent');
      return mapped({ type: 'globalAvgPool2d', name });
    case 'Flatten':
      r.channelsLast();
      return mapped({ type: 'flatten', name });
    case 'BatchNormalization':
      return batchNorm(r, name, kerasName);
    case 'Dropout':
      if (r.value('noise_shape') != null) r.fail('noise_shape has no headstart equivalent');
      return mapped({ type: 'dropout', name, rate: r.number('rate', 0) });
    case 'Activation':
      return mapped({ type: 'activation', name, activation: r.activation() });
    case 'ReLU':
      return mapped({ type: 'activation', name, activation: reluActivation(r) });
    case 'LeakyReLU': {
      const slope = r.number(r.value('negative_slope') !== undefined ? 'negative_slope' : 'alpha', 0.3);
      if (!sameSlope(slope)) r.fail(`slope ${slope}: headstart's leakyRelu has slope ${LEAKY_RELU_SLOPE}`);
      return mapped({ type: 'activation', name, activation: 'leakyRelu' });
    }
    case 'Softmax':
      return mapped({ type: 'activation', name, activation: 'softmax' }, { axis: axisOf(r) ?? -1 });
    default:
      return r.fail(`layer class ${keras.class_name} cannot be mapped to a headstart layer; supported: ${SUPPORTED_CLASSES.join(', ')}`);
  }
}

/**
 * A DepthwiseConv2D is a convolution with one group per input channel; the channels come from its
 * kernel in the weights manifest, `[kh, kw, in, multiplier]`.
 */
function depthwise(r: LayerReader, name: string, kernelShape: number[] | undefined): LayerInput {
  r.channelsLast();
  if (r.pair('dilation_rate', [1, 1]).some((d) => d !== 1)) r.fail('dilated convolutions have no headstart equivalent');
  const multiplier = r.value('depth_multiplier') === undefined ? 1 : r.positive('depth_multiplier');
  if (kernelShape?.length !== 4) r.fail('its depthwise_kernel is missing from the weights manifest, so its input channels are unknown');
  const channels = kernelShape[2]!;
  return {
    type: 'conv2d',
    name,
    filters: channels * multiplier,
    groups: channels,
    kernelSize: compact(r.pair('kernel_size')),
    strides: compact(r.pair('strides', [1, 1])),
    padding: r.padding(),
    activation: r.activation(),
    useBias: r.flag('use_bias', true),
  };
}

function batchNorm(r: LayerReader, name: string, kerasName: string): MappedLayer {
  const absent = [...(r.flag('scale', true) ? [] : ['gamma' as const]), ...(r.flag('center', true) ? [] : ['beta' as const])];
  const axis = axisOf(r) ?? -1;
  return {
    layer: { type: 'batchNorm', name, momentum: r.number('momentum', 0.99), epsilon: r.number('epsilon', 1e-3) },
    kerasName,
    absent,
    axis,
  };
}

/** `[n, n]` as `n`, as a spec would say it. */
function compact(pair: [number, number]): number | [number, number] {
  return pair[0] === pair[1] ? pair[0] : pair;
}

/** `axis` as one number: Keras writes `-1`, `3` or `[3]`. */
function axisOf(r: LayerReader): number | undefined {
  const v = r.value('axis');
  const axis = Array.isArray(v) && v.length === 1 ? v[0] : v;
  if (axis === undefined || axis === null) return undefined;
  if (typeof axis !== 'number') return r.fail(`axis ${JSON.stringify(v)}: only a single axis can be mapped`);
  return axis;
}

/** A ReLU layer is relu, relu6 with `max_value` 6, or headstart's leakyRelu when its negative slope is exactly that. */
function reluActivation(r: LayerReader): Activation {
  const max = r.value('max_value') ?? r.value('maxValue');
  if (max !== undefined && max !== null && max !== 6) r.fail(`max_value ${String(max)} has no headstart equivalent (only 6: relu6)`);
  if (r.number('threshold', 0) !== 0) r.fail('a threshold other than 0 has no headstart equivalent');
  const slope = r.number('negative_slope', 0);
  if (max === 6 && slope !== 0) r.fail(`max_value 6 with negative_slope ${slope} has no headstart equivalent`);
  if (max === 6) return 'relu6';
  if (slope === 0) return 'relu';
  if (sameSlope(slope)) return 'leakyRelu';
  return r.fail(`negative_slope ${slope}: headstart's leakyRelu has slope ${LEAKY_RELU_SLOPE}`);
}

/** Slopes stored as float32 (0.0099999998) still count as headstart's 0.01. */
function sameSlope(slope: number): boolean {
  return Math.abs(slope - LEAKY_RELU_SLOPE) < 1e-7;
}
