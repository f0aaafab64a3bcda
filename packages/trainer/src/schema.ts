/**
 * Config schemas: every key a model (or the trainer) reads, with its type and what values it allows. A schema is
 * declared once, next to the code that reads the keys; `parseConfig` checks a flat record against it and returns
 * the typed view. Defaults live in the YAML config files (MMSA's layout), the rules live here.
 */
import type { ConfigRecord, ConfigValue } from './contract';

interface KeyRuleBase<T extends ConfigValue> {
  /** `variant`: the key names a variant of the model (MIDG's ablations); tables group rows by it. */
  readonly variant?: boolean;
  /** Checks a value of the right type; returns a complaint or undefined. */
  readonly check: (value: T) => string | undefined;
  /** What is allowed, for error messages and `midg models`. */
  readonly allowed: string;
}

export interface NumberRule extends KeyRuleBase<number> {
  readonly type: 'number';
}
export interface BooleanRule extends KeyRuleBase<boolean> {
  readonly type: 'boolean';
}
export interface StringRule<T extends string = string> extends KeyRuleBase<string> {
  readonly type: 'string';
  /** Present for a fixed set of choices. */
  readonly choices?: readonly T[];
}

export type KeyRule = NumberRule | BooleanRule | StringRule;
export type ConfigSchema = Readonly<Record<string, KeyRule>>;

/** The typed config a schema describes. */
export type ConfigOf<S extends ConfigSchema> = {
  [K in keyof S]: S[K] extends StringRule<infer C> ? C : S[K] extends NumberRule ? number : S[K] extends BooleanRule ? boolean : never;
};

/** A number in [min, max] (whole when `integer`). */
export function numberKey(range: { min?: number; max?: number; integer?: boolean; minExclusive?: boolean } = {}): NumberRule {
  const { min = -Infinity, max = Infinity, integer = false, minExclusive = false } = range;
  const bounds =
    min === -Infinity && max === Infinity
      ? ''
      : max === Infinity
        ? ` ${minExclusive ? '>' : '≥'} ${min}`
        : min === -Infinity
          ? ` ≤ ${max}`
          : ` in ${minExclusive ? '(' : '['}${min}, ${max}]`;
  const allowed = `${integer ? 'a whole number' : 'a number'}${bounds}`;
  return {
    type: 'number',
    allowed,
    check: (value) =>
      !Number.isFinite(value) || value < min || (minExclusive && value === min) || value > max || (integer && !Number.isInteger(value))
        ? allowed
        : undefined,
  };
}

export function booleanKey(): BooleanRule {
  return { type: 'boolean', allowed: 'true or false', check: () => undefined };
}

/** One of a fixed list of strings. */
export function choiceKey<const T extends string>(choices: readonly T[], options: { variant?: boolean } = {}): StringRule<T> {
  const allowed = `one of ${choices.join(' | ')}`;
  return {
    type: 'string',
    choices,
    allowed,
    ...(options.variant ? { variant: true } : {}),
    check: (value) => ((choices as readonly string[]).includes(value) ? undefined : allowed),
  };
}

/** A string checked by a predicate that explains itself. */
export function stringKey(allowed: string, check: (value: string) => boolean, options: { variant?: boolean } = {}): StringRule {
  return { type: 'string', allowed, ...(options.variant ? { variant: true } : {}), check: (value) => (check(value) ? undefined : allowed) };
}

/** Converts a `--set key=value` string to the key's type (numbers and booleans); strings stay as they are. */
export function coerceValue(rule: KeyRule, text: string): ConfigValue | undefined {
  if (rule.type === 'number') {
    const value = Number(text);
    return text.trim() === '' || Number.isNaN(value) ? undefined : value;
  }
  if (rule.type === 'boolean') return text === 'true' ? true : text === 'false' ? false : undefined;
  return text;
}

/**
 * Why `value` is not allowed for `key` (undefined when it is). Strings given for number or boolean keys are
 * coerced first, as `--set` passes them.
 */
export function keyProblem(schema: ConfigSchema, key: string, value: unknown): string | undefined {
  const rule = schema[key];
  if (!rule) return `unknown key "${key}"; known keys: ${Object.keys(schema).sort().join(', ')}`;
  const coerced = typeof value === 'string' && rule.type !== 'string' ? coerceValue(rule, value) : value;
  if (typeof coerced !== rule.type) return `"${key}" must be ${rule.allowed}, got ${JSON.stringify(value)}`;
  const complaint = (rule.check as (v: ConfigValue) => string | undefined)(coerced as ConfigValue);
  return complaint === undefined ? undefined : `"${key}" must be ${complaint}, got ${JSON.stringify(value)}`;
}

/** The value of `key` in the type the schema gives it (strings coerced); throws keyProblem's message. */
export function checkedValue(schema: ConfigSchema, key: string, value: unknown): ConfigValue {
  const problem = keyProblem(schema, key, value);
  if (problem) throw new Error(problem);
  const rule = schema[key]!;
  return typeof value === 'string' && rule.type !== 'string' ? coerceValue(rule, value)! : (value as ConfigValue);
}

/** Checks every key of a complete record against the schema (no missing, no unknown keys) and returns it typed. */
export function parseConfig<S extends ConfigSchema>(schema: S, record: ConfigRecord, where = 'config'): ConfigOf<S> {
  const typed: ConfigRecord = {};
  for (const key of Object.keys(schema)) {
    if (record[key] === undefined) throw new Error(`${where}: missing key "${key}"`);
  }
  for (const [key, value] of Object.entries(record)) {
    try {
      typed[key] = checkedValue(schema, key, value);
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message}`);
    }
  }
  return typed as ConfigOf<S>;
}

/** The keys whose values name model variants (tables show them as rows). */
export function variantKeys(schema: ConfigSchema): string[] {
  return Object.entries(schema)
    .filter(([, rule]) => rule.variant)
    .map(([key]) => key);
}
