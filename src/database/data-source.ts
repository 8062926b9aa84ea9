import 'reflect-metadata';

import { DataSource } from 'typeorm';

import { loadConfigFromProcess } from '../config/load-config';
import { buildTypeOrmOptions } from './typeorm-options';

/** Data source for the TypeORM CLI (`npm run migration:*`), built by the same function as the app's. */
export default new DataSource(buildTypeOrmOptions(loadConfigFromProcess()));
