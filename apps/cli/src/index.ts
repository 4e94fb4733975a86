export { main } from './main.js';
export { loadPlugins, type PluginLoadReport } from './plugins/load-plugins.js';
export { CliError, EXIT } from './cli-error.js';
