import type { AuditFinding, Severity } from './finding.js';
import type { AuditedConfig, Setting } from './model.js';
import { AUDIT_RULES, type AuditRule, type Thresholds } from './rules/index.js';
import { DEFAULT_STANDARDS, type RequiredSetting, type Standards } from './standards.js';

// Runs every rule over one config with a team's standards applied. Reader problems are not findings:
// the command reports them (exit 2), because a config that could not be read was not judged.

/** Every rule's findings and every missing required setting, sorted by file, line and column. */
export function auditConfig(config: AuditedConfig, standards: Standards = DEFAULT_STANDARDS): AuditFinding[] {
  const findings: AuditFinding[] = [];
  for (const rule of AUDIT_RULES) {
    const applied = applyStandards(rule, standards);
    if (applied === undefined) continue;
    for (const hit of rule.check(config, applied.thresholds)) {
      findings.push({ ruleId: rule.id, severity: applied.severity, message: hit.message, hint: hit.hint, kind: config.kind, at: hit.at });
    }
  }
  for (const required of standards.required) findings.push(...checkRequiredSetting(config, required));
  return findings.sort(
    (a, b) => (a.at.file < b.at.file ? -1 : a.at.file > b.at.file ? 1 : 0) || a.at.line - b.at.line || a.at.column - b.at.column || (a.ruleId < b.ruleId ? -1 : a.ruleId > b.ruleId ? 1 : 0),
  );
}

/** The severity and thresholds a rule runs with, or undefined when the standards turn it off. */
export function applyStandards(rule: AuditRule, standards: Standards): { severity: Severity; thresholds: Thresholds } | undefined {
  const setting = standards.rules[rule.id];
  if (setting === undefined || setting === 'on' || setting === true) return { severity: rule.defaultSeverity, thresholds: rule.thresholds };
  if (setting === 'off' || setting === false) return undefined;
  if (typeof setting === 'string') return { severity: setting, thresholds: rule.thresholds };
  if (setting.enabled === false) return undefined;
  return { severity: setting.severity ?? rule.defaultSeverity, thresholds: { ...rule.thresholds, ...setting.thresholds } };
}

/**
 * A required setting must be written: with a scope pattern, in every scope the config has that matches
 * it ("every `backend .*` has `option httpchk`"); without one, somewhere in the config. An args
 * pattern is matched against the arguments joined by spaces.
 */
function checkRequiredSetting(config: AuditedConfig, required: RequiredSetting): AuditFinding[] {
  if (required.kind !== undefined && required.kind !== config.kind) return [];
  const scopePattern = required.scope === undefined ? undefined : new RegExp(required.scope);
  const argsPattern = required.args === undefined ? undefined : new RegExp(required.args);
  const finding = (detail: string, setting: Setting | undefined): AuditFinding => ({
    ruleId: required.id,
    severity: required.severity,
    message: `${required.message} (${detail})`,
    hint: required.hint ?? `write \`${required.key}\`${required.args === undefined ? '' : ` with arguments matching /${required.args}/`}`,
    kind: config.kind,
    at: setting?.at ?? { file: config.file, line: 1, column: 1 },
  });
  const check = (settings: readonly Setting[], where: string, anchor: Setting | undefined): AuditFinding[] => {
    const written = settings.filter((setting) => setting.key === required.key);
    if (written.length === 0) return [finding(`\`${required.key}\` is missing${where}`, anchor)];
    if (argsPattern !== undefined && !written.some((setting) => argsPattern.test(setting.args.join(' ')))) {
      return [finding(`\`${required.key} ${written[0]!.args.join(' ')}\`${where} does not match /${required.args}/`, written[0])];
    }
    return [];
  };
  if (scopePattern === undefined) return check(config.settings, '', undefined);
  const scopes = new Map<string, Setting[]>();
  for (const setting of config.settings) {
    if (!scopePattern.test(setting.scope)) continue;
    const list = scopes.get(setting.scope) ?? [];
    list.push(setting);
    scopes.set(setting.scope, list);
  }
  return [...scopes].flatMap(([scope, settings]) => check(settings, ` in ${scope === '' ? 'the top level' : scope}`, settings[0]));
}
