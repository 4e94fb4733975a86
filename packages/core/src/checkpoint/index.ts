// Safetensors encoding and decoding stay internal: the contract is the checkpoint file and its manifest.
export {
  readCheckpoint,
  readManifest,
  writeCheckpoint,
  MANIFEST_METADATA_KEY,
  type Checkpoint,
  type CheckpointContent,
  type CheckpointOverview,
  type CheckpointTensorInfo,
} from './checkpoint-file.js';
export { checkpointManifestSchema } from './manifest-schema.js';
export { OPTIMIZER_PREFIX } from './spec-tensor-check.js';
export { baseRecordFor, readWithBase, recordedBase } from './adapter-checkpoint.js';
