import { ApiProperty } from '@nestjs/swagger';

import type {
  CredentialKind,
  CredentialView,
  CredentialViewStatus,
  MispAccountView,
} from './credentials.service';

/** Metadata of a company credential (the shape of CredentialView). Never the secret: a 4-character hint. */
export class CredentialViewDto implements CredentialView {
  @ApiProperty({ format: 'uuid' })
  subscriberId!: string;

  @ApiProperty({ enum: ['api_key', 'company_session'] })
  kind!: CredentialKind;

  @ApiProperty({
    description: 'Last 4 characters of the key or token (empty for short secrets)',
    example: '9c2e',
  })
  last4!: string;

  @ApiProperty({ description: 'Vault key id the secret is sealed under', example: 'k2' })
  keyId!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Session expiry' })
  expiresAt!: Date | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  lastVerifiedAt!: Date | null;

  @ApiProperty({
    enum: ['stored', 'valid', 'invalid'],
    description:
      '`stored`: never checked at iPaaS.com (saved with verify=false); `valid`: accepted at lastVerifiedAt; `invalid`: refused since',
  })
  status!: CredentialViewStatus;

  @ApiProperty({ type: String, nullable: true, example: 'iPaaS.com answered 401 after a refresh' })
  invalidReason!: string | null;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: Date;
}

/** Metadata of the MiSP login (the shape of MispAccountView). Never the password. */
export class MispAccountViewDto implements MispAccountView {
  @ApiProperty({ example: 'ops@misp.example' })
  email!: string;

  @ApiProperty({ type: Number, nullable: true, description: 'The MiSP user id at iPaaS.com' })
  vendorUserId!: number | null;

  @ApiProperty({ example: 'k2' })
  keyId!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  verifiedAt!: Date | null;

  @ApiProperty({ type: String, format: 'date-time' })
  updatedAt!: Date;
}
