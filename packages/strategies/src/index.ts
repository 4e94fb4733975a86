import { registerStrategy } from '@headstart/core';
import { continued } from './continued.js';
import { frozenBase } from './frozen-base.js';
import { fullRetrain } from './full-retrain.js';
import { gradualUnfreeze } from './gradual-unfreeze.js';
import { lora } from './lora.js';
import { lpFt } from './lp-ft.js';
import { pretrainFinetune } from './pretrain-finetune.js';

const source = '@headstart/strategies';
registerStrategy('full-retrain', fullRetrain, { source });
registerStrategy('frozen-base', frozenBase, { source });
registerStrategy('continued', continued, { source });
registerStrategy('lp-ft', lpFt, { source });
registerStrategy('pretrain-finetune', pretrainFinetune, { source });
registerStrategy('gradual-unfreeze', gradualUnfreeze, { source });
registerStrategy('lora', lora, { source });

export * from './base.js';
export { train } from './train/train.js';
export type { TrainOptions } from './train/train-options.js';
export { loadTrained, type Prediction, type ReadOptions, type TrainedModel } from './train/trained-model.js';
