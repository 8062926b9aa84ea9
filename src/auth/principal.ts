import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

import type { StaffRole } from './roles';

/** Who is calling: a signed-in staff user (JWT) or a staff API key. Never carries a secret. */
export interface Principal {
  kind: 'staff' | 'api_key';
  /** The staff user id (kind staff) or the API key id (kind api_key). */
  id: string;
  /** The staff user behind the call (for an API key its owner, whose role caps the key's). */
  staffId: string | null;
  /** An email or key name, for logs and the audit trail. */
  label: string;
  role: StaffRole;
  /** The refresh-token family of a JWT session (so logout can end it); null for API keys. */
  sessionId: string | null;
}

/** The principal the auth guard put on the request, if any. */
export function principalOf(request: { user?: unknown }): Principal | undefined {
  return request.user as Principal | undefined;
}

/** `@CurrentPrincipal() principal: Principal` in a handler of a protected route. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal | undefined =>
    principalOf(context.switchToHttp().getRequest<{ user?: unknown }>()),
);

/** The principal of a signed-in staff user (`sessionId`: the JWT's refresh family; null while logging in). */
export function staffPrincipal(
  user: { id: string; email: string; role: StaffRole },
  sessionId: string | null,
): Principal {
  return { kind: 'staff', id: user.id, staffId: user.id, label: user.email, role: user.role, sessionId };
}
