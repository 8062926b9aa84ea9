import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

import { MIGRATIONS, MIGRATIONS_LIST_PATH } from './migrations';

const ROOT = join(__dirname, '..', '..');
const MIGRATIONS_DIR = join(__dirname, 'migrations');
/** The name TypeORM's migration:generate gives a file: `<13-digit timestamp>-<Name>.ts`. */
const MIGRATION_FILE = /^(\d{13})-[A-Za-z0-9]+\.ts$/;
/** Folders that hold no source of ours (installed, built, or runtime data). */
const NOT_SOURCE = new Set(['node_modules', 'dist', 'data', 'coverage', '.git', '.tmp']);

function migrationFilesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) {
      return NOT_SOURCE.has(entry.name) ? [] : migrationFilesUnder(path);
    }
    return MIGRATION_FILE.test(entry.name) ? [path] : [];
  });
}

/** TypeORM's name of a migration: its `name` property, else the class name (both end in the timestamp). */
function typeormName(migration: (typeof MIGRATIONS)[number]): string {
  return new migration().name ?? migration.name;
}

describe(`the migrations list (${MIGRATIONS_LIST_PATH})`, () => {
  const files = readdirSync(MIGRATIONS_DIR)
    .filter((file) => MIGRATION_FILE.test(file))
    .sort();

  it('lists exactly the migration classes of the files in its folder, each once', async () => {
    const exported = new Set<unknown>();
    for (const file of files) {
      const module = (await import(join(MIGRATIONS_DIR, file))) as Record<string, unknown>;
      const classes = Object.values(module).filter((value) => typeof value === 'function');
      expect({ file, classes: classes.length }).toEqual({ file, classes: 1 });
      classes.forEach((value) => exported.add(value));
    }
    const unlisted = [...exported].filter(
      (value) => !MIGRATIONS.includes(value as (typeof MIGRATIONS)[number]),
    );
    expect(unlisted.map((value) => (value as { name: string }).name)).toEqual([]);
    expect(new Set(MIGRATIONS).size).toBe(MIGRATIONS.length);
    expect(MIGRATIONS.length).toBe(files.length);
  });

  it('is in timestamp order, and every name carries its file timestamp', () => {
    const names = MIGRATIONS.map(typeormName);
    const timestamps = names.map((name) => Number(/(\d{13})$/.exec(name)?.[1]));
    expect(timestamps).toEqual([...timestamps].sort((a, b) => a - b));
    expect(timestamps).toEqual(files.map((file) => Number(MIGRATION_FILE.exec(file)?.[1])));
  });

  it('has no migration file outside its folder (e.g. a branch that still adds them to a top-level migrations/)', () => {
    const elsewhere = migrationFilesUnder(ROOT)
      .filter((path) => !path.startsWith(`${MIGRATIONS_DIR}/`))
      .map((path) => relative(ROOT, path));
    expect(elsewhere).toEqual([]);
  });
});
