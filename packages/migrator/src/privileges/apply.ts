import { MigratorError } from '../errors';
import { quoteIdent, type Queryable } from '../history';
import { readPrivilegeCatalog, type PrivilegeCatalog } from './catalog';
import { planPrivileges, type MissingRole, type PrivilegeDrift, type PrivilegePlan } from './plan';
import { validatePrivilegeSettings, type PrivilegeSettings } from './policy';
import { scramSha256Verifier } from './scram-verifier';

/** The policy compared with the database: what `check` and `status` report. */
export interface PrivilegeReport {
  /** True when the database grants exactly what the policy says and every role exists. */
  readonly ok: boolean;
  readonly drift: readonly PrivilegeDrift[];
  readonly missingRoles: readonly MissingRole[];
  readonly policyProblems: readonly string[];
  /** The statements that would remove the drift (what the next `up` runs). */
  readonly fix: readonly string[];
}

/** What `up` did to the privileges. */
export interface PrivilegeResult extends PrivilegeReport {
  /** Roles created by this run. */
  readonly createdRoles: readonly string[];
  /** The GRANT/REVOKE statements run (or, for a dry run, that would run). */
  readonly statements: readonly string[];
}

const roleNames = (s: PrivilegeSettings) => Object.keys(s.policy.roles).map((k) => s.roles[k]!.name);

function report(plan: PrivilegePlan): PrivilegeReport {
  return {
    ok: !plan.drift.length && !plan.missingRoles.length && !plan.policyProblems.length,
    drift: plan.drift,
    missingRoles: plan.missingRoles,
    policyProblems: plan.policyProblems,
    fix: plan.statements,
  };
}

/** Reads the catalogs and compares them with the policy. Read-only; throws only for an invalid policy or a failed query. */
export async function readPrivileges(db: Queryable, settings: PrivilegeSettings): Promise<PrivilegeReport> {
  validatePrivilegeSettings(settings);
  const catalog = await readPrivilegeCatalog(db, settings.policy.schemas, roleNames(settings));
  return report(planPrivileges(settings, catalog));
}

/** The plan against a catalog given by the caller (a dry run's simulated one). */
export function planOnCatalog(settings: PrivilegeSettings, catalog: PrivilegeCatalog): PrivilegeResult {
  const plan = planPrivileges(settings, catalog);
  return { ...report(plan), createdRoles: [], statements: plan.statements };
}


/**
 * Brings the privileges to the policy on `runner` (which holds the migration lock): creates
 * missing roles when allowed and asked, then runs the GRANT/REVOKE statements in one transaction.
 * Idempotent: a second run finds nothing to do. Throws a MigratorError when a statement fails.
 */
export async function applyPrivileges(runner: Queryable, settings: PrivilegeSettings): Promise<PrivilegeResult> {
  validatePrivilegeSettings(settings);
  const names = roleNames(settings);
  let catalog = await readPrivilegeCatalog(runner, settings.policy.schemas, names);
  const createdRoles: string[] = [];
  const missing = Object.keys(settings.policy.roles).filter((k) => !catalog.existingRoles.has(settings.roles[k]!.name));
  if (missing.length && settings.createRoles && catalog.canCreateRoles) {
    for (const key of missing) {
      const { name, password } = settings.roles[key]!;
      try {
        // The SCRAM verifier, never the password: quoting a password into the statement could be
        // broken out of with standard_conforming_strings off (a backslash before the quote).
        await runner.query(`CREATE ROLE ${quoteIdent(name)} LOGIN${password ? ` PASSWORD '${scramSha256Verifier(password)}'` : ''}`);
        createdRoles.push(name);
      } catch (err) {
        // Another runner on another database of the same server made it first: roles are per server.
        const code = (err as { code?: string }).code;
        if (code !== '42710' && code !== '23505') throw privilegeFailure(`CREATE ROLE ${quoteIdent(name)}`, err);
      }
    }
    catalog = await readPrivilegeCatalog(runner, settings.policy.schemas, names);
  }
  const plan = planPrivileges(settings, catalog);
  if (plan.statements.length) {
    await runner.query('BEGIN');
    let current = '';
    try {
      for (const sql of plan.statements) {
        current = sql;
        await runner.query(sql);
      }
      await runner.query('COMMIT');
    } catch (err) {
      await runner.query('ROLLBACK').catch(() => undefined);
      throw privilegeFailure(current, err);
    }
  }
  const missingRoles = plan.missingRoles.map((m) => ({
    ...m,
    message:
      settings.createRoles && !catalog.canCreateRoles
        ? `${m.message}; the migration role ${catalog.currentUser} has neither SUPERUSER nor CREATEROLE`
        : m.message,
  }));
  // `drift` is what this run found and removed; `ok` says whether anything is left undone.
  return {
    ...report({ ...plan, missingRoles }),
    ok: !missingRoles.length && !plan.policyProblems.length,
    createdRoles,
    statements: plan.statements,
  };
}

function privilegeFailure(statement: string, err: unknown): MigratorError {
  return new MigratorError(
    'privileges_failed',
    `applying the privilege policy failed at: ${statement}: ${(err as Error).message}; no privilege was changed (the grants run in one transaction)`,
    { statement },
    { cause: err },
  );
}
