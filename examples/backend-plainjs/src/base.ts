// Side-effect-free exports: importing this registers nothing.
export { createPlainJsBackend, probePlainJs } from './backend.js';
export { BACKEND_NAME } from './unsupported.js';
export { PLAIN_JSON_FORMAT } from './plain-json-format.js';
export { VERSION } from './version.js';
