import { HeadstartError, type Model } from '@headstart/core';
import * as tf from '@tensorflow/tfjs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildLayersModel } from './layers-model-builder.js';
import { exportPaths, type LayersModelJson } from './layers-model-files.js';
import { VERSION } from '../version.js';

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
 * it reads only the spec and weights. Files appear whole: each is written aside and renamed.
 * @throws HeadstartError (USAGE) for a format other than `tfjs`; (BAD_INPUT) when `out` cannot be written.
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
    weightsManifest: [{ paths: [paths.weightsFile], weights: artifacts.weightSpecs as LayersModelJson['weightsManifest'][number]['weights'] }],
    ...(artifacts.userDefinedMetadata ? { userDefinedMetadata: artifacts.userDefinedMetadata as Record<string, unknown> } : {}),
  };
  await mkdir(paths.dir, { recursive: true }).catch((error: unknown) => {
    throw new HeadstartError('BAD_INPUT', `${out}: cannot create the export directory ${paths.dir} (${(error as Error).message})`, { cause: error });
  });
  // Weights first: a model.json that exists always has its shard.
  await writeWhole(join(paths.dir, paths.weightsFile), new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData!)));
  await writeWhole(paths.modelJson, `${JSON.stringify(json)}\n`);
}

/** The model as tfjs-layers itself serialises it (topology, weight specs and data). */
async function layersModelArtifacts(model: Model): Promise<tf.io.ModelArtifacts> {
  const layersModel = buildLayersModel(model.spec, await model.getWeights());
  try {
    layersModel.setUserDefinedMetadata({ [SPEC_METADATA_KEY]: { spec: model.spec, version: VERSION } });
    let saved: tf.io.ModelArtifacts | undefined;
    await layersModel.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }));
    return saved!;
  } finally {
    layersModel.dispose();
  }
}

async function writeWhole(file: string, data: Uint8Array | string): Promise<void> {
  const aside = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(aside, data);
    await rename(aside, file);
  } catch (error) {
    throw new HeadstartError('BAD_INPUT', `${file}: cannot write (${(error as Error).message})`, { cause: error });
  }
}
