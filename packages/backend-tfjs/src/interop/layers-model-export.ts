import { HeadstartError, type Model } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { join } from 'node:path';
import { buildLayersModel } from './layers-model-builder.js';
import { exportPaths, type LayersModelJson } from './layers-model-files.js';
import { VERSION } from '../version.js';
import { writeTogether } from './write-together.js';

/**
 * Key in a model.json's `userDefinedMetadata` under which an export carries its ModelSpec, so that
 * importing it back gives the same spec (a leakyRelu dense layer stays one layer) and not just the
 * same function.
 */
export const SPEC_METADATA_KEY = 'headstart';

/**
 * Write `model` as a tfjs layers model that `tf.loadLayersModel` loads: `model.json` (Keras topology,
 * weights manifest) and one `weights.bin` shard, in directory `out`, or as `out` itself when it ends
 * in `.json` (the shard then is `<name>.weights.bin` beside it). Works for a model of any backend, as
 * it reads only the spec and weights. Both files are written aside and verified before either is
 * renamed into place, so a failed export (a full disk) leaves the previous export as it was. The
 * directory is created when missing.
 * @throws HeadstartError (USAGE) for a format other than `tfjs`; (BAD_INPUT) when `out` cannot be
 * written (FileWriteError, one line naming the file).
 */
export async function exportLayersModel(model: Model, format: string, out: string): Promise<void> {
  if (format !== 'tfjs') throw new HeadstartError('USAGE', `the tfjs backend exports format "tfjs", not "${format}"`);
  const paths = exportPaths(out);
  const artifacts = await layersModelArtifacts(model);
  const json: LayersModelJson = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: `headstart ${VERSION}`,
    weightsManifest: [
      { paths: [paths.weightsFile], weights: artifacts.weightSpecs as LayersModelJson['weightsManifest'][number]['weights'] },
    ],
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata as Record<string, unknown> } : {}),
  };
  await writeTogether([
    [join(paths.dir, paths.weightsFile), new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData!))],
    [paths.modelJson, `${JSON.stringify(json)}\n`],
  ]);
}

/** The model as tfjs-layers itself serialises it (topology, weight specs and data). */
async function layersModelArtifacts(model: Model): Promise<tf.io.ModelArtifacts> {
  const layersModel = buildLayersModel(model.spec, await model.getWeights());
  try {
    layersModel.setUserDefinedMetadata({ [SPEC_METADATA_KEY]: { spec: model.spec, version: VERSION } });
    let saved: tf.io.ModelArtifacts | undefined;
    await layersModel.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    return saved!;
  } finally {
    layersModel.dispose();
  }
}
