/**
 * Where a backend computes, as `--device` and a pipeline's `device:` name it: `cpu` (every backend's
 * default), `cuda` or `cuda:N` (an NVIDIA GPU), `dml` or `dml:N` (DirectML, Windows), `coreml` (macOS).
 */
export interface Device {
  kind: DeviceKind;
  /** Which device of its kind (`cuda:1`); absent: the first. */
  index?: number | undefined;
}

/** The kinds of device {@link parseDevice} accepts. */
export const DEVICE_KINDS = ['cpu', 'cuda', 'dml', 'coreml'] as const;

/** One of {@link DEVICE_KINDS}. */
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** Kinds that come in numbered units (`cuda:1`); the others are one device. */
const INDEXED: ReadonlySet<DeviceKind> = new Set(['cuda', 'dml']);

/** The CPU: what every backend computes on unless asked otherwise. */
export const CPU: Device = { kind: 'cpu' };

/** What {@link parseDevice} accepts, for messages. */
export const DEVICE_SPELLINGS = 'cpu, cuda, cuda:N, dml, dml:N or coreml';

/**
 * The device `text` names (`cuda:1`, case-insensitive), or undefined when it names none, so that
 * callers word the error for their flag or file field.
 */
export function parseDevice(text: string): Device | undefined {
  const match = /^([a-z]+)(?::(\d+))?$/.exec(text.trim().toLowerCase());
  if (!match) return undefined;
  const kind = DEVICE_KINDS.find((k) => k === match[1]);
  if (!kind) return undefined;
  if (match[2] === undefined) return { kind };
  const index = Number(match[2]);
  if (!INDEXED.has(kind) || !Number.isSafeInteger(index)) return undefined;
  return { kind, index };
}

/** `cuda:1`, `cpu`: the device as {@link parseDevice} reads it back. */
export function deviceName(device: Device): string {
  return device.index === undefined ? device.kind : `${device.kind}:${device.index}`;
}
