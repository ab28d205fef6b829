import type { Command } from 'commander';

// Placeholder being filled by issue 6's incident work: `evenkeel incident list|show|ack|identify|mitigate|report`.
export function registerIncidentCommands(_program: Command): void {}
