import {
  argmaxRows,
  checkOutput,
  classProbabilitiesOf,
  evaluateClassifier,
  evaluateClassifierStream,
  HeadstartError,
  isTokenDataset,
  readWithBase,
  writeCheckpoint,
  type Backend,
  type Dataset,
  type TokenDataset,
  type TrainingData,
  type Evaluation,
  type Label,
  type Model,
  type ProvenanceEntry,
  type TrainedManifest,
} from '@headstart/core';
import { alignFeatures, applyPreprocessing, registerLoaders, relabel, streamModelData, tokenizeTexts } from '@headstart/data';

/** One sample's prediction: the most probable class, in the data's original labels. */
export interface Prediction {
  label: Label;
  probability: number;
  /** The probability of each class, in the order of {@link TrainedModel.labels}. */
  probabilities: Float32Array;
}

/** How {@link TrainedModel.predict} and {@link TrainedModel.evaluate} read a file. */
export interface ReadOptions {
  /** The label column; default `label`. */
  label?: string | undefined;
}

/**
 * A trained classifier with what its checkpoint holds: {@link train} returns one, {@link loadTrained}
 * reads one back. Samples go in raw, as the file or `Dataset` holds them: the model's column order,
 * preprocessing and label map are applied as `headstart predict` and `evaluate` apply them.
 */
export interface TrainedModel {
  /** The live model on its backend. */
  readonly model: Model;
  /** What `save` writes besides the weights: spec, labels, feature names, preprocessing, training state, provenance. */
  readonly manifest: TrainedManifest;
  /** Class index → original label. */
  readonly labels: Label[];
  /** What trained it, stage after stage (the last entry is the latest run). */
  readonly provenance: ProvenanceEntry[];
  /** The latest run's final metrics (`valAccuracy`, `trainLoss`, …). */
  readonly metrics: Record<string, number>;
  /**
   * The predicted class of each sample of a `Dataset` or a file (its label column, if any, is ignored).
   * A text model (its checkpoint records a tokenizer) takes raw texts (`['a great film']`), a file
   * with its text column, or a `TokenDataset` tokenised by the same tokenizer.
   */
  predict(samples: Dataset | TokenDataset | string | readonly string[], options?: ReadOptions): Promise<Prediction[]>;
  /** Accuracy, loss, per-class figures and the confusion matrix on labelled data, as `headstart evaluate` gives them. */
  evaluate(data: Dataset | TokenDataset | string, options?: ReadOptions): Promise<Evaluation>;
  /** Write the checkpoint `headstart train --out` would have written: `headstart inspect`, `evaluate` and `--from` read it. */
  save(file: string): Promise<{ file: string; sha256: string; bytes: number }>;
  /** Free the model's backend resources. */
  dispose(): void;
}

/**
 * A {@link TrainedModel} of a live model and its manifest.
 * @param where how an error names the model (a checkpoint's path).
 * @throws HeadstartError `BAD_INPUT` when the manifest has no label map (the model is no classifier).
 */
