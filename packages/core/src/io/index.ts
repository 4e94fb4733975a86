export { openSafeFile, writeFileSafely, type SafeFile, type WriteCheck } from './safe-write.js';
export { FileWriteError, writeProblem } from './write-error.js';
