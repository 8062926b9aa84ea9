import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';

import { IsDisplayName } from '../../common/http/is-display-name';
import { Optional } from '../../common/http/optional';
import { isReservedKey, reservedKeyMessage } from '../../common/reserved-keys';

import {
  type CustomerSpec,
  isEmailShaped,
  type PersistentDataSpec,
  type RelationshipSpec,
  type RoleShareSpec,
  type RoleSpec,
  TEMPLATE_LIMITS as LIMITS,
  type TemplateSpec,
  type UserSpec,
  VARIABLE_NAME_PATTERN,
  type VariableSpec,
} from './template-spec';

/** A list of at most TEMPLATE_LIMITS.listItems objects, each validated as `type`. */
function NestedList(type: () => new () => object): PropertyDecorator {
  return (target, key) => {
    IsArray()(target, key);
    ArrayMaxSize(LIMITS.listItems)(target, key);
    ValidateNested({ each: true })(target, key);
    Type(type)(target, key);
  };
}

function Nested(type: () => new () => object): PropertyDecorator {
  return (target, key) => {
    ValidateNested()(target, key);
    Type(type)(target, key);
  };
}

function IsEmailShaped(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isEmailShaped',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && isEmailShaped(value),
        defaultMessage: (args) => `${args?.property ?? 'email'} must be an email address`,
      },
    },
    options,
  );
}

/** `"all"` or a positive integer (a vendor subscription id). */
function IsSubscriptionTarget(): PropertyDecorator {
  return ValidateBy({
    name: 'isSubscriptionTarget',
    validator: {
      validate: (value: unknown) => value === 'all' || (Number.isSafeInteger(value) && (value as number) > 0),
      defaultMessage: () => 'subscription must be "all" or a positive integer (a subscription id)',
    },
  });
}

const EMAIL_API = { maxLength: LIMITS.email, example: 'ops@{{ subscriber.ipaasCompanyId }}.example.com' };

export class RoleShareSpecDto implements RoleShareSpec {
  @ApiProperty({ minimum: 1, description: "A role of the MiSP's company", example: 42 })
  @IsInt()
  @Min(1)
  roleId!: number;

  @ApiPropertyOptional({ maxLength: LIMITS.purpose })
  @Optional()
  @IsString()
  @Length(1, LIMITS.purpose)
  purpose?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: LIMITS.maxDurationDays })
  @Optional()
  @IsInt()
  @Min(1)
  @Max(LIMITS.maxDurationDays)
  durationDays?: number;
}

export class RelationshipSpecDto implements RelationshipSpec {
  @ApiPropertyOptional({ description: "Approve the company's pending subscriber request, if any" })
  @Optional()
  @IsBoolean()
  approveRequest?: boolean;

  @ApiPropertyOptional({ type: [RoleShareSpecDto], maxItems: LIMITS.listItems })
  @Optional()
  @NestedList(() => RoleShareSpecDto)
  roleShares?: RoleShareSpecDto[];
}

export class RoleSpecDto implements RoleSpec {
  @ApiProperty({ maxLength: LIMITS.name, example: 'Store Manager' })
  @IsString()
  @Length(1, LIMITS.name)
  @IsDisplayName()
  name!: string;

  @ApiPropertyOptional({ maxLength: LIMITS.description })
  @Optional()
  @IsString()
  @Length(0, LIMITS.description)
  description?: string;

