/**
 * Adam's update of one flat buffer in a single pass, as a WebAssembly SIMD kernel. The train-step graph
 * spends 12 element-wise ONNX nodes on it, each a pass over the whole buffer (onnxruntime-node's CPU
 * build has no fused optimizer kernel), and two more outputs (m, v) that onnxruntime-node copies into
 * fresh buffers after every run; for a small model's single step those cost as much as its matrix
 * products. Each lane does the graph's float32 operations in the graph's order (WebAssembly's f32x4
 * arithmetic and onnxruntime's are both correctly rounded IEEE), so the result is bit-identical.
 *
 * The module is assembled here (a few hundred bytes) rather than shipped as a binary: no build step,
 * nothing to fetch, and the instructions stay readable next to the graph they mirror.
 */

import { wasm, type WasmMemory } from './wasm-api.js';

/** How the update treats weight decay, as the graph's `OptimizerEmitter.adam` does. */
export type AdamVariant = 'plain' | 'l2' | 'decoupled';

/** Per-call scalars, each already a float32 value computed exactly as the graph computes it. */
export interface AdamScalars {
  /** `weightDecay` as a float32 constant (`l2`: `g + w·wd`). */
  weightDecay: number;
  /** `1 − lr·wd` (`decoupled`: `w·(1 − lr·wd)` before the step). */
  decay: number;
  beta1: number;
  /** `1 − β₁`, rounded to float32 from the float64 difference, as `GraphBuilder.scalar` stores it. */
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  /** `ε·√(1 − β₂ᵗ)` */
  epsilon: number;
  /** `lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ)` */
  stepSize: number;
}

/** Byte offsets into the kernel's memory of one flat buffer's parameters, gradient and slots. */
export interface AdamBuffers {
  params: number;
  gradient: number;
  m: number;
  v: number;
  /** Bytes per buffer, a multiple of 16 (lanes past the buffer's end are scratch). */
  bytes: number;
}

type Kernel = (p: number, g: number, m: number, v: number, bytes: number, ...scalars: number[]) => void;

/** Bytes of one buffer of `floats` floats in the kernel's memory: whole 16-byte vectors. */
export function kernelBytes(floats: number): number {
  return Math.ceil(floats / 4) * 16;
}

/** The compiled module, shared by every kernel of the process (each trainer instantiates it over its own memory). */
let compiled: object | undefined;

/** The kernel instantiated over `memory`: one call updates one flat buffer in place. */
export class AdamKernel {
  private readonly kernels: Record<AdamVariant, Kernel>;

  /** @throws Error when the runtime has no WebAssembly (FusedAdam checks first). */
  constructor(memory: WasmMemory) {
    if (!wasm) throw new Error('AdamKernel: this runtime has no WebAssembly');
    compiled ??= new wasm.Module(adamModule());
    const exports = new wasm.Instance(compiled, { env: { memory } }).exports;
    this.kernels = { plain: exports.plain as Kernel, l2: exports.l2 as Kernel, decoupled: exports.decoupled as Kernel };
  }

  /** `m`, `v` and the parameters updated in place from the gradient. */
  update(variant: AdamVariant, at: AdamBuffers, s: AdamScalars): void {
    this.kernels[variant](
      at.params,
      at.gradient,
      at.m,
      at.v,
      at.bytes,
      s.weightDecay,
      s.decay,
      s.beta1,
      s.oneMinusBeta1,
      s.beta2,
      s.oneMinusBeta2,
      s.epsilon,
      s.stepSize,
    );
  }
}

