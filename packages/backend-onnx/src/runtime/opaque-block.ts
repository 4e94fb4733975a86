import { HeadstartError, sizeOf, type OnnxLayer, type TensorData } from '@headstart/core';
import type { InferenceSession } from 'onnxruntime-node';
import type { OrtModule } from './runtime.js';
import { baseSessionOptions, type SessionSettings } from './session.js';

/** Values (input or output, whichever is larger) per run of a block, to bound memory on big images. */
const VALUES_PER_RUN = 1 << 22;
/** Samples per run when they are small. */
const MAX_SAMPLES_PER_RUN = 4096;

/**
 * An opaque ONNX block (a layer of type `onnx`) running in an inference session of its own: the
 * ONNX model stored in the layer's `graph` parameter, executed as it was exported. Samples go in and
 * come out channels-last; an image sample (`[H, W, C]`) is handed to the graph as NCHW, and an NCHW
 * output is turned back into `[H, W, C]`. A graph exported with a fixed batch size runs in chunks of
 * exactly that size (the last one padded).
 */
export class OpaqueBlock {
  private constructor(
    private readonly ort: OrtModule,
    private readonly session: InferenceSession,
    readonly layer: OnnxLayer,
    private readonly fixedBatch: number | undefined,
  ) {}

  /**
   * Load the block's graph; `quiet` keeps onnxruntime from logging errors of runs expected to fail.
   * @throws HeadstartError (BAD_INPUT) when onnxruntime cannot load it.
   */
  static async create(
    settings: SessionSettings,
    layer: OnnxLayer,
    graph: TensorData,
    options: { quiet?: boolean | undefined } = {},
  ): Promise<OpaqueBlock> {
    const bytes = blockGraphBytes(layer, graph);
    let session: InferenceSession;
    try {
      session = await settings.ort.InferenceSession.create(bytes, {
        ...baseSessionOptions(settings.threads),
        ...(options.quiet ? { logSeverityLevel: 4 as const } : {}),
      });
    } catch (error) {
      throw new HeadstartError('BAD_INPUT', `layer "${layer.name}": onnxruntime cannot load its ONNX graph (${firstLine(error)})`);
    }
    if (session.inputNames.length !== 1 || session.outputNames.length !== 1) {
      void session.release();
      throw new HeadstartError(
        'BAD_INPUT',
        `layer "${layer.name}": its ONNX graph must have one input and one output, found ${session.inputNames.length} and ${session.outputNames.length}`,
      );
    }
    const batch = session.inputMetadata?.[0]?.isTensor ? session.inputMetadata[0].shape[0] : undefined;
    return new OpaqueBlock(settings.ort, session, layer, typeof batch === 'number' && batch > 0 ? batch : undefined);
  }

  /** The block's output for `size` channels-last samples, channels-last. */
  async run(x: Float32Array, size: number): Promise<Float32Array> {
    const perInput = sizeOf(this.layer.inputShape);
    const perOutput = sizeOf(this.layer.outputShape);
    const result = new Float32Array(size * perOutput);
    const chunk = this.fixedBatch ?? Math.max(1, Math.min(MAX_SAMPLES_PER_RUN, Math.floor(VALUES_PER_RUN / Math.max(perInput, perOutput))));
    for (let start = 0; start < size; start += chunk) {
      const count = Math.min(chunk, size - start);
      const rows = this.fixedBatch ?? count;
      const samples = new Float32Array(rows * perInput);
      samples.set(x.subarray(start * perInput, (start + count) * perInput));
      const out = await this.runOnce(samples, rows);
      result.set(out.subarray(0, count * perOutput), start * perOutput);
    }
    return result;
  }

  /** Release the session. Safe to call twice. */
  release(): void {
    void this.session.release().catch(() => undefined);
  }

  private async runOnce(samples: Float32Array, rows: number): Promise<Float32Array> {
    const { inputShape, outputShape } = this.layer;
    const input = inputShape.length === 3 ? toNchw(samples, rows, inputShape) : samples;
    const dims = inputShape.length === 3 ? [rows, inputShape[2]!, inputShape[0]!, inputShape[1]!] : [rows, ...inputShape];
    const feeds = { [this.session.inputNames[0]!]: new this.ort.Tensor('float32', input, dims) };
    const out = (await this.session.run(feeds))[this.session.outputNames[0]!]!;
    if (out.type !== 'float32' || out.size !== rows * sizeOf(outputShape)) {
      throw new HeadstartError(
        'BAD_INPUT',
        `layer "${this.layer.name}": its ONNX graph gave a ${out.type} output [${out.dims}] for ${rows} samples; the layer declares outputShape [${outputShape}]`,
      );
    }
    const data = out.data as Float32Array;
    return outputShape.length === 3 ? toNhwc(data, rows, outputShape) : data;
  }
}

/**
 * The block's ONNX model: the layer's `graph` parameter, bytes stored as float32 values 0–255.
 * @throws HeadstartError (BAD_INPUT) when the parameter does not hold `graphBytes` byte values.
 */
export function blockGraphBytes(layer: OnnxLayer, graph: TensorData): Uint8Array {
  if (graph.data.length !== layer.graphBytes) {
    throw new HeadstartError(
      'BAD_INPUT',
      `parameter "${layer.name}.graph": ${graph.data.length} bytes, but the layer declares graphBytes ${layer.graphBytes}`,
    );
  }
  const bytes = new Uint8Array(graph.data.length);
  for (let i = 0; i < bytes.length; i++) {
    const v = graph.data[i]!;
    if (!(v >= 0 && v <= 255 && Number.isInteger(v)))
      throw new HeadstartError(
        'BAD_INPUT',
        `parameter "${layer.name}.graph": value ${v} at ${i} is not a byte; it must hold the block's ONNX model`,
      );
    bytes[i] = v;
  }
  return bytes;
}

/** `n` samples `[H, W, C]` as `[n, C, H, W]`. */
function toNchw(x: Float32Array, n: number, [h, w, c]: number[]): Float32Array {
  const out = new Float32Array(x.length);
  const plane = h! * w!;
  for (let s = 0; s < n; s++) {
    const base = s * plane * c!;
    for (let p = 0; p < plane; p++) for (let k = 0; k < c!; k++) out[base + k * plane + p] = x[base + p * c! + k]!;
  }
  return out;
}

/** `n` samples `[C, H, W]` as `[n, H, W, C]`, given the channels-last sample shape. */
function toNhwc(x: Float32Array, n: number, [h, w, c]: number[]): Float32Array {
  const out = new Float32Array(x.length);
  const plane = h! * w!;
  for (let s = 0; s < n; s++) {
    const base = s * plane * c!;
    for (let p = 0; p < plane; p++) for (let k = 0; k < c!; k++) out[base + p * c! + k] = x[base + k * plane + p]!;
  }
  return out;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
