import './register.js';

export * from './base.js';
