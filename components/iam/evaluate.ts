/**
 * A small, pure evaluator of identity-based IAM policies, for tests and reviews: "may this role do
 * this action on this resource in this request context?". It implements what our policies use:
 * Allow/Deny (an explicit Deny wins), `*` and `?` wildcards in Action and Resource, NotAction is not
 * supported (an error), and the condition operators StringEquals, StringLike, ArnEquals, ArnLike,
 * Bool, with the `ForAnyValue:` / `ForAllValues:` set qualifiers. An unknown operator throws, so a
 * policy the evaluator does not understand can never pass a test by accident.
 */
import type { PolicyDocument, PolicyStatement } from "./policy";

/** Request context: condition keys (e.g. `kms:ViaService`) to one or more values. */
export type RequestContext = Record<string, string | string[]>;

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IAM glob: `*` any run of characters, `?` one character; case-sensitive unless `ci`. */
export function globMatch(pattern: string, value: string, ci = false): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
    ci ? "i" : "",
  );
  return re.test(value);
}

function operatorMatch(op: string, expected: string[], actual: string): boolean {
  switch (op) {
    case "StringEquals":
    case "ArnEquals":
      return expected.includes(actual);
    case "StringLike":
    case "ArnLike":
      return expected.some((p) => globMatch(p, actual));
    case "Bool":
      return expected.map((x) => x.toLowerCase()).includes(actual.toLowerCase());
    default:
      throw new Error(`evaluate: condition operator ${op} is not supported`);
  }
}

function conditionHolds(condition: PolicyStatement["Condition"], ctx: RequestContext): boolean {
  for (const [rawOp, keys] of Object.entries(condition ?? {})) {
    const [qualifier, op] = rawOp.includes(":") ? (rawOp.split(":") as [string, string]) : [undefined, rawOp];
    for (const [key, want] of Object.entries(keys)) {
      const expected = list(want);
      const actual = list(ctx[key]);
      if (qualifier === "ForAnyValue") {
        if (!actual.some((a) => operatorMatch(op, expected, a))) return false;
      } else if (qualifier === "ForAllValues") {
        if (!actual.every((a) => operatorMatch(op, expected, a))) return false;
      } else if (qualifier !== undefined) {
        throw new Error(`evaluate: condition qualifier ${qualifier} is not supported`);
      } else {
        // A single-valued key: absent means the condition does not hold.
        if (actual.length !== 1 || !operatorMatch(op, expected, actual[0]!)) return false;
      }
    }
  }
  return true;
}

function statementMatches(s: PolicyStatement, action: string, resource: string, ctx: RequestContext): boolean {
  if (
    (s as unknown as Record<string, unknown>).NotAction !== undefined ||
    (s as unknown as Record<string, unknown>).NotResource !== undefined
  ) {
    throw new Error("evaluate: NotAction/NotResource are not supported");
  }
  if (!list(s.Action).some((a) => globMatch(a, action, true))) return false;
  if (!list(s.Resource).some((r) => globMatch(r, resource))) return false;
  return conditionHolds(s.Condition, ctx);
}

/** Whether the policies together allow `action` on `resource` in `ctx` (no allow = implicit deny). */
export function iamAllows(policies: PolicyDocument[], action: string, resource: string, ctx: RequestContext = {}): boolean {
  const statements = policies.flatMap((p) => p.Statement);
  if (statements.some((s) => s.Effect === "Deny" && statementMatches(s, action, resource, ctx))) return false;
  return statements.some((s) => s.Effect === "Allow" && statementMatches(s, action, resource, ctx));
}

/**
 * Whether a role with these policies can read a Secrets Manager secret end to end: GetSecretValue on
 * the secret, and kms:Decrypt on its key as Secrets Manager calls it (ViaService + SecretARN context).
 */
export function canReadSecret(policies: PolicyDocument[], secretArn: string, kmsKeyArn: string, region: string): boolean {
  return (
    iamAllows(policies, "secretsmanager:GetSecretValue", secretArn) &&
    iamAllows(policies, "kms:Decrypt", kmsKeyArn, {
      "kms:ViaService": `secretsmanager.${region}.amazonaws.com`,
      "kms:EncryptionContext:SecretARN": secretArn,
    })
  );
}