  @ApiProperty({
    type: [String],
    minItems: 1,
    maxItems: LIMITS.listItems,
    description: 'iPaaS.com permission names (any non-empty name; the vendor decides which exist)',
    example: ['Customer', 'Subscription'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(LIMITS.listItems)
  @IsString({ each: true })
  @Length(1, LIMITS.permission, { each: true })
  permissions!: string[];
}

export class UserSpecDto implements UserSpec {
  @ApiProperty(EMAIL_API)
  @IsString()
  @Length(1, LIMITS.email)
  @IsEmailShaped()
  email!: string;

  @ApiProperty({ maxLength: LIMITS.personName })
  @IsString()
  @Length(1, LIMITS.personName)
  firstName!: string;

  @ApiProperty({ maxLength: LIMITS.personName })
  @IsString()
  @Length(1, LIMITS.personName)
  lastName!: string;

  @ApiPropertyOptional({
    type: [String],
    maxItems: LIMITS.listItems,
    description: 'Role names: roles of this template, or the built-in Administrator / Viewer',
  })
  @Optional()
  @IsArray()
  @ArrayMaxSize(LIMITS.listItems)
  @IsString({ each: true })
  @Length(1, LIMITS.name, { each: true })
  roles?: string[];
}

export class PersistentDataSpecDto implements PersistentDataSpec {
  @ApiProperty({
    oneOf: [
      { type: 'string', enum: ['all'] },
      { type: 'integer', minimum: 1 },
    ],
    description: 'A vendor subscription id, or "all" subscriptions of the company',
    example: 'all',
  })
  @IsSubscriptionTarget()
  subscription!: 'all' | number;

  @ApiProperty({ maxLength: LIMITS.persistentName, example: 'Region' })
  @IsString()
  @Length(1, LIMITS.persistentName)
  name!: string;

  @ApiProperty({ maxLength: LIMITS.persistentValue, example: '{{ vars.region }}' })
  @IsString()
  @Length(0, LIMITS.persistentValue)
  value!: string;
}

export class CustomerSpecDto implements CustomerSpec {
  @ApiProperty(EMAIL_API)
  @IsString()
  @Length(1, LIMITS.email)
  @IsEmailShaped()
  email!: string;

  @ApiProperty({ maxLength: LIMITS.personName })
  @IsString()
  @Length(1, LIMITS.personName)
  @IsDisplayName()
  firstName!: string;

  @ApiProperty({ maxLength: LIMITS.personName })
  @IsString()
  @Length(1, LIMITS.personName)
  @IsDisplayName()
  lastName!: string;

  @ApiPropertyOptional({ maxLength: LIMITS.companyName })
  @Optional()
  @IsString()
  @Length(1, LIMITS.companyName)
  @IsDisplayName()
  companyName?: string;

  @ApiPropertyOptional({ maxLength: LIMITS.externalId, description: 'Needs externalSystemId' })
  @Optional()
  @IsString()
  @Length(1, LIMITS.externalId)
  externalId?: string;

  @ApiPropertyOptional({ minimum: 1, description: "The vendor's system_id the external id belongs to" })
  @Optional()
  @IsInt()
  @Min(1)
  externalSystemId?: number;
}

export class VariableSpecDto implements VariableSpec {
  @ApiProperty({ pattern: VARIABLE_NAME_PATTERN.source, example: 'region' })
  @IsString()
  @Matches(VARIABLE_NAME_PATTERN, {
    message: 'name must be 1-40 of A-Z a-z 0-9 _, starting with a letter',
  })
  // A job row gives it as a key of `vars`, where such a name is refused (src/common/reserved-keys.ts).
  @ValidateBy({
    name: 'isNotReservedKey',
    validator: {
      validate: (value: unknown) => typeof value !== 'string' || !isReservedKey(value),
      defaultMessage: (args) => `name ${reservedKeyMessage(String(args?.value))}`,
    },
  })
  name!: string;

  @ApiPropertyOptional({ description: 'A job row must give it (unless there is a default)' })
  @Optional()
  @IsBoolean()
  required?: boolean;

  @ApiPropertyOptional({ maxLength: LIMITS.variableDefault })
  @Optional()
  @IsString()
  @Length(0, LIMITS.variableDefault)
  default?: string;
}

/** Validated on save and again, with every placeholder substituted, for each company it is rendered for. */
export class TemplateSpecDto implements TemplateSpec {
  @ApiPropertyOptional({ type: RelationshipSpecDto })
  @Optional()
  @Nested(() => RelationshipSpecDto)
  relationship?: RelationshipSpecDto;

  @ApiPropertyOptional({ type: [RoleSpecDto], maxItems: LIMITS.listItems })
  @Optional()
  @NestedList(() => RoleSpecDto)
  roles?: RoleSpecDto[];

  @ApiPropertyOptional({ type: [UserSpecDto], maxItems: LIMITS.listItems })
  @Optional()
  @NestedList(() => UserSpecDto)
  users?: UserSpecDto[];

  @ApiPropertyOptional({ type: [PersistentDataSpecDto], maxItems: LIMITS.listItems })
  @Optional()
  @NestedList(() => PersistentDataSpecDto)
  persistentData?: PersistentDataSpecDto[];

  @ApiPropertyOptional({ type: [CustomerSpecDto], maxItems: LIMITS.listItems })
  @Optional()
  @NestedList(() => CustomerSpecDto)
  customers?: CustomerSpecDto[];

  @ApiPropertyOptional({ type: [VariableSpecDto], maxItems: LIMITS.listItems })
  @Optional()
  @NestedList(() => VariableSpecDto)
  variables?: VariableSpecDto[];
}
