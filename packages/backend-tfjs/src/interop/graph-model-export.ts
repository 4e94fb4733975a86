import { HeadstartError, type Model } from '@headstart/core';
import { join } from 'node:path';
import { VERSION } from '../version.js';
import { GRAPH_MODEL_FORMAT } from './graph-def.js';
import type { GraphConstant } from './graph-def-builder.js';
import { buildGraphModel } from './graph-model-builder.js';
import { SPEC_METADATA_KEY } from './layers-model-export.js';
import { exportPaths, type LayersModelJson } from './layers-model-files.js';
import { writeTogether } from './write-together.js';

/**
 * Write `model` as a tfjs graph model that `tf.loadGraphModel` loads and `execute` runs by input name
 * (`{ input_ids, attention_mask }` → the output): `model.json` (a GraphDef, the signature, the weights
 * manifest) and one `weights.bin` holding every constant, at the paths {@link exportPaths} gives.
 * For the models a layers model cannot express (named inputs, sequence layers); written like the
 * layers export, both files aside before either is renamed.
 * @throws HeadstartError (USAGE) for a format other than `tfjs`; (NOT_SUPPORTED) naming a layer whose
 * type the graph has no ops for; (BAD_INPUT) when `out` cannot be written (one line naming the file).
 */
export async function exportGraphModel(model: Model, format: string, out: string): Promise<void> {
  if (format !== 'tfjs') throw new HeadstartError('USAGE', `the tfjs backend exports format "tfjs", not "${format}"`);
  const { graph, constants, signature } = buildGraphModel(model.spec, await model.getWeights());
  const paths = exportPaths(out);
  const json: LayersModelJson & { signature: unknown } = {
    format: GRAPH_MODEL_FORMAT,
    generatedBy: `headstart ${VERSION}`,
    convertedBy: `headstart ${VERSION}`,
    modelTopology: graph,
    signature,
    weightsManifest: [
      {
        paths: [paths.weightsFile],
        weights: constants.map((c) => ({ name: c.name, shape: c.shape, dtype: c.data instanceof Int32Array ? 'int32' : 'float32' })),
      },
    ],
    userDefinedMetadata: { [SPEC_METADATA_KEY]: { spec: model.spec, version: VERSION } },
  };
  await writeTogether([
    [join(paths.dir, paths.weightsFile), weightBytes(constants)],
    [paths.modelJson, `${JSON.stringify(json)}\n`],
  ]);
}

/** The constants' values back to back, little-endian, as the manifest lists them. */
function weightBytes(constants: GraphConstant[]): Uint8Array {
  const bytes = new Uint8Array(constants.reduce((n, c) => n + c.data.byteLength, 0));
  let offset = 0;
  for (const c of constants) {
    bytes.set(new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength), offset);
    offset += c.data.byteLength;
  }
  return bytes;
}
