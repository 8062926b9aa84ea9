import { randomUUID } from 'node:crypto';

import { Injectable } from '@nestjs/common';

/** New primary keys, behind a class so tests can make them predictable. */
@Injectable()
export class IdGenerator {
  newId(): string {
    return randomUUID();
  }
}
