/**
 * Where a run keeps its resumable checkpoint while it trains: beside the output, so a good final
 * checkpoint at `out` is never replaced by a partial one. `m.safetensors` → `m.resume.safetensors`.
 */
export function resumePath(out: string): string {
  return out.endsWith('.safetensors') ? `${out.slice(0, -'.safetensors'.length)}.resume.safetensors` : `${out}.resume.safetensors`;
}
