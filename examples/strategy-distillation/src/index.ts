import { registerStrategy } from '@headstart/core';
import { distillation } from './distillation.js';

// A plugin module only registers; the CLI (or your script) decides what runs.
registerStrategy('distillation', distillation, { source: 'headstart-strategy-distillation' });

export { distillation } from './distillation.js';
export { distillationOptionsSchema, type DistillationOptions } from './options.js';
export { studentSpec } from './student-spec.js';
export { VERSION } from './version.js';
