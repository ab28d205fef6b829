import { InvalidArgumentError, type Command } from 'commander';
import { TOKEN_ROLES, type TokenInfo, type TokenRole } from '../control/index.js';
import { ADMIN_HELP, adminAction, printJson, processContext, withAdminOptions, type AdminContext } from './admin-command.js';
import { formatTable, isoTime } from './table.js';

interface CreatedToken {
  token: string;
  id: string;
  name: string;
  role: TokenRole;
}

/** `evenkeel token create|list|revoke` (admin tokens only). */
export function registerTokenCommands(program: Command, context: AdminContext = processContext): void {
  const { output } = context;
  const token = program
    .command('token')
    .description('Create, list and revoke admin API tokens (needs an admin token).')
    .addHelpText('after', `
Examples:
  evenkeel token create weights.sh --role automation
  evenkeel token list
  evenkeel token revoke weights.sh
Roles: ${TOKEN_ROLES.join(', ')} (docs/admin-api.md).
${ADMIN_HELP}`);

  withRole(token.command('create'))
    .description('Create a token; the secret is printed once and only its hash is stored.')
    .argument('<name>', 'who or what uses it ("alice", "weights.sh")')
    .addHelpText('after', `
Example:
  $ evenkeel token create alice --role approver
  ek_...   (printed once: store it now)
${ADMIN_HELP}`)
    .action(
      adminAction(context, async (client, options, name: string) => {
        const created = await client().post<CreatedToken>('/api/v1/tokens', { name, role: options.role });
        if (options.json === true) return printJson(output, created);
        output.out(`${created.token}\n`);
        output.err(`token ${created.name} (${created.role}, id ${created.id}) created; the secret above is shown only this once\n`);
      }),
    );

  withAdminOptions(token.command('list'))
    .description('List tokens (never their secrets).')
    .addHelpText('after', `
Example:
  $ evenkeel token list
${ADMIN_HELP}`)
    .action(
      adminAction(context, async (client, options) => {
        const tokens = await client().get<TokenInfo[]>('/api/v1/tokens');
        if (options.json === true) return printJson(output, tokens);
        output.out(
          formatTable(
            ['ID', 'NAME', 'ROLE', 'CREATED', 'BY', 'LAST USED', 'REVOKED'],
            tokens.map((t) => [t.id, t.name, t.role, isoTime(t.createdAt), t.createdBy, isoTime(t.lastUsedAt), t.revokedAt === null ? '' : isoTime(t.revokedAt)]),
          ),
        );
      }),
    );

  withAdminOptions(token.command('revoke'))
    .description('Revoke a token by id or name; requests with it are refused from then on.')
    .argument('<idOrName>', 'token id or name')
    .addHelpText('after', `
Example:
  $ evenkeel token revoke weights.sh
${ADMIN_HELP}`)
    .action(
      adminAction(context, async (client, options, idOrName: string) => {
        const revoked = await client().delete<TokenInfo>(`/api/v1/tokens/${encodeURIComponent(idOrName)}`);
        if (options.json === true) return printJson(output, revoked);
        output.out(`token ${revoked.name} (${revoked.role}, id ${revoked.id}) revoked\n`);
      }),
    );
}

function withRole(command: Command): Command {
  return withAdminOptions(command).requiredOption('--role <role>', `one of ${TOKEN_ROLES.join(', ')}`, (value: string) => {
    if (!(TOKEN_ROLES as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${TOKEN_ROLES.join(', ')}`);
    return value;
  });
}
