// `@headstart/core/backend-kit`: helpers a backend author uses so that every backend reads
// trainer options, checks inputs and draws dropout masks the same way. Not needed to use
// headstart, only to implement `Backend`, `Model` and `Trainer`.
export { opaqueTrainingError, planTraining, type TrainedParameter, type TrainingPlan } from './training-plan.js';
export { checkLossOptions, crossEntropyTarget, targetClasses, teacherLogits } from './loss-options.js';
export { IGNORE_TOKEN, tokenLabels, tokenOutputShape } from './token-targets.js';
export { dropoutMask, mixSeeds } from './dropout-mask.js';
export { stepLrScale } from './step-options.js';
export { checkInput, splitFinalSoftmax } from './model-io.js';
export { checkNamedInputs, inputsChunk, type NamedInputValues } from './named-inputs.js';
export { givenWeights } from './given-weights.js';
export { explicitPads, windowGeometry, type WindowGeometry } from '../spec/layer-types/geometry.js';
export type { WindowPadding } from '../spec/layer-types/fields.js';
