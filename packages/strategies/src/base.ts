export { fullRetrain, type FullRetrainOptions } from './full-retrain.js';
export { frozenBase, type FrozenBaseOptions } from './frozen-base.js';
export { continued, type ContinuedOptions } from './continued.js';
export { lpFt, type LpFtOptions } from './lp-ft.js';
export { pretrainFinetune, type PretrainFinetuneOptions } from './pretrain-finetune.js';
export { maskedLmEncoder } from './masked-lm-encoder.js';
export { gradualUnfreeze, type GradualUnfreezeOptions } from './gradual-unfreeze.js';
export { lora, type LoraOptions } from './lora.js';
export { loraLayerNames, loraTargets, withLora, withoutLora } from './lora-spec.js';
export { parseProjectionSite, projectionAdapterNames, projectionSites, type ProjectionSite } from './attention-lora.js';
export { foldLora, loraAdapterTensors, loraWeights } from './lora-weights.js';
export { autoencoderSpec, type Autoencoder, type DecoderOptions } from './autoencoder.js';
export { unfreezeSchedule, type UnfreezeStage } from './unfreeze-schedule.js';
export { transferOptionsSchema, type TransferOptions } from './transfer-options.js';
export { trainHead, type HeadTraining } from './train-head.js';
export { phasePlan, type PhaseSpec } from './phase-plan.js';
export { mixupTransform } from './mixup.js';
export { headIndex, headLayers, splitAtHead, withNewHead, type HeadSplit } from './head.js';
export { layerGroups, type LayerGroup } from './layer-groups.js';
export {
  discriminativeGroups,
  frozenParameters,
  globToRegExp,
  layerGroupsTopDown,
  matching,
  trainableParameters,
} from './parameter-sets.js';
export { VERSION } from './version.js';
