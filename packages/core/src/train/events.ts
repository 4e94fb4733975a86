import type { LossKind, LossOptions } from '../backend.js';
/**
 * Typed events a run emits. The CLI renders them as progress bars on a terminal and as one JSON
 * object per line otherwise; libraries can subscribe through {@link EventSink}.
 */
export type TrainingEvent =
  | { type: 'run-start'; strategy: string; backend: string; engine: string; samples: number; epochs: number }
  | { type: 'stage-start'; stage: number; name: string; strategy: string }
  | { type: 'epoch-start'; stage: number; epoch: number; epochs: number }
  /**
   * One optimisation step; `step` counts batches within the epoch (1-based), as a progress bar does.
   * `loss` is this batch's; `accuracy` (classifiers) is the epoch's so far.
   */
  | {
      type: 'step';
      stage: number;
      epoch: number;
      step: number;
      stepsPerEpoch: number;
      loss: number;
      accuracy?: number | undefined;
      lr: number;
    }
  | { type: 'epoch-end'; stage: number; epoch: number; epochs: number; metrics: EpochMetrics; seconds: number }
  | { type: 'early-stop'; stage: number; epoch: number; monitor: string; best: number; bestEpoch: number }
  | { type: 'checkpoint'; file: string; stage: number; epoch: number; step: number; complete: boolean }
  | { type: 'stage-end'; stage: number; name: string; metrics: EpochMetrics; checkpoint: string }
  | { type: 'run-end'; metrics: EpochMetrics; seconds: number }
  /**
   * `--dry-run`: how a phase would train; `lossOptions` as the trainer gets them (class weights resolved);
   * `transform` names what changes its training batches (`augment flip,crop=2`).
   */
  | {
      type: 'plan';
      stage: number;
      phase: string;
      epochs: number;
      loss: LossKind;
      lossOptions?: LossOptions | undefined;
      parameters: PlannedParameter[];
      /** The plan's batch transform, by name. */
      transform?: string | undefined;
      /** The teacher the phase distils from, by name. */
      teacher?: string | undefined;
    }
  /** A model was built for the run; `engine` says what computes it (`tfjs/wasm`, `onnxruntime-node`). */
  | { type: 'model'; layers: number; engine: string }
  | { type: 'log'; level: 'info' | 'warn'; message: string };

/** How one parameter will be treated in a phase (`--dry-run`). */
export interface PlannedParameter {
  name: string;
  shape: number[];
  trains: boolean;
  /** Base learning rate of its group (0 when frozen). */
  lr: number;
  /** For batch-norm parameters: whether the layer normalises with batch statistics (`train`) or its moving ones (`frozen`). */
  batchNorm?: 'train' | 'frozen' | undefined;
}

/** Metrics of one epoch: training loss/accuracy and, when there is validation data, `val*`. */
export interface EpochMetrics {
  loss: number;
  accuracy?: number | undefined;
  valLoss?: number | undefined;
  valAccuracy?: number | undefined;
  /** Extra metrics a strategy reports (e.g. reconstruction loss). */
  [name: string]: number | undefined;
}

/** Receives events; must not throw. */
export type EventSink = (event: TrainingEvent) => void;
