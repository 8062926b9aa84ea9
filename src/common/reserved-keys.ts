/**
 * Keys every JavaScript object already has (`constructor`, `__proto__`, `toString`, `valueOf`, …).
 * class-transformer, which turns every body into its DTO, skips such a key when it copies a plain object (it
 * would overwrite a method: `vars.toString` vanished silently) and crashes on an object-valued `constructor`
 * (it takes it for the class to build: 500 "targetType is not a constructor"); a lookup `vars[name]` would
 * find the inherited member. No Tenantry field or variable may be named like that.
 */
const RESERVED_KEYS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

export function isReservedKey(key: string): boolean {
  return RESERVED_KEYS.has(key);
}

export function reservedKeyMessage(key: string): string {
  return `${key} is a reserved name (every JavaScript object has it) and cannot be used as a key`;
}
