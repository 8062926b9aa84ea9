import { ValidateIf } from 'class-validator';

/**
 * Absent is fine; present means valid. class-validator's `IsOptional` also waves `null` through, which then
 * reached the services as a value (`{"disabled": null}` wrote NULL into a NOT NULL column: 500). Request body
 * fields use this; `IsOptional` stays only where null is a documented value ("null clears it").
 */
export function Optional(): PropertyDecorator {
  return ValidateIf((_object: object, value: unknown) => value !== undefined);
}
