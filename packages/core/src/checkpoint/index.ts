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
export { decodeSafetensors, encodeSafetensors, type DecodedSafetensors } from './safetensors.js';
export { MAX_HEADER_BYTES, type SafetensorsDtype, type SafetensorsHeader, type TensorEntry } from './safetensors-header.js';
export { OPTIMIZER_PREFIX } from './spec-tensor-check.js';
