import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../checkpoint/checkpoint-file.js';
import type { CheckpointManifest, ProvenanceEntry } from '../checkpoint/manifest.js';
import { checkSameRun, type RunIdentity } from './resume-check.js';

const entry = { strategy: 'pretrain-finetune', backend: 'onnx', options: {} } as unknown as ProvenanceEntry;
const [A, B, DATA] = ['a'.repeat(64), 'b'.repeat(64), 'd'.repeat(64)];

/** A resumable checkpoint whose training state records `unlabeledDigest` as given (absent: a checkpoint of an older release). */
function resumable(unlabeledDigest?: string | null): Checkpoint {
  const training = { seed: 1, dataDigest: DATA, complete: false, ...(unlabeledDigest === undefined ? {} : { unlabeledDigest }) };
  const manifest = { provenance: [entry], preprocessing: { kind: 'none' }, training } as unknown as CheckpointManifest;
  return { file: 'run.resume.safetensors', manifest } as unknown as Checkpoint;
}

function run(unlabeledDigest: string | null): RunIdentity {
  return { entry, seed: 1, labels: undefined, preprocessing: { kind: 'none' }, dataDigest: DATA, unlabeledDigest };
}

const refusal = (why: string): string =>
  `--resume: run.resume.safetensors belongs to another run (${why}); resume with the same flags and data, or delete it to start over`;

describe('checkSameRun: the unlabelled data', () => {
  it('resumes with the same unlabelled data, or none on both sides', () => {
    expect(() => checkSameRun(resumable(A), run(A))).not.toThrow();
    expect(() => checkSameRun(resumable(null), run(null))).not.toThrow();
  });

  it('refuses another, added or dropped --unlabeled', () => {
    expect(() => checkSameRun(resumable(A), run(B))).toThrow(refusal('its unlabelled samples differ: another or changed --unlabeled data'));
    expect(() => checkSameRun(resumable(null), run(A))).toThrow(refusal('it records no unlabelled data, this run gives --unlabeled'));
    expect(() => checkSameRun(resumable(A), run(null))).toThrow(
      refusal('it was trained with unlabelled data (--unlabeled), this run gives none'),
    );
  });

  it('resumes a checkpoint written before the digest was recorded, as it does one without a data digest', () => {
    expect(() => checkSameRun(resumable(), run(A))).not.toThrow();
    expect(() => checkSameRun(resumable(), run(null))).not.toThrow();
  });
});
