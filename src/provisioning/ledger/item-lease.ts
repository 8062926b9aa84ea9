import type { Clock } from '../../common/time/clock';
import type { LedgerRepository } from './ledger.repository';
import type { LeasedClaim } from './ledger.types';

/** The claim was lost (a fenced write affected 0 rows, or the lease is gone): stop without writing anything. */
export class LeaseLost extends Error {
  constructor(message = 'The lease of this provisioning item was lost') {
    super(message);
    this.name = 'LeaseLost';
  }
}

/**
 * The lease is held but too little of it is left for a vendor write to finish inside it (a renewal took too
 * long). Nothing was sent; the run hands the item back so it can be claimed again at once.
 */
export class LeaseTooShort extends LeaseLost {
  constructor(leftMs: number, neededMs: number) {
    super(`Only ${leftMs} ms of the lease are left; a vendor write needs more than ${neededMs} ms`);
    this.name = 'LeaseTooShort';
  }
}

/**
 * The lease one run holds on its item, as this process knows it: until when it was last written (by the claim,
 * the pool's periodic renewal or the run itself) and whether a renewal found it lost.
 *
 * Why a run checks it before every vendor write, not only before a step: between a step's read and its create
 * lies the wait in the call scheduler (seconds when many items share the vendor's rate, more on a starved CPU),
 * and a lease can lapse there. Another worker then claims the item, reads "missing" too, and both create.
 * The fence protects the ledger's rows, not the vendor. So immediately before a mutating call is sent (after the
 * scheduler's wait) the run requires more than one request timeout of lease left, renews when it has less, and
 * abandons the call, unsent, when the lease was taken over or cannot be extended far enough. A write that is
 * sent therefore ends, one way or the other, while this run still holds the item.
 */
export class ItemLease {
  private leaseUntil: number;
  private lost = false;
  private renewal: Promise<void> | undefined;

  constructor(
    readonly claim: LeasedClaim,
    private readonly ledger: LedgerRepository,
    private readonly clock: Clock,
    private readonly leaseMs: number,
  ) {
    this.leaseUntil = claim.leaseUntil;
  }

  /** The pool renewed the lease (or found it lost) in its periodic batch. */
  renewed(until: number | null): void {
    if (until === null) {
      this.lost = true;
    } else {
      this.leaseUntil = Math.max(this.leaseUntil, until);
    }
  }

  get isLost(): boolean {
    return this.lost;
  }

  /** Milliseconds of lease left now (negative: lapsed). */
  leftMs(): number {
    return this.leaseUntil - this.clock.nowMs();
  }

  /**
   * Resolves when more than `neededMs` of lease are left, renewing first if fewer are; throws LeaseLost when
   * the item was taken over, LeaseTooShort when even a fresh renewal leaves too little.
   */
  async ensure(neededMs: number): Promise<void> {
    if (this.lost) {
      throw new LeaseLost();
    }
    if (this.leftMs() > neededMs) {
      return;
    }
    // One renewal at a time per run; a caller arriving during one waits for it and checks again.
    this.renewal ??= this.renew().finally(() => (this.renewal = undefined));
    await this.renewal;
    if (this.lost) {
      throw new LeaseLost();
    }
    const left = this.leftMs();
    if (left <= neededMs) {
      throw new LeaseTooShort(left, neededMs);
    }
  }

  private async renew(): Promise<void> {
    const now = this.clock.nowMs();
    const until = now + this.leaseMs;
    this.renewed((await this.ledger.heartbeat(this.claim, now, until)) ? until : null);
  }
}