export function trainedModel(model: Model, manifest: TrainedManifest, where = 'the model'): TrainedModel {
  const labels = manifest.labels;
  if (!labels) throw new HeadstartError('BAD_INPUT', `${where}: it has no label map; it is not a classifier`);
  const needs = {
    labels,
    featureNames: manifest.featureNames,
    inputShape: manifest.spec.inputShape,
    preprocessing: manifest.preprocessing,
  };
  const tokenizer = manifest.tokenizer;
  /** Raw samples in the model's column order and preprocessing; token sequences as they are, if made by its tokenizer. */
  const input = (data: Dataset | TokenDataset): TrainingData => {
    if (!isTokenDataset(data)) return applyPreprocessing(manifest.preprocessing, alignFeatures(data, manifest.featureNames));
    if (data.tokenizer.sha256 !== tokenizer?.sha256 || data.sequenceLength !== tokenizer.maxLength)
      throw new HeadstartError(
        'BAD_INPUT',
        `${where}: ${data.source.file} was not tokenised by the model's tokenizer (or not to its length)`,
      );
    return data;
  };
  /** A file streamed in chunks, as `headstart predict` and `evaluate` read it, texts tokenised, or a dataset at once. */
  const chunks = (
    data: Dataset | TokenDataset | string | readonly string[],
    options: ReadOptions | undefined,
  ): Iterable<TrainingData> | AsyncIterable<TrainingData> => {
    if (Array.isArray(data)) {
      if (!tokenizer)
        throw new HeadstartError('BAD_INPUT', `${where}: texts need a text model; this one takes ${manifest.spec.inputShape} features`);
      return [tokenizeTexts(data as readonly string[], tokenizer, where)];
    }
    if (typeof data !== 'string') return [input(data as Dataset | TokenDataset)];
    registerLoaders();
    return streamModelData(data, { ...needs, tokenizer, file: where }, { label: options?.label, labelled: false });
  };
  return {
    model,
    manifest,
    labels,
    provenance: manifest.provenance,
    metrics: manifest.provenance.at(-1)?.metrics ?? {},
    async predict(samples, options) {
      const predictions: Prediction[] = [];
      for await (const chunk of chunks(samples, options)) {
        const probabilities = await classProbabilitiesOf(model, chunk, 0, chunk.size, labels.length);
        const best = argmaxRows(probabilities, labels.length);
        for (let i = 0; i < chunk.size; i++) {
          const row = probabilities.slice(i * labels.length, (i + 1) * labels.length);
          predictions.push({ label: labels[best[i]!]!, probability: row[best[i]!]!, probabilities: row });
        }
      }
      return predictions;
    },
    async evaluate(data, options) {
      if (typeof data === 'string') {
        registerLoaders();
        const stream = streamModelData(data, { ...needs, tokenizer, file: where }, { label: options?.label, labelled: true });
        return evaluateClassifierStream(model, stream, labels);
      }
      if (!data.labels) throw new HeadstartError('BAD_INPUT', 'evaluate: the data has no labels');
      if (isTokenDataset(data)) return evaluateClassifier(model, input(relabelTokens(data, labels)), labels);
      return evaluateClassifier(model, input(relabel(data, labels, 'evaluate')), labels);
    },
    async save(file) {
      await checkOutput({ flag: 'save', path: file }, []);
      const written = await writeCheckpoint(file, { manifest, weights: await model.getWeights() });
      return { file, ...written };
    },
    dispose: () => model.dispose(),
  };
}

/**
 * A checkpoint (`headstart train --out`, or {@link TrainedModel.save}) as a {@link TrainedModel} on
 * `backend`: verified as `readCheckpoint` verifies it. An adapter-only checkpoint is read with its base
 * (`readWithBase`); the model holds every weight, so saving it writes a self-contained checkpoint.
 */
export async function loadTrained(file: string, options: { backend: Backend }): Promise<TrainedModel> {
  const { manifest: full, weights } = await readWithBase(file);
  const { format: _format, version: _version, dataSha256: _sha, adapter: _adapter, ...manifest } = full;
  if (!manifest.labels) throw new HeadstartError('BAD_INPUT', `${file}: the checkpoint has no label map; it is not a classifier`);
  const model = await options.backend.createModel(manifest.spec, weights);
  return trainedModel(model, manifest, file);
}

/** Token sequences whose labels index the model's label map: their own labels put in its order. */
function relabelTokens(data: TokenDataset, labels: Label[]): TokenDataset {
  const proxy = relabel(
    { size: data.size, sampleShape: [0], features: new Float32Array(0), labels: data.labels, labelMap: data.labelMap, source: data.source },
    labels,
    'evaluate',
  );
  return { ...data, labels: proxy.labels, labelMap: proxy.labelMap };
}
