import { registerStrategy } from '@headstart/core';
import { continued } from './continued.js';
import { frozenBase } from './frozen-base.js';
import { fullRetrain } from './full-retrain.js';
import { lpFt } from './lp-ft.js';

const source = '@headstart/strategies';
registerStrategy('full-retrain', fullRetrain, { source });
registerStrategy('frozen-base', frozenBase, { source });
registerStrategy('continued', continued, { source });
registerStrategy('lp-ft', lpFt, { source });

export * from './base.js';
