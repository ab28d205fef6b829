import type { Command } from 'commander';

// Placeholder being filled by issue 6's drill work: `evenkeel drill run|list|show|history`.
export function registerDrillCommands(_program: Command): void {}
