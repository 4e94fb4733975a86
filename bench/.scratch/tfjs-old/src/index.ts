import { registerBackend } from '@headstart/core';
import { createTfjsBackend } from './base.js';

registerBackend('tfjs', () => createTfjsBackend(), { source: '@headstart/backend-tfjs' });

export * from './base.js';
