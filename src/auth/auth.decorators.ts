import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';

import { ApiProblemResponses } from '../common/http/api-problem.decorator';
import type { StaffRole } from './roles';

/** Who may call a route: anyone, or an authenticated caller with at least `role`. */
export type RouteAccess = { public: true } | { public: false; role: StaffRole };

/** One metadata key for both decorators, so a handler's choice overrides its class's in one lookup. */
export const ROUTE_ACCESS_KEY = 'auth:access';

/** The OpenAPI security scheme names (registered in src/app.setup.ts). */
export const BEARER_SCHEME = 'bearer';
export const API_KEY_SCHEME = 'api-key';
export const API_KEY_HEADER = 'X-API-Key';

/** No authentication. Without this or `@Roles`, the global guard refuses the route to everyone. */
export const Public = (): MethodDecorator & ClassDecorator =>
  SetMetadata<string, RouteAccess>(ROUTE_ACCESS_KEY, { public: true });

/** An authenticated caller whose role includes `role` (admin ⊇ operator ⊇ viewer). */
export const Roles = (role: StaffRole): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata<string, RouteAccess>(ROUTE_ACCESS_KEY, { public: false, role }),
    // Two entries: a bearer token OR an API key.
    ApiBearerAuth(BEARER_SCHEME),
    ApiSecurity(API_KEY_SCHEME),
    ApiProblemResponses(401, 403),
  );
