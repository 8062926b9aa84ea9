import { ValidationPipe, type ValidationError } from '@nestjs/common';

import { AppError, type FieldProblem } from '../errors/app-error';

/** Flattens nested class-validator errors into `{field: "rows.3.email", message}` pairs. */
export function toFieldProblems(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...toFieldProblems(error.children ?? [], field)];
  });
}

/** Whitelist, refuse unknown fields, transform to DTO classes; failures become VALIDATION_FAILED problems. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => AppError.validation(toFieldProblems(errors)),
  });
}
