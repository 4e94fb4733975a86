/** A label as it appears in the data: any string or number. */
export type Label = string | number;

/**
 * A dataset held in memory: samples as one row-major float32 buffer, and class indices into
 * `labelMap` when labelled. Loaders produce it; splits and batching work on it.
 */
export interface Dataset {
  /** Number of samples. */
  size: number;
  /** Shape of one sample, channels-last: `[features]` or `[height, width, channels]`. */
  sampleShape: number[];
  /** `size × product(sampleShape)` values, sample after sample. */
  features: Float32Array;
  /** Class index of each sample into `labelMap`; absent for unlabelled data. */
  labels?: Int32Array | undefined;
  /** The original label of each class index (index → label). Stored in checkpoints. */
  labelMap?: Label[] | undefined;
  /** Feature names where the source has them (CSV header). */
  featureNames?: string[] | undefined;
  /** Where the data came from. */
  source: DataSource;
}

/** Provenance of a dataset. */
export interface DataSource {
  /** Path as the user gave it. */
  file: string;
  /** Loader that read it (`csv`, `jsonl`, `idx`, `images`). */
  format: string;
  /** sha-256 of the file's bytes (of the sorted file list and bytes, for a folder). */
  sha256?: string | undefined;
}

/** How a loader should read a file. */
export interface LoadOptions {
  /** Column or field holding the label. Default `label`. */
  label?: string | undefined;
  /** Whether a label is required (`true`, default), ignored (`false`), or read when present (`'optional'`). */
  labelled?: boolean | 'optional' | undefined;
  /** Reshape each sample to this shape (its size must match the feature count). */
  sampleShape?: number[] | undefined;
  /**
   * A fixed label map (from a checkpoint). Labels found in it get its indices; a label not in it is
   * an error naming the line, unless `extendLabels` is set, in which case it is appended.
   */
  labelMap?: Label[] | undefined;
  /** Append unseen labels to `labelMap` instead of failing. */
  extendLabels?: boolean | undefined;
  /**
   * The feature columns expected, in order (a model's `featureNames`, from its checkpoint).
   * Loaders of named columns (CSV) read the same columns in another order as this order, and
   * refuse a file missing one or having one more; loaders of unnamed features ignore it.
   */
  featureNames?: readonly string[] | undefined;
  /** Cancels a long read. */
  signal?: AbortSignal | undefined;
}

/** How to stream a dataset in chunks. */
export interface ChunkOptions extends LoadOptions {
  /** Samples a chunk (the last one may hold fewer). Default 1024. */
  chunkSize?: number | undefined;
}

/** One sample as a loader streams it. */
export interface DataRecord {
  features: Float32Array;
  label?: Label | undefined;
  /** 1-based line (or record number) in the source, for error messages. */
  line: number;
  /**
   * Shape of this sample when the source gives one (nested JSON arrays, images, IDX items);
   * absent means flat, `[features.length]`.
   */
  shape?: number[] | undefined;
}

/** A data loader plugin, registered by name (`csv`, `jsonl`, `idx`, `images`). */
export interface DatasetLoader {
  /** Registry name. */
  name: string;
  meta: { version: string; description: string };
  /** File name endings it reads (`.csv`), listed when no loader accepts a path. */
  extensions?: string[] | undefined;
  /** Whether it reads directories (image folders); listed when no loader accepts a path. */
  directories?: boolean | undefined;
  /** Whether this loader reads that path (by extension, or a directory for image folders). */
  canLoad(path: string, isDirectory: boolean): boolean;
  /** Read the whole dataset into memory (streaming the file, never holding its text whole). */
  load(path: string, options?: LoadOptions): Promise<Dataset>;
  /** Stream the samples one at a time, for files larger than memory. */
  records?(path: string, options?: LoadOptions): AsyncIterable<DataRecord>;
  /**
   * Stream the samples as in-memory datasets of at most `chunkSize` samples, checked, shaped and
   * labelled as `load` does, for files larger than memory. Labelled chunks need a fixed
   * `labelMap` (every chunk indexes into it). Without it, `records` is chunked the default way.
   */
  chunks?(path: string, options?: ChunkOptions): AsyncIterable<Dataset>;
}
