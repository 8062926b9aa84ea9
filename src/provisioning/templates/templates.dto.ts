import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsDefined, IsString, Length, Matches, ValidateIf, ValidateNested } from 'class-validator';

import { TEMPLATE_LIMITS } from './template-spec';
import { TemplateSpecDto } from './template-spec.dto';

const TEMPLATE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._:-]{0,99}$/;

class TemplateBodyFields {
  @ApiPropertyOptional({ maxLength: TEMPLATE_LIMITS.description, example: 'Standard onboarding' })
  @ValidateIf((_dto: object, value: unknown) => value !== undefined)
  @IsString()
  @Length(0, TEMPLATE_LIMITS.description)
  description?: string;

  @ApiProperty({ type: TemplateSpecDto, description: 'The desired state of each company' })
  // ValidateNested passes an absent value: without this a body with no spec reached the checks (500).
  @IsDefined()
  @ValidateNested()
  @Type(() => TemplateSpecDto)
  spec!: TemplateSpecDto;
}

export class CreateTemplateDto extends TemplateBodyFields {
  @ApiProperty({ pattern: TEMPLATE_NAME_PATTERN.source, example: 'retail-onboarding' })
  @IsString()
  @Matches(TEMPLATE_NAME_PATTERN, {
    message: 'name must be 1-100 of A-Z a-z 0-9 space . _ : - (starting with a letter or digit)',
  })
  name!: string;
}

/** A new version of the template; a description left out is carried over from the version replaced. */
export class UpdateTemplateDto extends TemplateBodyFields {}

export class TemplateResponseDto {
  @ApiProperty({ format: 'uuid', description: 'The id of this version' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ minimum: 1 })
  version!: number;

  @ApiProperty({ type: String, nullable: true })
  description!: string | null;

  @ApiProperty({ type: TemplateSpecDto })
  spec!: TemplateSpecDto;

  @ApiProperty({ type: String, format: 'date-time' })
  createdAt!: Date;

  @ApiProperty({ description: 'Staff email or API key name that saved this version' })
  createdBy!: string;
}
