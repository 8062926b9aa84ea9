import { Injectable, type OnModuleInit } from '@nestjs/common';

import { Clock } from '../common/time/clock';
import { unauthorized } from './auth-errors';
import { LoginThrottleService } from './login-throttle.service';
import { LoginMetrics } from './login.metrics';
import { PasswordHasher } from './password-hasher';
import { staffPrincipal, type Principal } from './principal';
import type { StaffUserEntity } from './staff-user.entity';
import { normalizeEmail } from './staff.service';
import { StaffUsersRepository } from './staff-users.repository';

// One message for an unknown email, a wrong password and a disabled user: the answer must not tell them apart.
const BAD_CREDENTIALS = 'The email or password is not correct';

/** Checks an email and password, throttled per address, per account and address, and per account. */
@Injectable()
export class LoginService implements OnModuleInit {
  constructor(
    private readonly staff: StaffUsersRepository,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottleService,
    private readonly metrics: LoginMetrics,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    // In the background: boot does not wait, and a failure here resurfaces on the first unknown email.
    this.hasher.prepareDummy().catch(() => undefined);
  }

  /**
   * The attempt's throttle slots are taken before anything else, so the password check (~100-300 ms of
   * scrypt) runs only with a slot in hand: concurrent guesses cannot all slip in before the first is counted.
   */
  async authenticate(email: string, password: string, ip: string): Promise<Principal> {
    const attempt = { email: normalizeEmail(email), ip };
    const reservation = await this.throttle.reserve(attempt);
    let user: StaffUserEntity | null;
    let valid: boolean;
    try {
      user = await this.staff.findByEmail(attempt.email);
      valid = await this.checkPassword(password, user);
    } catch (error) {
      await this.throttle.release(reservation);
      throw error;
    }
    if (user === null || !valid || user.disabled) {
      await this.throttle.recordFailure(reservation);
      throw unauthorized(BAD_CREDENTIALS);
    }
    await this.throttle.recordSuccess(reservation);
    await this.staff.update(user.id, { lastLoginAt: this.clock.now() });
    return staffPrincipal(user, null);
  }

  /** Spends one password check either way (an unknown email checks a dummy hash: the same time). */
  private async checkPassword(password: string, user: StaffUserEntity | null): Promise<boolean> {
    let valid = false;
    if (user === null) {
      await this.hasher.verifyDummy(password);
    } else {
      valid = await this.hasher.verify(password, user.passwordHash);
    }
    this.metrics.passwordChecked(valid ? 'success' : 'failure');
    return valid;
  }
}
