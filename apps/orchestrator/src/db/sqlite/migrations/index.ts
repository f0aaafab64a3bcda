import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { ClaimsAndExecutors1765000000000 } from './1765000000000-claims-and-executors';

/** Every SQLite migration, oldest first; postgres/migrations has one of the same name for each. */
export const SQLITE_MIGRATIONS = [InitialSchema1764000000000, ClaimsAndExecutors1765000000000];
