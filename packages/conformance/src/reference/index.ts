/**
 * The float64 reference that the conformance suite holds every backend to, for backends' own tests
 * (`@headstart/conformance/reference`): plain loops over canonical channels-last layouts, written for
 * clarity rather than speed, with no vitest import.
 *
 * - {@link referenceForward}: a spec's forward pass (training or inference mode, dropout masks,
 *   frozen batch norm, logits before a final softmax), with the batch statistics it used;
 * - {@link meanLoss} / {@link sampleLosses}: the losses a step minimises;
 * - {@link applyUpdate}: PyTorch's SGD, Adam and AdamW update rules;
 * - {@link finiteDifferenceGradients}: gradients by central differences, to check backprop against;
 * - {@link activate}, {@link erf}, {@link conv2d}, {@link pool2d}: the building blocks;
 * - {@link createReferenceBackend}: all of it as a (slow) `Backend` of its own.
 * @module
 */
export { activate, erf, LEAKY_RELU_SLOPE, softmaxRows } from './activations.js';
export { FINITE_DIFFERENCE_STEP, finiteDifferenceGradients } from './finite-differences.js';
export { referenceForward, toWeights64, type ForwardMode, type ForwardResult, type Weights64 } from './forward.js';
export { meanLoss, sampleLosses } from './loss.js';
export { applyUpdate, slotNames, type OptimizedValue } from './optimizer.js';
export { createReferenceBackend, REFERENCE_BACKEND_NAME } from './reference-backend.js';
export { conv2d, globalAvgPool2d, pool2d, type ImageShape } from './window-ops.js';
