import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Characters a display name may not hold: C0 and C1 controls and DEL (`\p{Cc}`: NUL, escapes, line breaks
 * that forge log and CSV lines or terminal output), the bidirectional formatting characters
 * (`\p{Bidi_Control}`: embeddings, overrides, isolates and marks, which make a name read differently from
 * what it is, the "Trojan Source" trick), and the Unicode line and paragraph separators.
 */
const NOT_IN_A_DISPLAY_NAME = /[\p{Cc}\p{Bidi_Control}\p{Zl}\p{Zp}]/u;

export const DISPLAY_NAME_MESSAGE =
  'must not contain control characters, line separators or bidirectional formatting characters';

/** True for text fit to show as a name (anything else is another validator's business). */
export function isDisplayName(value: unknown): boolean {
  return typeof value !== 'string' || !NOT_IN_A_DISPLAY_NAME.test(value);
}

/**
 * For every free-text name staff or a webhook set (staff, API keys, subscribers, template roles and people,
 * webhook sources): a refused value is a 400 VALIDATION_FAILED naming the field.
 */
export function IsDisplayName(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isDisplayName',
      validator: {
        validate: isDisplayName,
        defaultMessage: (args) => `${args?.property ?? 'name'} ${DISPLAY_NAME_MESSAGE}`,
      },
    },
    options,
  );
}
