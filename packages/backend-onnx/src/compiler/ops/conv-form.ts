import type { GraphBuilder } from '../graph-builder.js';

/** A convolution's forward value in another form than a Conv node, and the rules for its gradients. */
export interface ConvForm {
  y: string;
  inputGradient(b: GraphBuilder, dY: string): string;
  kernelGradient(b: GraphBuilder, dY: string): string;
}
