import {
  HeadstartError,
  parameterShapes,
  sameShape,
  validateSpec,
  writeFileSafely,
  type Model,
  type ModelFormat,
  type ModelSpec,
  type NamedTensors,
} from '@headstart/core';

/** The `format` field that marks a plainjs-json file, and what its sniff looks for. */
const MARKER = 'headstart-plainjs';

/** The only version of the layout so far. */
const VERSION = 1;

/**
 * plainjs's own model format, `plainjs-json`: one JSON file, `{ "format": "headstart-plainjs",
 * "version": 1, "spec": ModelSpec, "weights": { name: { "shape": [...], "float32": base64 } } }`,
 * weights as the little-endian bytes of their float32 values, so a round trip is bit-identical
 * (negative zeros included, which JSON numbers would lose).
 * It shows how a third-party backend adds a format: `headstart export --format plainjs-json`,
 * `headstart import m.plain.json` and `train --from m.plain.json` find plainjs by this declaration.
 */
export const PLAIN_JSON_FORMAT: ModelFormat = {
  name: 'plainjs-json',
  extensions: ['.plain.json'],
  import: true,
  export: true,
  sniff: (head) => /^\s*\{\s*"format"\s*:\s*"headstart-plainjs"/.test(new TextDecoder().decode(head)),
};

/** The file's JSON layout. */
interface PlainJsonFile {
  format: typeof MARKER;
  version: number;
  spec: unknown;
  weights: Record<string, { shape: number[]; float32: string }>;
}

/**
 * Write `model` as a plainjs-json file (whole or not at all: core's `writeFileSafely`).
 * @throws HeadstartError (USAGE) for another format; FileWriteError naming the file when it cannot be written.
 */
export async function exportPlainJson(model: Model, format: string, file: string): Promise<void> {
  if (format !== PLAIN_JSON_FORMAT.name)
    throw new HeadstartError('USAGE', `the plainjs backend exports format "${PLAIN_JSON_FORMAT.name}", not "${format}"`);
  const weights: PlainJsonFile['weights'] = {};
  for (const [name, tensor] of await model.getWeights()) weights[name] = { shape: [...tensor.shape], float32: toBase64(tensor.data) };
  const json: PlainJsonFile = { format: MARKER, version: VERSION, spec: model.spec, weights };
  await writeFileSafely(file, `${JSON.stringify(json)}\n`);
}

/**
 * Read a plainjs-json file as spec and weights.
 * @throws HeadstartError (BAD_INPUT) naming the file and the field that is missing or wrong.
 */
export async function importPlainJson(file: string): Promise<{ spec: ModelSpec; weights: NamedTensors }> {
  // Loaded here, not at the top: the backend's other code reads no Node built-in, so it runs where there are none.
  const { readFile } = await import('node:fs/promises');
  const bad = (what: string): HeadstartError =>
    new HeadstartError(
      'BAD_INPUT',
      `${file}: ${what}; expected a ${PLAIN_JSON_FORMAT.name} model (headstart export --format ${PLAIN_JSON_FORMAT.name})`,
    );
  let json: Partial<PlainJsonFile>;
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as Partial<PlainJsonFile>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code)
      throw new HeadstartError('BAD_INPUT', `${file}: ${(error as Error).message}`, { cause: error });
    throw bad(`not JSON (${(error as Error).message})`);
  }
  if (json?.format !== MARKER) throw bad(`"format" is not "${MARKER}"`);
  if (json.version !== VERSION) throw bad(`"version" is ${JSON.stringify(json.version)}, this plainjs reads ${VERSION}`);
  const spec = validateSpec(json.spec, `${file}: spec`);
  const weights: NamedTensors = new Map();
  // Every parameter of the spec, with its shape: a missing one would otherwise get fresh random weights.
  for (const { name, shape } of parameterShapes(spec)) {
    const entry = json.weights?.[name];
    if (!entry || !Array.isArray(entry.shape) || typeof entry.float32 !== 'string')
      throw bad(`weights."${name}" needs a "shape" array and a "float32" base64 string`);
    if (!sameShape(entry.shape, shape)) throw bad(`weights."${name}" has shape [${entry.shape}], the spec gives it [${shape}]`);
    const data = fromBase64(entry.float32);
    if (!data || data.length !== shape.reduce((a, b) => a * b, 1))
      throw bad(`weights."${name}" does not hold the ${shape.join('×')} float32 values its shape says`);
    weights.set(name, { shape: [...shape], data });
  }
  return { spec, weights };
}

/** The little-endian bytes of `values`, base64. */
function toBase64(values: Float32Array): string {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => view.setFloat32(i * 4, value, true));
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/** The float32 values of little-endian base64 bytes; undefined when it is not base64 of whole values. */
function fromBase64(text: string): Float32Array | undefined {
  let binary: string;
  try {
    binary = atob(text);
  } catch {
    return undefined;
  }
  if (binary.length % 4 !== 0) return undefined;
  const view = new DataView(Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer);
  return Float32Array.from({ length: binary.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}
