import { registerStrategy } from '@headstart/core';
import { selfTraining } from './self-training.js';

// A plugin module only registers; the CLI (or your script) decides what runs.
registerStrategy('self-training', selfTraining, { source: 'headstart-strategy-self-training' });

export { selfTraining } from './self-training.js';
export { selfTrainingOptionsSchema, type SelfTrainingOptions } from './options.js';
export { predictAll, selectPseudoLabels, withPseudoLabels, type PseudoLabels } from './pseudo-labels.js';
export { VERSION } from './version.js';
