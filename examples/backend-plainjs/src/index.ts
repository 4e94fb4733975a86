import { registerBackend } from '@headstart/core';
import { createPlainJsBackend } from './base.js';

// A backend package only registers its factory; the CLI (or your script) chooses the backend.
registerBackend('plainjs', () => createPlainJsBackend(), { source: 'headstart-backend-plainjs' });

export * from './base.js';
