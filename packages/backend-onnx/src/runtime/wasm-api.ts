/** A WebAssembly memory: its bytes, one ArrayBuffer that never grows here. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}

/**
 * The few WebAssembly APIs the optimizer kernel uses. Node has them all; this package compiles
 * without lib.dom (which declares them), so they are typed here and read from `globalThis`.
 */
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
}

/** The runtime's WebAssembly, if it has one. */
export const wasm: WasmApi | undefined = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
