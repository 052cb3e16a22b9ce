// Schemas of sharing: public links (`/l/<linkId>#<linkKey>`: the key stays in the URL fragment and
// never reaches the server), their download grants, and reports of links. The server sees wrapped
// keys, a key commitment and (for password links) a verifier of a password proof, never a key.
import { z } from 'zod';
import { B64u32, Email, Id, NodeId, PublicKeyMaterial, Timestamp, UserId, WrappedKey, b64u } from './ids.js';
import { Node, NodeType } from './tree.js';

/** The id of a link (16 random bytes chosen by the client: the link key's wrap is bound to it). */
export const LinkId = Id.brand<'LinkId'>();
export type LinkId = z.infer<typeof LinkId>;

/** A download grant: 32 random bytes made by the server; it authorizes ranged reads of one link. */
export const GrantId = B64u32.brand<'GrantId'>();
export type GrantId = z.infer<typeof GrantId>;

/** The header that carries a password link's proof (base64url, 32 bytes) on anonymous routes. */
export const LINK_PROOF_HEADER = 'hoard-link-proof';

/** How many downloads a link may allow at most. */
export const MAX_LINK_DOWNLOADS = 1_000_000_000;

/** A link's state: only `active` links answer anonymous requests. */
export const LinkStatus = z.enum(['active', 'expired', 'exhausted', 'revoked', 'disabled', 'gone']);
export type LinkStatus = z.infer<typeof LinkStatus>;

/** Body of `POST /links`: the owner creates a link to one of its nodes. */
export const CreateLinkRequest = z.object({
  id: LinkId,
  nodeId: NodeId,
  /** The node key wrapped under the link's wrapping key (purpose link-node-key, id = link id). */
  wrappedKey: WrappedKey,
  /** The link key wrapped under the node key (purpose link-key), so the owner can show the URL again. */
  ownerWrappedLinkKey: WrappedKey,
  /** HKDF(linkKey, "hoard/v1/link/commitment"). */
  keyCommitment: B64u32,
  /** Password links only: the password proof (the server keeps its SHA-256, never the proof). */
  passwordProof: B64u32.optional(),
  expiresAt: Timestamp.nullable().optional(),
  maxDownloads: z.number().int().min(1).max(MAX_LINK_DOWNLOADS).nullable().optional(),
});
export type CreateLinkRequest = z.infer<typeof CreateLinkRequest>;

/** Body of `PATCH /links/:id`: change the expiry or the download cap (null removes it). */
export const UpdateLinkRequest = z
  .object({
    expiresAt: Timestamp.nullable().optional(),
    maxDownloads: z.number().int().min(1).max(MAX_LINK_DOWNLOADS).nullable().optional(),
  })
  .refine((r) => r.expiresAt !== undefined || r.maxDownloads !== undefined, {
    message: 'nothing to change: give expiresAt and/or maxDownloads',
  });
export type UpdateLinkRequest = z.infer<typeof UpdateLinkRequest>;

/** A link as its owner sees it. */
export const Link = z.object({
  id: LinkId,
  nodeId: NodeId,
  /** The linked node (to find its path and key); null when it is in the trash. */
  node: Node.nullable(),
  ownerWrappedLinkKey: WrappedKey,
  passwordRequired: z.boolean(),
  expiresAt: Timestamp.nullable(),
  maxDownloads: z.number().int().nullable(),
  downloadCount: z.number().int().min(0),
  status: LinkStatus,
  createdAt: Timestamp,
  revokedAt: Timestamp.nullable(),
  disabledAt: Timestamp.nullable(),
});
export type Link = z.infer<typeof Link>;

export const LinkResponse = z.object({ link: Link });
export type LinkResponse = z.infer<typeof LinkResponse>;
export const LinksResponse = z.object({ links: z.array(Link) });
export type LinksResponse = z.infer<typeof LinksResponse>;

/** What anyone holding a link id learns before the password: enough to check the fragment. */
export const PublicLink = z.object({
  id: LinkId,
  type: NodeType,
  keyCommitment: B64u32,
  passwordRequired: z.boolean(),
  expiresAt: Timestamp.nullable(),
  /** Downloads left under the cap; null without a cap. */
  downloadsLeft: z.number().int().min(0).nullable(),
});
export type PublicLink = z.infer<typeof PublicLink>;

export const PublicLinkResponse = z.object({ link: PublicLink });
export type PublicLinkResponse = z.infer<typeof PublicLinkResponse>;

/** The linked node (parentId null: the owner's tree above it is not shown) and its key for the link. */
export const LinkNodeResponse = z.object({ node: Node, wrappedKey: WrappedKey });
export type LinkNodeResponse = z.infer<typeof LinkNodeResponse>;

/** A download grant: one counted download, then any number of ranged reads until it expires. */
export const LinkGrant = z.object({ id: GrantId, expiresAt: Timestamp });
export type LinkGrant = z.infer<typeof LinkGrant>;
export const LinkGrantResponse = z.object({ grant: LinkGrant });
export type LinkGrantResponse = z.infer<typeof LinkGrantResponse>;

/** Why a link is reported. */
export const ReportReason = z.enum(['illegal', 'copyright', 'malware', 'abuse', 'spam', 'other']);
export type ReportReason = z.infer<typeof ReportReason>;

/** Body of `POST /links/:linkId/reports` (anyone, no account). */
export const ReportLinkRequest = z.object({
  reason: ReportReason,
  note: z.string().max(2000).optional(),
});
export type ReportLinkRequest = z.infer<typeof ReportLinkRequest>;

