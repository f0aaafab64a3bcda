import { MemoryStore } from './memory/store';
import { storeSuite } from './testing/store-suite';

storeSuite({ name: 'memory', create: async () => new MemoryStore() });
