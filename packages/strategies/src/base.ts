export { fullRetrain, type FullRetrainOptions } from './full-retrain.js';
export { VERSION } from './version.js';
