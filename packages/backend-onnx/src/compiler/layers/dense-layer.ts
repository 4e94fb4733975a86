import type { DenseLayer } from '@headstart/core';
import type { Dim } from '../graph-builder.js';
import { activate } from '../ops/activations.js';
import { gemm } from '../ops/gemm.js';
import { reshape } from '../ops/sequence.js';
import type { EmitContext } from '../tape.js';
import type { Flow, LayerContext } from './layer-context.js';

/** `activation(x·kernel + bias)` with the canonical `[in, out]` kernel used as is; a sequence `[N, T, in]` token by token. */
export function denseLayer(ctx: LayerContext, layer: DenseLayer, x: Flow): Flow {
  const bias = layer.useBias ? ctx.param(`${layer.name}.bias`) : undefined;
  const y = affine(ctx, x.value, ctx.param(`${layer.name}.kernel`), bias);
  return { value: activate(ctx, layer.activation, y), layout: 'flat' };
}

/** `x·kernel + bias` on the last axis of `[N, in]` or `[N, T, in]` (rows flattened into one Gemm and back). */
export function affine(ctx: EmitContext, x: string, kernel: string, bias: string | undefined): string {
  const shape = ctx.b.shapeOf(x);
  if (shape.length === 2) return gemm(ctx, x, kernel, bias);
  const units = ctx.b.shapeOf(kernel)[1]!;
  const rows = gemm(ctx, reshape(ctx, x, ['N', shape.at(-1)!]), kernel, bias);
  return reshape(ctx, rows, [...shape.slice(0, -1), units] as Dim[]);
}
