import { holdYoungGeneration } from './heap-budget.js';

// The entry point of a cluster worker process: hold V8's young generation small while the data
// plane's modules load (heap-budget.ts), then run the worker.

holdYoungGeneration();
await import('./worker-main.js');
