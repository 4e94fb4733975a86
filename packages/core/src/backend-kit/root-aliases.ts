// The backend kit's names as the root export had them before `@headstart/core/backend-kit`
// existed. The built-in backends still import them from the root; they go once they move.
import * as kit from './index.js';

/**
 * The backend kit's `planTraining`, under core's root.
 * @deprecated Import from `@headstart/core/backend-kit`.
 */
export const planTraining = kit.planTraining;
/**
 * The backend kit's `opaqueTrainingError`, under core's root.
 * @deprecated Import from `@headstart/core/backend-kit`.
 */
export const opaqueTrainingError = kit.opaqueTrainingError;
/**
 * The backend kit's `dropoutMask`, under core's root.
 * @deprecated Import from `@headstart/core/backend-kit`.
 */
export const dropoutMask = kit.dropoutMask;
/**
 * The backend kit's `mixSeeds`, under core's root.
 * @deprecated Import from `@headstart/core/backend-kit`.
 */
export const mixSeeds = kit.mixSeeds;
/**
 * The backend kit's `checkInput`, under core's root.
 * @deprecated Import from `@headstart/core/backend-kit`.
 */
export const checkInput = kit.checkInput;
/**
 * The backend kit's `splitFinalSoftmax`, under core's root.
 * @deprecated Import from `@headstart/core/backend-kit`.
 */
export const splitFinalSoftmax = kit.splitFinalSoftmax;
/**
 * The backend kit's `TrainingPlan`, under core's root.
 * @deprecated Import from `@headstart/core/backend-kit`.
 */
export type TrainingPlan = kit.TrainingPlan;