/** The id of a stored report. */
export const ReportResponse = z.object({ report: z.object({ id: Id, createdAt: Timestamp }) });
export type ReportResponse = z.infer<typeof ReportResponse>;

// ---- sharing between accounts ----

/** The id of a share (16 random bytes chosen by the owner: the HPKE info and signature bind it). */
export const ShareId = Id.brand<'ShareId'>();
export type ShareId = z.infer<typeof ShareId>;

/** What a member may do: read, or also write (upload, mkdir, rename, move within, trash). */
export const ShareAccess = z.enum(['read', 'write']);
export type ShareAccess = z.infer<typeof ShareAccess>;

export const ShareStatus = z.enum(['pending', 'accepted', 'declined']);
export type ShareStatus = z.infer<typeof ShareStatus>;

/** An account's published keys (the client checks the signature and pins them: TOFU). */
export const PublishedKeys = z.object({
  userId: UserId,
  email: z.string(),
  publicEncryptionKey: PublicKeyMaterial,
  publicSigningKey: PublicKeyMaterial,
  publicKeysSignature: PublicKeyMaterial,
});
export type PublishedKeys = z.infer<typeof PublishedKeys>;

/** Body of `POST /keys/lookup`. */
export const KeyLookupRequest = z.object({ email: Email });
export type KeyLookupRequest = z.infer<typeof KeyLookupRequest>;
export const PublishedKeysResponse = z.object({ account: PublishedKeys });
export type PublishedKeysResponse = z.infer<typeof PublishedKeysResponse>;

/** Body of `POST /shares`: the folder key sealed to the member and the owner's signature. */
export const CreateShareRequest = z.object({
  id: ShareId,
  folderId: NodeId,
  memberUserId: UserId,
  access: ShareAccess,
  /** HPKE enc || ciphertext of the folder key (80 bytes). */
  sealedKey: b64u(80, 80),
  /** Ed25519 signature of the share by the owner (64 bytes). */
  signature: b64u(64, 64),
});
export type CreateShareRequest = z.infer<typeof CreateShareRequest>;

/** A share, as the owner and the member see it. */
export const Share = z.object({
  id: ShareId,
  folderId: NodeId,
  /** The shared folder (parentId null for the member); null while it is in the owner's trash. */
  folder: Node.nullable(),
  owner: PublishedKeys,
  member: PublishedKeys,
  access: ShareAccess,
  status: ShareStatus,
  sealedKey: b64u(80, 80),
  signature: b64u(64, 64),
  createdAt: Timestamp,
});
export type Share = z.infer<typeof Share>;
export const ShareResponse = z.object({ share: Share });
export type ShareResponse = z.infer<typeof ShareResponse>;
/** `outgoing`: shares of the caller's folders; `incoming`: shares to the caller (invitations included). */
export const SharesResponse = z.object({ outgoing: z.array(Share), incoming: z.array(Share) });
export type SharesResponse = z.infer<typeof SharesResponse>;

/** The section of docs/API.md on fetching a link's ciphertext with plain HTTP (curl). */
export const linkDownloadGuide: readonly string[] = [
  '## Downloading from a link with plain HTTP',
  '',
  'A link is `https://HOST/l/<linkId>#<linkKey>`. The part after `#` is the key: browsers and `curl`',
  'never send it, and the server never sees it. Anyone may fetch the ciphertext without an account:',
  '',
  '```sh',
  'LINK=AbCdEfGhIjKlMnOpQrStUv                                      # the 22 characters after /l/',
  'curl -s https://HOST/links/$LINK/public                         # type, keyCommitment, passwordRequired',
  'GRANT=$(curl -s -X POST https://HOST/links/$LINK/grants | jq -r .grant.id)   # counts one download',
  'curl -o file.hoard https://HOST/links/$LINK/grants/$GRANT/content           # file links; -C - resumes',
  'curl -s https://HOST/links/$LINK/node                            # the node and its key wrapped for the link',
  '```',
  '',
  'Password links need `-H "Hoard-Link-Proof: <proof>"` on `/node`, `/nodes/...` and `/grants` (the',
  'proof is computed from the link key and the password: docs/FORMAT.md section 14). A grant is valid',
  'for 24 hours and any number of `Range` requests (so `curl -C -` resumes without counting again);',
  'content is never served without one, so ranges cannot get around a download cap. Folder links list',
  'their subtree with `GET /links/$LINK/nodes/<folderId>/children` (a page at a time: follow `next`',
  'with `?after=`) and read files through',
  '`/links/$LINK/grants/$GRANT/versions/<versionId>/content`.',
  '',
  'To decrypt `file.hoard` (docs/FORMAT.md): decode the fragment (base64url, 32 bytes) as the link key',
  'and check `HKDF(linkKey, "hoard/v1/link/commitment")` equals `keyCommitment` (otherwise the URL',
  "was mangled); unwrap the node's `wrappedKey` from `/node` under the link key (purpose",
  '`link-node-key`, id = the link id, section 2; with a password, under the combined key of section 14);',
  'unwrap `node.currentVersion.wrappedKey` under the node key (purpose `version-key`, id = version id);',
  'decrypt the content with that version key as in section 4. Names and sizes are in the encrypted',
  'attributes (section 3). `hoard get URL` does all of this.',
  '',
];
