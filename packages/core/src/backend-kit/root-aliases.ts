// The backend kit's names as the root export had them before `@headstart/core/backend-kit`
// existed. The built-in backends still import them from the root; they go once they move.
import * as kit from './index.js';

/** @deprecated Import from `@headstart/core/backend-kit`. */
export const planTraining = kit.planTraining;
/** @deprecated Import from `@headstart/core/backend-kit`. */
export const opaqueTrainingError = kit.opaqueTrainingError;
/** @deprecated Import from `@headstart/core/backend-kit`. */
export const dropoutMask = kit.dropoutMask;
/** @deprecated Import from `@headstart/core/backend-kit`. */
export const mixSeeds = kit.mixSeeds;
/** @deprecated Import from `@headstart/core/backend-kit`. */
export const checkInput = kit.checkInput;
/** @deprecated Import from `@headstart/core/backend-kit`. */
export const splitFinalSoftmax = kit.splitFinalSoftmax;
/** @deprecated Import from `@headstart/core/backend-kit`. */
export type TrainingPlan = kit.TrainingPlan;
