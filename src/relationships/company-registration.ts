import { Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';

import { AppError } from '../common/errors/app-error';
import { ErrorCode } from '../common/errors/error-code';
import { VendorError } from '../ipaas/vendor-error';
import type { SubscriberEntity } from '../subscribers/subscriber.entity';
import {
  type CreateSubscriberInput,
  SubscribersService,
  type SubscriberView,
} from '../subscribers/subscribers.service';
import { MispListing } from './misp-listing';

const MAX_REASON_LENGTH = 500;

/** The relationship fields a new registry row starts with. */
export type RegisteredFields = Pick<SubscriberEntity, 'status' | 'statusReason' | 'vendorRequestId'>;

/**
 * What iPaaS.com said about the companies of one registration: `fieldsOf` gives a listed company's row
 * fields and undefined for one the MiSP neither serves nor has a request from. When the listing could not
 * be read, every company gets `unverified` fields instead.
 */
export interface RegistrationCheck {
  verified: boolean;
  fieldsOf(companyId: string): RegisteredFields | undefined;
}

export function unknownCompanyMessage(companyId: string): string {
  return (
    `iPaaS.com does not list company ${companyId} for the MiSP: the MiSP neither serves it nor has a ` +
    'subscriber request from it (check the id, or let the company send its request first)'
  );
}

/**
 * Registration of companies in the registry, by hand (POST /v1/subscribers), by a provisioning job row or
 * by a webhook `onboard`: each company must be one iPaaS.com lists for the MiSP (the sync's own listing), and
 * starts in the relationship status the vendor gives it. An id the vendor does not list is refused, so the
 * registry holds no company that could never be worked on or offboarded. When the listing cannot be read
 * (vendor down, no MiSP login yet), the row is stored `unverified`: no vendor calls are made for it, and the
 * next sync gives it the vendor's status or marks it gone.
 */
@Injectable()
export class CompanyRegistration {
  constructor(
    private readonly listing: MispListing,
    private readonly subscribers: SubscribersService,
    @InjectPinoLogger(CompanyRegistration.name) private readonly logger: PinoLogger,
  ) {}

  /** Reads the listing once (or reuses a recent one) for all of `companyIds`. */
  async check(companyIds: readonly string[]): Promise<RegistrationCheck> {
    try {
      const directory = await this.listing.directoryFor(companyIds);
      return {
        verified: true,
        fieldsOf: (companyId) => {
          const fields = directory.fieldsOf(companyId);
          if (fields === undefined || !directory.lists(companyId)) {
            return undefined;
          }
          return {
            status: fields.status,
            statusReason: fields.statusReason,
            vendorRequestId: fields.vendorRequestId,
          };
        },
      };
    } catch (error) {
      // Only "iPaaS.com could not be asked" degrades to unverified; a bug stays a bug.
      if (!(error instanceof VendorError) && !(error instanceof AppError)) {
        throw error;
      }
      const problem = error instanceof VendorError ? error.toAppError() : error;
      const cause = `${problem.code}: ${problem.detail}`;
      this.logger.warn(
        { companies: companyIds.length, cause },
        'the MiSP listing could not be read: new subscribers are stored unverified',
      );
      const fields: RegisteredFields = {
        status: 'unverified',
        statusReason: `not verified at iPaaS.com (${cause}); the next sync verifies it`.slice(
          0,
          MAX_REASON_LENGTH,
        ),
        vendorRequestId: null,
      };
      return { verified: false, fieldsOf: () => fields };
    }
  }

  /** POST /v1/subscribers: 422 SUBSCRIBER_UNKNOWN_AT_VENDOR for a company iPaaS.com does not list. */
  async register(input: CreateSubscriberInput): Promise<SubscriberView> {
    await this.subscribers.refuseTaken(input);
    const fields = (await this.check([input.ipaasCompanyId])).fieldsOf(input.ipaasCompanyId);
    if (fields === undefined) {
      throw new AppError(
        ErrorCode.SUBSCRIBER_UNKNOWN_AT_VENDOR,
        unknownCompanyMessage(input.ipaasCompanyId),
        { extensions: { ipaasCompanyId: input.ipaasCompanyId } },
      );
    }
    return this.subscribers.create(input, fields);
  }
}
