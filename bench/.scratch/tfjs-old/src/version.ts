/** Version of @headstart/backend-tfjs, reported as the backend's `meta.version`. */
export const VERSION = '0.0.0';
