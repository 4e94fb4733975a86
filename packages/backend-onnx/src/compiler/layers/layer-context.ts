import type { KernelLayout } from '../kernel-layout.js';
import type { EmitContext } from '../tape.js';

/**
 * A value flowing between layers. Images travel as NCHW inside our graphs (what ONNX Conv and pooling
 * expect); the model's inputs and outputs stay channels-last, our canonical layout.
 */
export interface Flow {
  value: string;
  layout: 'flat' | 'nchw';
}

/** Batch statistics a training-mode batch-norm layer produced, for the moving averages. */
export interface BatchStatistics {
  layer: string;
  mean: string;
  variance: string;
}

/** What a layer's forward emitter may use. */
export interface LayerContext extends EmitContext {
  /** The graph value holding a parameter (`<layer>.<param>`). */
  param(name: string): string;
  /** The layout conv2d kernels are declared in (default canonical). */
  kernelLayout?: KernelLayout | undefined;
  /** Training pass (dropout on, batch norm on batch statistics unless frozen). */
  training: boolean;
  /** Batch-norm layers that stay in inference mode while training. */
  frozenBatchNorm: ReadonlySet<string>;
  /** The dropout mask input of a layer (training only), channels-last like the layer's input. */
  dropoutMask(layer: string): string | undefined;
  /** Receives training-mode batch statistics. */
  onStatistics(statistics: BatchStatistics): void;
}
