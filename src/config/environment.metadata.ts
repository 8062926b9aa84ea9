import 'reflect-metadata';

const DESCRIPTION_KEY = Symbol('env:description');
const SENSITIVE_KEY = Symbol('env:sensitive');
const VARIABLES_KEY = Symbol('env:variables');

/**
 * One sentence for `.env.example` and the README configuration table. It also registers the property as an
 * environment variable, so optional variables without an initialiser are still known by name.
 */
export function Describe(text: string): PropertyDecorator {
  return (target, property) => {
    Reflect.defineMetadata(DESCRIPTION_KEY, text, target, property);
    const names = (Reflect.getMetadata(VARIABLES_KEY, target) as string[] | undefined) ?? [];
    Reflect.defineMetadata(VARIABLES_KEY, [...names, String(property)], target);
  };
}

/** A secret: masked wherever configuration is shown, and refused in production when it is a placeholder. */
export function Sensitive(): PropertyDecorator {
  return (target, property) => Reflect.defineMetadata(SENSITIVE_KEY, true, target, property);
}

export interface VariableDescription {
  name: string;
  description: string;
  sensitive: boolean;
}

/** The described variables of a schema instance, in declaration order. */
export function describeVariables(schema: object): VariableDescription[] {
  const prototype = Object.getPrototypeOf(schema) as object;
  const names = (Reflect.getMetadata(VARIABLES_KEY, prototype) as string[] | undefined) ?? [];
  return names.map((name) => ({
    name,
    description: (Reflect.getMetadata(DESCRIPTION_KEY, prototype, name) as string | undefined) ?? '',
    sensitive: Reflect.getMetadata(SENSITIVE_KEY, prototype, name) === true,
  }));
}
