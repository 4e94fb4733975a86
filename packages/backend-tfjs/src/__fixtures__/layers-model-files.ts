import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/**
 * A `file://` IO handler for `tf.loadLayersModel` and `tf.loadGraphModel`, as tfjs-node would provide (it is not installable
 * here). Written with tfjs's own helpers only, so it checks our files the way tfjs reads them.
 */
export function fileLoadHandler(modelJson: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(await readFile(modelJson, 'utf8')) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const shards = await Promise.all(manifest.flatMap((group) => group.paths).map((p) => readFile(join(dirname(modelJson), p))));
        const bytes = Buffer.concat(shards);
        return [manifest.flatMap((group) => group.weights), bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)];
      });
    },
  };
}

/** Save a tf.LayersModel as tfjs-node's `model.save('file://dir')` would: `dir/model.json` and `dir/weights.bin`. */
export async function saveToDirectory(model: tf.LayersModel, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const json = {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    };
    await writeFile(join(dir, 'weights.bin'), new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData!)));
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  return join(dir, 'model.json');
}

/** Predictions of a tf.LayersModel as a flat array. */
export async function layersPredict(model: tf.LayersModel, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const input = tf.tensor(x, shape);
  const output = model.predict(input) as tf.Tensor;
  const values = new Float32Array(await output.data());
  tf.dispose([input, output]);
  return values;
}
