import { describeBlobStoreContract } from '../storage/blob-store-contract.js';
import { MemoryBlobStore } from './memory-blob-store.js';

describeBlobStoreContract('MemoryBlobStore', () => Promise.resolve({ store: new MemoryBlobStore() }));
