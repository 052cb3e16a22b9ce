// The shapes of decrypted attributes. Decryption proves only that someone holding the key wrote
// them: a key shared by another account may have been used to craft anything, so every decrypted
// attribute object is parsed here before the SDK believes a byte of it.

import { z } from 'zod';

/** Attributes of a node (file or folder), encrypted under the node's own key. */
export const nodeAttributesSchema = z.object({
  name: z
    .string()
    .min(1)
    .max(1024)
    .refine((name) => name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\0'), {
      message: 'invalid name',
    }),
  mime: z.string().max(255).optional(),
});
export type NodeAttributes = z.infer<typeof nodeAttributesSchema>;

/** Attributes of one version of a file, encrypted under the version's content key. */
export const versionAttributesSchema = z.object({
  sizeBytes: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  mtimeMs: z.number().int().min(0).optional(),
  mime: z.string().max(255).optional(),
  /**
   * A small preview made by the uploader (the web app: at most 160 px), as a data: URL of a WebP,
   * JPEG or PNG image; nothing else passes, since another account's key may have written it.
   */
  thumbnail: z
    .string()
    .max(12_000)
    .regex(/^data:image\/(webp|jpeg|png);base64,[A-Za-z0-9+/]+={0,2}$/)
    .optional(),
});
export type VersionAttributes = z.infer<typeof versionAttributesSchema>;

/** `T` with every member that may be undefined turned into an optional member. */
export type Compacted<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** Drops undefined members so attribute objects stay minimal (and fit exactOptionalPropertyTypes). */
export function compact<T extends object>(value: T): Compacted<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Compacted<T>;
}
