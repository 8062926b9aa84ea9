import { Injectable } from '@nestjs/common';

import { CompanyVendorService } from '../../company-context/company-vendor.service';
import { MispVendorService } from '../../relationships/misp-vendor.service';
import { SubscribersService } from '../../subscribers/subscribers.service';

/** What a StepRun calls through: the company's context (token, 401 renew, quota) and the MiSP's. */
@Injectable()
export class StepServices {
  constructor(
    readonly companyVendor: CompanyVendorService,
    readonly misp: MispVendorService,
    readonly subscribers: SubscribersService,
  ) {}
}
