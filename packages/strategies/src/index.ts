import { registerStrategy } from '@headstart/core';
import { fullRetrain } from './full-retrain.js';

const source = '@headstart/strategies';
registerStrategy('full-retrain', fullRetrain, { source });

export * from './base.js';
