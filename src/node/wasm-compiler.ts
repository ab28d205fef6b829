import v8 from 'node:v8';

/**
 * Compiles WebAssembly with V8's baseline compiler (Liftoff) only. undici parses HTTP/1.1 with
 * llhttp built to WebAssembly; optimising that module with TurboFan, a few hundred milliseconds
 * after the first upstream request, raised the process's peak RSS by about 35 MB (measured: 96 MB
 * idle, 130 MB peak without this, against the 120 MB budget of docs/performance.md) for a parser
 * that takes about 1-2 % of the proxy's CPU. Must run before the first undici request.
 */
export function useBaselineWasmCompiler(): void {
  v8.setFlagsFromString('--liftoff-only');
}
