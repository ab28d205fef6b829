import { dirname, resolve } from 'node:path';
import { auditConfig, auditEvenkeelConfig, DEFAULT_STANDARDS, loadStandards, type AuditFinding, type Standards } from '../audit/index.js';
import type { Config } from '../config/index.js';
import type { ChangeFinding } from '../control/index.js';

// The audit in the change path (issue 5): a proposed config is judged by the same rules as
// `evenkeel audit`, with the standards named by the LIVE config's policy.audit_standards (a change
// cannot loosen the standards it is judged by). Only findings the change introduces are reported: a
// risk already live is not this change's doing, and refusing every change until it is fixed would
// also refuse the fix's neighbours. Error-level findings refuse the change in the change service.

/** Where the standards file is read from: relative paths start at the config file's directory. */
export interface ChangeAuditOptions {
  readonly configPath: string;
}

/** The audit hook for createChangeService. */
export function createChangeAudit(options: ChangeAuditOptions): (proposed: Config, live: Config) => ChangeFinding[] {
  return (proposed, live) => {
    const { standards, problem } = standardsOf(live, options.configPath);
    const label = 'proposed config';
    const before = new Set(auditConfig(auditEvenkeelConfig(live, label), standards).map(keyOf));
    const introduced = auditConfig(auditEvenkeelConfig(proposed, label), standards).filter((finding) => !before.has(keyOf(finding)));
    return [...(problem === undefined ? [] : [problem]), ...introduced.map(toChangeFinding)];
  };
}

function standardsOf(live: Config, configPath: string): { standards: Standards; problem?: ChangeFinding } {
  const path = live.policy.audit_standards;
  if (path === undefined) return { standards: DEFAULT_STANDARDS };
  const file = resolve(dirname(configPath), path);
  try {
    return { standards: loadStandards(file) };
  } catch (error) {
    // A broken standards file must not stop every change (including the one that fixes the node);
    // the change is flagged instead, so a person looks at it.
    return {
      standards: DEFAULT_STANDARDS,
      problem: { rule: 'audit.standards', severity: 'warning', message: `policy.audit_standards ${file} cannot be used, the default standards applied: ${error instanceof Error ? error.message : String(error)}` },
    };
  }
}

function keyOf(finding: AuditFinding): string {
  return `${finding.ruleId}\u0000${finding.message}`;
}

function toChangeFinding(finding: AuditFinding): ChangeFinding {
  return { rule: finding.ruleId, severity: finding.severity, message: `${finding.message}; fix: ${finding.hint}` };
}
