// @hoard/client: the Hoard SDK. Isomorphic (fetch + web streams, no node:*): accounts and
// sessions, the encrypted tree, resumable parallel uploads and streaming ranged downloads. Keys
// and plaintext never leave the process; everything the server answers is parsed before use.

export { ApiError, ClientError, NetworkError, ProtocolError, isTransient } from './api-error.js';
export { nodeAttributesSchema, versionAttributesSchema } from './attributes.js';
export type { NodeAttributes, VersionAttributes } from './attributes.js';
export { Downloader, OpenedVersionCache } from './downloader.js';
export type { DownloadOptions } from './downloader.js';
export { HoardClient, normalizeEmail } from './hoard-client.js';
export type { HoardClientOptions, SavedSession } from './hoard-client.js';
export { HoardSession } from './hoard-session.js';
export { HttpClient } from './http-client.js';
export type { FetchLike } from './http-client.js';
export type { Account, Node, SessionInfo, Upload, Version } from './protocol-adapter.js';
export { joinRemotePath, splitRemotePath, validateName } from './remote-path.js';
export { isOpenInvoice, Payments } from './payments.js';
export type { AccountPlan, Invoice, Plan, PlansResponse, WaitOptions } from './payments.js';
export { MemoryResumeStore } from './resume-store.js';
export type { ResumeStore, UploadResumeRecord } from './resume-store.js';
export { withRetry } from './retry.js';
export type { RetryOptions } from './retry.js';
export { openVersion } from './tree.js';
export type { FolderListing, RemoteEntry, VersionEntry } from './tree.js';
export type { UploadOptions, UploadProgress, UploadResult, UploadSource } from './uploader.js';
export { LinkManager, PublicLinkSession, formatLinkUrl, parseLinkUrl, reportLink } from './sharing-links.js';
export type { LinkOptions, OpenLinkOptions, OwnedLink, ParsedLinkUrl } from './sharing-links.js';
export { ShareManager, SharedFolder, verifyPublishedKeys } from './sharing-shares.js';
export type { OwnKeys, VerifiedKeys } from './sharing-shares.js';
