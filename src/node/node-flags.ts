/** The flags Node was started with: its command line and NODE_OPTIONS (where operators set V8's). */
export function nodeFlags(): string[] {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
}
