import { InitialSchema1764000000000 } from './1764000000000-initial-schema';
import { ClaimsAndExecutors1765000000000 } from './1765000000000-claims-and-executors';
import { TestPredictionsAndPeakRss1766000000000 } from './1766000000000-test-predictions-and-peak-rss';

/** Every PostgreSQL migration, oldest first: the twins, by name, of sqlite/migrations. */
export const POSTGRES_MIGRATIONS = [InitialSchema1764000000000, ClaimsAndExecutors1765000000000, TestPredictionsAndPeakRss1766000000000];