// ---- the module's bytes ----

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;
/** Parameters: p, g, m, v (byte offsets), bytes, then the eight scalars in AdamScalars' order. */
const [P, G, M, V, BYTES] = [0, 1, 2, 3, 4];
const FIRST_SCALAR = 5;
const SCALARS = 8;
/** Locals after the parameters: the loop's offset, g, m′ and v′ of the current lanes, each scalar splatted. */
const [I, GV, MV, VV] = [13, 14, 15, 16];
const splatted = (scalar: number): number => 17 + scalar;
const [WD, DECAY, B1, C1, B2, C2, EPS, STEP] = [0, 1, 2, 3, 4, 5, 6, 7];

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}
const name = (s: string): number[] => [...leb(s.length), ...new TextEncoder().encode(s)];
const vec = (items: number[][]): number[] => [...leb(items.length), ...items.flat()];
const section = (id: number, bytes: number[]): number[] => [id, ...leb(bytes.length), ...bytes];
const get = (local: number): number[] => [0x20, ...leb(local)];
const set = (local: number): number[] => [0x21, ...leb(local)];
const tee = (local: number): number[] => [0x22, ...leb(local)];
const simd = (op: number): number[] => [0xfd, ...leb(op)];
/** v128.load / v128.store, 16-byte aligned, no offset. */
const LOAD = [...simd(0x00), 4, 0];
const STORE = [...simd(0x0b), 4, 0];
const SPLAT = simd(0x13);
const SQRT = simd(0xe3);
const ADD = simd(0xe4);
const SUB = simd(0xe5);
const MUL = simd(0xe6);
const DIV = simd(0xe7);
/** The address of the current lanes of the buffer at parameter `base`. */
const at = (base: number): number[] => [...get(base), ...get(I), 0x6a /* i32.add */];
const scalar = (s: number): number[] => get(splatted(s));

/** One variant's function body: for every 4 lanes, the graph's Adam in the graph's order. */
function body(variant: AdamVariant): number[] {
  const code: number[] = [];
  for (let s = 0; s < SCALARS; s++) code.push(...get(FIRST_SCALAR + s), ...SPLAT, ...set(splatted(s)));
  // block; loop; if i >= bytes break
  code.push(0x02, 0x40, 0x03, 0x40, ...get(I), ...get(BYTES), 0x4f /* i32.ge_u */, 0x0d, 1);
  // g = grad (+ w·wd)
  code.push(...at(G), ...LOAD);
  if (variant === 'l2') code.push(...at(P), ...LOAD, ...scalar(WD), ...MUL, ...ADD);
  code.push(...set(GV));
  // m′ = m·β₁ + g·(1−β₁)
  code.push(...at(M), ...at(M), ...LOAD, ...scalar(B1), ...MUL, ...get(GV), ...scalar(C1), ...MUL, ...ADD, ...tee(MV), ...STORE);
  // v′ = v·β₂ + (g·(1−β₂))·g
  code.push(...at(V), ...at(V), ...LOAD, ...scalar(B2), ...MUL, ...get(GV), ...scalar(C2), ...MUL, ...get(GV), ...MUL, ...ADD);
  code.push(...tee(VV), ...STORE);
  // w′ = base − (m′/(√v′ + ε̂))·step, base = w or w·(1 − lr·wd)
  code.push(...at(P), ...at(P), ...LOAD);
  if (variant === 'decoupled') code.push(...scalar(DECAY), ...MUL);
  code.push(...get(MV), ...get(VV), ...SQRT, ...scalar(EPS), ...ADD, ...DIV, ...scalar(STEP), ...MUL, ...SUB, ...STORE);
  // i += 16; continue; end loop; end block; end function
  code.push(...get(I), 0x41, 16, 0x6a, ...set(I), 0x0c, 0, 0x0b, 0x0b, 0x0b);
  const locals = vec([
    [1, I32],
    [3 + SCALARS, V128],
  ]);
  return [...leb(locals.length + code.length), ...locals, ...code];
}

const VARIANTS: AdamVariant[] = ['plain', 'l2', 'decoupled'];

/** The module: imports `env.memory`, exports one function per variant. */
function adamModule(): Uint8Array {
  const params = [I32, I32, I32, I32, I32, ...Array<number>(SCALARS).fill(F32)];
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0],
    ...section(1, vec([[0x60, ...vec(params.map((t) => [t])), 0]])),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]])),
    ...section(3, vec(VARIANTS.map(() => [0]))),
    ...section(7, vec(VARIANTS.map((v, i) => [...name(v), 0x00, i]))),
    ...section(10, vec(VARIANTS.map(body))),
  ]);
}
