import { DataError, sameShape, type DataRecord, type Dataset, type LoadOptions } from '@headstart/core';
import { FloatBuffer } from './float-buffer.js';
import { LabelMapBuilder } from '../transforms/label-map.js';
import { chooseSampleShape, formatShape } from './sample-shape.js';

/** Float32 values a collector starts with: 256 KB, a chunk of 1024 samples of 64 features. */
const INITIAL_CAPACITY = 64 * 1024;

/** What a {@link RecordCollector} needs to know besides the records. @internal */
export interface CollectContext {
  /** Path as the user gave it. */
  file: string;
  /** Loader name, for `source.format`. */
  format: string;
  options: LoadOptions;
  featureNames?: string[] | undefined;
  /** The file label errors name, when the labels live in a file of their own (IDX). Default `file`. */
  labelsFile?: string | undefined;
  /** What a record's `line` counts, for label errors. Default `line`. */
  unit?: 'line' | 'item' | undefined;
}

/**
 * Gathers a loader's records into in-memory datasets: features into a growing float32 buffer,
 * labels through a {@link LabelMapBuilder}, every sample checked to have the first one's shape,
 * and the `sampleShape` option applied. {@link take} hands back what was added since the last
 * take, so one collector serves a whole file (one take) and a stream of chunks (a take a chunk)
 * alike, its checks spanning the whole stream. `source.sha256` is left for the loader to fill.
 * @internal
 */
export class RecordCollector {
  private first: { shape: number[]; line: number; sampleShape: number[] } | undefined;
  private features: FloatBuffer;
  private labels: LabelMapBuilder;
  private pending = 0;
  private total = 0;
  private labelled = 0;

  constructor(private readonly context: CollectContext) {
    this.features = new FloatBuffer(INITIAL_CAPACITY);
    this.labels = this.labelBuilder();
  }

  /** Samples added since the last {@link take}. */
  get size(): number {
    return this.pending;
  }

  /** Samples added since the collector was made. */
  get count(): number {
    return this.total;
  }

  /** Check and keep one record. @throws DataError naming its line when it does not fit. */
  add(record: DataRecord): void {
    const { file, options } = this.context;
    options.signal?.throwIfAborted();
    const shape = record.shape ?? [record.features.length];
    // The sampleShape option is checked on the first sample, not after reading a large file.
    this.first ??= { shape, line: record.line, sampleShape: chooseSampleShape(file, shape, options.sampleShape) };
    if (!sameShape(shape, this.first.shape)) {
      throw new DataError(
        file,
        `sample shape ${formatShape(shape)} differs from ${formatShape(this.first.shape)} on ${this.context.unit ?? 'line'} ${this.first.line}`,
        { line: record.line },
      );
    }
    this.features.push(record.features);
    if (record.label !== undefined) {
      this.labels.add(record.label, record.line);
      this.labelled++;
    }
    this.pending++;
    this.total++;
  }

  /**
   * The samples added since the last take, as a dataset (labelled when they are).
   * @throws DataError when no sample was ever added, or some samples have labels and others not.
   */
  take(): Dataset {
    const { file, format } = this.context;
    if (!this.first) throw new DataError(file, 'holds no samples');
    if (this.labelled !== 0 && this.labelled !== this.total)
      throw new DataError(file, `${this.total - this.labelled} of ${this.total} samples have no label`);
    const dataset: Dataset = {
      size: this.pending,
      sampleShape: [...this.first.sampleShape],
      features: this.features.toArray(),
      ...(this.labels.size > 0 ? this.labels.finish() : {}),
      ...(this.context.featureNames ? { featureNames: this.context.featureNames } : {}),
      source: { file, format },
    };
    this.features = new FloatBuffer(INITIAL_CAPACITY);
    this.labels = this.labelBuilder();
    this.pending = 0;
    return dataset;
  }

  private labelBuilder(): LabelMapBuilder {
    return new LabelMapBuilder(this.context.labelsFile ?? this.context.file, {
      ...this.context.options,
      unit: this.context.unit ?? 'line',
    });
  }
}
