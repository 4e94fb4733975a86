export { openSafeFile, writeFileSafely, type SafeFile, type WriteCheck } from './safe-write.js';
export { FileWriteError } from './write-error.js';
