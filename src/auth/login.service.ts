import { Injectable, type OnModuleInit } from '@nestjs/common';

import { Clock } from '../common/time/clock';
import { unauthorized } from './auth-errors';
import { LoginThrottleService } from './login-throttle.service';
import { PasswordHasher } from './password-hasher';
import { staffPrincipal, type Principal } from './principal';
import { normalizeEmail } from './staff.service';
import { StaffUsersRepository } from './staff-users.repository';

// One message for an unknown email, a wrong password and a disabled user: the answer must not tell them apart.
const BAD_CREDENTIALS = 'The email or password is not correct';

/** Checks an email and password, with throttling of failures per account and per client address. */
@Injectable()
export class LoginService implements OnModuleInit {
  constructor(
    private readonly staff: StaffUsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottleService,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    // In the background: boot does not wait, and a failure here resurfaces on the first unknown email.
    this.hasher.prepareDummy().catch(() => undefined);
  }

  async authenticate(email: string, password: string, ip: string): Promise<Principal> {
    const attempt = { email: normalizeEmail(email), ip };
    await this.throttle.assertAllowed(attempt);
    const user = await this.staff.findByEmail(attempt.email);
    if (user === null) {
      await this.hasher.verifyDummy(password);
    }
    const valid = user !== null && (await this.hasher.verify(password, user.passwordHash));
    if (user === null || !valid || user.disabled) {
      await this.throttle.recordFailure(attempt);
      throw unauthorized(BAD_CREDENTIALS);
    }
    await this.throttle.recordSuccess(attempt);
    await this.staff.update(user.id, { lastLoginAt: this.clock.now() });
    return staffPrincipal(user, null);
  }
}
